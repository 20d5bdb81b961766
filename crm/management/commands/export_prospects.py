"""Export prospects at the shell, as the admin's export writes them (`crm.exports`): CSV with a
byte-order mark (to stdout or a file) or .xlsx, streamed in chunks: constant memory, whatever
the number of prospects (`bench/exports.py` measures it on a million).

    manage.py export_prospects --output prospects.csv
    manage.py export_prospects --format xlsx --output prospects.xlsx --as sales
"""

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from crm import visibility
from crm.exports import lead_csv_lines, write_lead_csv, write_lead_xlsx
from crm.models import Lead


class Command(BaseCommand):
    help = "Export prospects as CSV (UTF-8 with a byte-order mark) or .xlsx."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--format", choices=["csv", "xlsx"], default="csv")
        parser.add_argument("--output", type=Path, help="The file to write (CSV: stdout when not given).")
        parser.add_argument("--as", dest="username", help="Only the prospects this user may see.")

    def handle(self, *args, format: str, output: Path | None, username: str | None, **options) -> None:
        leads = Lead.objects.order_by("pk")
        if username is not None:
            user = get_user_model().objects.filter(username=username, is_active=True).first()
            if user is None:
                raise CommandError(f"No active user {username!r}.")
            leads = visibility.visible_leads(user, leads)
        if format == "xlsx":
            if output is None:
                raise CommandError("An .xlsx export needs --output.")
            with output.open("wb") as target:
                count = write_lead_xlsx(leads, target)
        elif output is None:
            count = -1  # the header
            for line in lead_csv_lines(leads):
                self.stdout.write(line, ending="")
                count += 1
        else:
            with output.open("w", encoding="utf-8", newline="") as target:
                count = write_lead_csv(leads, target)
        # The summary on stderr when the CSV itself is on stdout.
        summary = self.stderr if output is None else self.stdout
        summary.write(f"{count} prospects exported to {output or 'stdout'}.")
