"""One round of reminders by hand, with the worker's code (`crm.reminders.send_reminders`).

Safe to run any number of times: a person gets one digest a day and one alert per task whatever
runs it. Prints what it did; exits non-zero when an email could not be sent (it is tried again).
"""

from django.core.management.base import BaseCommand, CommandError

from crm.reminders import send_reminders


class Command(BaseCommand):
    help = "Send the reminders due now: morning digests and task alerts (safe to re-run)."

    def handle(self, *args, **options) -> None:
        result = send_reminders()
        self.stdout.write(
            f"[REMINDERS] {result.digests} digests and {result.alerts} task alerts sent, "
            f"{result.empty} with nothing to say, {len(result.failed)} failed."
        )
        if result.failed:
            raise CommandError(f"{len(result.failed)} reminders could not be sent; they are tried again.")
