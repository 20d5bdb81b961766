import io
import os
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from crm.privacy import write_personal_data_csv


class Command(BaseCommand):
    help = (
        "Export as CSV every mini-analysis, lead and contact kept about one email address "
        "(GDPR access request)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("email")
        parser.add_argument(
            "--output",
            type=Path,
            help="CSV file to write, readable by its owner only (default: standard output).",
        )
        parser.add_argument("--force", action="store_true", help="Overwrite the --output file if it exists.")

    def handle(self, *args, email: str, output: Path | None, force: bool, **options) -> None:
        if "@" not in email:
            raise CommandError(f"Not an email address: {email!r}")
        if output is None:
            count = write_personal_data_csv(email, self.stdout)
        else:
            # The rows first, the file after: a failed query leaves no half-written file behind.
            rows = io.StringIO(newline="")
            count = write_personal_data_csv(email, rows)
            write_private_file(output, rows.getvalue(), force=force)
            self.stderr.write(f"{count} records written to {output}")
        if count == 0:
            self.stderr.write(f"No data kept about {email}.")


def write_private_file(path: Path, text: str, *, force: bool) -> None:
    """Write `text` to a file only its owner may read (0600): it holds one person's data.

    An existing file is refused unless `force`; it then keeps no wider mode than 0600. A symbolic
    link is never followed (`O_NOFOLLOW`): the data goes to the path the operator named.
    """
    flags = os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW | (os.O_TRUNC if force else os.O_EXCL)
    try:
        descriptor = os.open(path, flags, 0o600)
    except FileExistsError:
        raise CommandError(f"{path} already exists: use --force to overwrite it.") from None
    except FileNotFoundError:
        raise CommandError(f"The folder {path.parent} does not exist: create it first.") from None
    except OSError as error:
        raise CommandError(f"Cannot write {path}: {error.strerror}.") from None
    os.fchmod(descriptor, 0o600)
    with open(descriptor, "w", encoding="utf-8", newline="") as file:
        file.write(text)
