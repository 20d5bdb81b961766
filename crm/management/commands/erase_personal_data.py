from django.core.management.base import BaseCommand, CommandError

from crm.privacy import erase_personal_data, leads_of, mini_analyses_of


class Command(BaseCommand):
    help = (
        "Erase one person's mini-analyses and leads (GDPR erasure request): delete them, or with "
        "--anonymise keep the business history without personal data."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("email")
        parser.add_argument(
            "--anonymise",
            action="store_true",
            help="Keep the rows, without email, phone, analysis, PDF or notes.",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Say what would be erased; change nothing."
        )

    def handle(self, *args, email: str, anonymise: bool, dry_run: bool, **options) -> None:
        if "@" not in email:
            raise CommandError(f"Not an email address: {email!r}")
        if dry_run:
            mini_analyses, leads = mini_analyses_of(email).count(), leads_of(email).count()
            self.stdout.write(f"Would erase: mini-analyses: {mini_analyses}, leads: {leads}")
            return
        erasure = erase_personal_data(email, anonymise=anonymise)
        verb = "Anonymised" if anonymise else "Deleted"
        counts = (
            f"mini-analyses: {erasure.mini_analyses}, leads: {erasure.leads}, files: {erasure.files}, "
            f"contacts: {erasure.contacts}"
        )
        self.stdout.write(self.style.SUCCESS(f"{verb}: {counts}"))
