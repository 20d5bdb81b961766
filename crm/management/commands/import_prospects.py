"""Import prospects from a file at the shell: the admin's import (`crm.imports.import_table`),
the same mapping guessed from the headers, or a mapping saved in the admin (`--mapping NAME`), with
columns given with `--map` on top; the same refusals.

    manage.py import_prospects export.csv --map "Company=brand_name" --map "Fax=" --dry-run
    manage.py import_prospects hubspot.csv --mapping HubSpot

Exits non-zero when rows are refused (they are listed on stderr; `--refused FILE` writes them with
their reason, ready to fix and import again).
"""

import csv
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, no_translations

from crm.exports import BOM
from crm.imports import FIELDS, guess_mapping, plan_import, refused_rows
from crm.imports.background import import_in_chunks
from crm.models import ImportMapping
from crm.uploads import UploadRefused, read_table


class Command(BaseCommand):
    help = "Import prospects from a CSV, .xlsx or .xls file, as the admin's import does."

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--mapping",
            dest="saved_mapping",
            metavar="NAME",
            help="Start from the mapping saved under this name in the admin (columns it does not "
            "know are matched by their headers); --map changes it further.",
        )
        parser.add_argument(
            "--map",
            action="append",
            default=[],
            metavar="COLUMN=FIELD",
            help="Map a column (by its header) to a field, or to nothing (COLUMN=). "
            f"Fields: {', '.join(FIELDS)}.",
        )
        parser.add_argument("--dry-run", action="store_true", help="Say what would be done; write nothing.")
        parser.add_argument(
            "--as", dest="username", help="Import as this user (their visibility and rights)."
        )
        parser.add_argument(
            "--refused", type=Path, help="Write the refused rows, with their reason, to this CSV."
        )

    @no_translations  # an operator's output, in English like every command's (docs/operations.md)
    def handle(
        self,
        *args,
        file: Path,
        saved_mapping: str | None,
        map: list[str],
        dry_run: bool,
        username: str | None,
        refused: Path | None,
        **options,
    ):
        user = _user(username)
        saved = _saved_mapping(saved_mapping)
        try:
            table = read_table(file.read_bytes())
        except OSError as error:
            raise CommandError(f"Cannot read {file}: {error.strerror}.") from None
        except UploadRefused as refusal:
            raise CommandError(refusal.message) from None
        mapping = _mapping(table.headers, map, saved)
        self.stdout.write(
            "Columns: "
            + ", ".join(
                f"{h or '?'} -> {f or '(ignored)'}" for h, f in zip(table.headers, mapping, strict=True)
            )
        )
        try:
            # Written in chunks (memory flat); a dry run plans the whole file (nothing to write).
            plan = plan_import(table, mapping, user) if dry_run else import_in_chunks(table, mapping, user)
        except UploadRefused as refusal:
            raise CommandError(refusal.message) from None
        for line, message in plan.warnings:
            self.stdout.write(f"Line {line}: {message}")
        for row in plan.refused:
            self.stderr.write(f"Line {row.line} refused: {row.reason_text()}")
        counts = plan.counts
        verb = "Would import" if dry_run else "Imported"
        summary = (
            f"{verb} {file.name}: {counts['new']} new, {counts['updated']} updated, "
            f"{counts['unchanged']} unchanged, {counts['refused']} refused."
        )
        self.stdout.write(self.style.WARNING(summary) if plan.refused else self.style.SUCCESS(summary))
        if refused is not None and plan.refused:
            header, rows = refused_rows(plan)
            with refused.open("w", encoding="utf-8", newline="") as output:
                output.write(BOM)
                csv.writer(output).writerows([header, *rows])
            self.stdout.write(f"Refused rows written to {refused}.")
        if plan.refused:
            raise CommandError(f"{counts['refused']} rows refused.")


def _user(username: str | None):
    if username is None:
        return None
    user = get_user_model().objects.filter(username=username, is_active=True).first()
    if user is None:
        raise CommandError(f"No active user {username!r}.")
    return user


def _saved_mapping(name: str | None) -> dict[str, str] | None:
    if name is None:
        return None
    saved = ImportMapping.objects.filter(name=name).first()
    if saved is None:
        names = ", ".join(ImportMapping.objects.values_list("name", flat=True)) or "none"
        raise CommandError(f"No saved mapping {name!r} (saved mappings: {names}).")
    return saved.columns


def _mapping(headers: list[str], overrides: list[str], saved: dict[str, str] | None) -> list[str]:
    mapping = guess_mapping(headers, saved)
    for override in overrides:
        column, separator, field = override.partition("=")
        if not separator:
            raise CommandError(f"--map takes COLUMN=FIELD, not {override!r}.")
        column, field = column.strip(), field.strip()
        if column not in headers:
            raise CommandError(f"No column {column!r} in the file (columns: {', '.join(headers)}).")
        if field and field not in FIELDS:
            raise CommandError(f"Unknown field {field!r} (fields: {', '.join(FIELDS)}).")
        if field:
            mapping = ["" if chosen == field else chosen for chosen in mapping]
        mapping[headers.index(column)] = field
    return mapping
