from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from crm.privacy import write_personal_data_csv


class Command(BaseCommand):
    help = "Export as CSV every mini-analysis and lead kept about one email address (GDPR access request)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("email")
        parser.add_argument("--output", type=Path, help="CSV file to write (default: standard output).")

    def handle(self, *args, email: str, output: Path | None, **options) -> None:
        if "@" not in email:
            raise CommandError(f"Not an email address: {email!r}")
        if output is None:
            count = write_personal_data_csv(email, self.stdout)
        else:
            with output.open("w", newline="", encoding="utf-8") as file:
                count = write_personal_data_csv(email, file)
            self.stderr.write(f"{count} records written to {output}")
        if count == 0:
            self.stderr.write(f"No data kept about {email}.")
