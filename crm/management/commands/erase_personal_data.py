from django.core.management.base import BaseCommand, CommandError

from crm.privacy import erase_personal_data

# What happened to the records, in a run and in a dry run (`Erasure.summary`'s keys).
DONE = {"delete": "Deleted", "anonymise": "Anonymised", "redact": "Redacted"}
WOULD = {"delete": "Would delete", "anonymise": "Would anonymise", "redact": "Would redact"}


class Command(BaseCommand):
    help = (
        "Erase one person (GDPR erasure request): delete their mini-analyses, leads and PDFs, or with "
        "--anonymise keep the business history without personal data; in both modes anonymise their "
        "contact, opportunities and the companies only they justify, delete the history of those "
        "rows and their job results and pending imports, and redact them from everybody else's "
        "notes, activities and the admin log."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("email")
        parser.add_argument(
            "--anonymise",
            action="store_true",
            help="Keep the requests and leads, without email, phone, analysis, PDF, notes or own brand.",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Print exactly what the erasure would do (the same counts); change nothing.",
        )

    def handle(self, *args, email: str, anonymise: bool, dry_run: bool, **options) -> None:
        if "@" not in email:
            raise CommandError(f"Not an email address: {email!r}")
        erasure = erase_personal_data(email, anonymise=anonymise, dry_run=dry_run)
        verbs = WOULD if dry_run else DONE
        summary = erasure.summary()
        main = "anonymise" if anonymise else "delete"
        for action in [main, *(action for action in summary if action != main)]:
            counts = ", ".join(f"{name}: {count}" for name, count in summary[action].items())
            line = f"{verbs[action]}: {counts}"
            self.stdout.write(line if dry_run else self.style.SUCCESS(line))
