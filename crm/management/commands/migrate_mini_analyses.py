import contextlib
import sys
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import IO

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, no_translations
from django.db.models import Count, Max
from django.utils import timezone
from tqdm import tqdm

from crm import backfill, backfill_rollback
from crm.models import Lead
from mini_analysis.models import MiniAnalysis


class Command(BaseCommand):
    help = (
        "Create a lead (source mini-analysis-migration) for every mini-analysis whose email and brand name "
        "have none; safe to interrupt and re-run. --rollback deletes those leads after a JSON backup."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="Print what would be created; write nothing."
        )
        parser.add_argument("--batch-size", type=int, default=backfill.DEFAULT_BATCH_SIZE)
        parser.add_argument(
            "--rollback", action="store_true", help="Delete the migrated leads (backup first)."
        )
        parser.add_argument("--force", action="store_true", help="Rollback: delete worked-on leads too.")
        parser.add_argument("--backup", type=Path, help="Rollback: backup file (default under BACKUP_DIR).")
        parser.add_argument(
            "--mongo-uri", help="Run the seed's migration on the legacy MongoDB collections of this server."
        )
        parser.add_argument("--db", help="MongoDB database name (default: the one in --mongo-uri).")

    @no_translations
    def handle(self, *args, dry_run: bool, batch_size: int, rollback: bool, force: bool, backup, **options):
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        if not rollback and (force or backup):
            raise CommandError("--force and --backup go with --rollback.")
        if options["mongo_uri"]:
            # Imported here: pymongo takes longer to import than a re-run of the backfill takes.
            from crm import legacy_server
            from crm.legacy_server import LEADS, REQUESTS

            try:
                with legacy_server.opened(options["mongo_uri"], options["db"], REQUESTS, LEADS) as database:
                    if rollback:
                        self._rollback_mongo(database, backup, force, batch_size)
                    else:
                        self._migrate_mongo(database, dry_run, batch_size, options["verbosity"])
            except legacy_server.LegacyServerError as error:
                raise CommandError(str(error)) from error
        elif rollback:
            self._rollback(backup, force, batch_size)
        else:
            self._migrate(dry_run, batch_size, options["verbosity"])

    def _migrate(self, dry_run: bool, batch_size: int, verbosity: int) -> None:
        before = MiniAnalysis.objects.aggregate(count=Count("pk"), last=Max("pk"))
        mini_analyses, last_pk = before["count"], before["last"] or 0
        self.stdout.write("[BEFORE MIGRATION]" + (" (dry run: nothing is written)" if dry_run else ""))
        self.stdout.write(f"Mini-analyses: {mini_analyses}")
        self.stdout.write(f"Leads: {Lead.objects.count()}")
        tag = "[DRY RUN] would migrate" if dry_run else "[MIGRATED]"
        created = errors = 0
        batches = backfill.migrate_mini_analyses(
            batch_size=batch_size, dry_run=dry_run, list_leads=verbosity >= 1
        )
        interactive = self.stderr.isatty()
        total = len(range(0, MiniAnalysis.objects.aggregate(last=Max("pk"))["last"] or 0, batch_size))
        for batch in tqdm(batches, total=total, unit="batch", file=sys.stderr, disable=not interactive):
            created += batch.created
            errors += len(batch.errors)
            for brand_name, email in batch.leads:
                self.stdout.write(f"{tag} {brand_name} | {email}")
            for mini_analysis, reason in batch.errors:
                self.stdout.write(
                    self.style.ERROR(
                        f"[ERROR] mini-analysis {mini_analysis.pk} ({mini_analysis.brand_name} | "
                        f"{mini_analysis.email}): {reason}"
                    )
                )
        self.stdout.write("[AFTER MIGRATION]" + (" (dry run: nothing was written)" if dry_run else ""))
        self.stdout.write(f"Leads {'that would be ' if dry_run else ''}created: {created}")
        # "Already exist" only when a lead of the row's real person and brand exists (or would).
        skipped = backfill.already_led(last_pk, dry_run=dry_run) - created
        not_migrated = max(mini_analyses - created - skipped - errors, 0)
        self.stdout.write(f"Skipped (already exist): {skipped}")
        self.stdout.write(f"Errors: {errors}")
        if not_migrated:
            refused = "Not migrated (an older request of the same person and brand was refused)"
            self.stdout.write(self.style.ERROR(f"{refused}: {not_migrated}"))
        self.stdout.write(f"Total leads now: {Lead.objects.count()}")
        if errors or not_migrated:
            raise CommandError(
                f"{errors + not_migrated} mini-analyses could not be migrated, see the [ERROR] lines.",
                returncode=1,
            )

    def _migrate_mongo(self, database, dry_run: bool, batch_size: int, verbosity: int) -> None:
        """The seed's migration on the MongoDB collections, with the seed's log lines."""
        from crm import legacy_migration

        result = legacy_migration.migrate(database, dry_run=dry_run, batch_size=batch_size)
        self.stdout.write("[BEFORE MIGRATION]" + (" (dry run: nothing is written)" if dry_run else ""))
        self.stdout.write(f"Mini-analyses: {result.mini_analyses}")
        self.stdout.write(f"Leads: {result.leads_before}")
        tag = "[DRY RUN] would migrate" if dry_run else "[MIGRATED]"
        if verbosity >= 1:
            for brand_name, email in result.created:
                self.stdout.write(f"{tag} {brand_name} | {email}")
        for row, reason in result.errors:
            self.stdout.write(
                self.style.ERROR(f"[ERROR] mini-analysis {row.id} ({row.brand_name} | {row.email}): {reason}")
            )
        self.stdout.write("[AFTER MIGRATION]" + (" (dry run: nothing was written)" if dry_run else ""))
        self.stdout.write(f"Leads {'that would be ' if dry_run else ''}created: {len(result.created)}")
        self.stdout.write(f"Skipped (already exist): {result.skipped}")
        self.stdout.write(f"Errors: {len(result.errors)}")
        self.stdout.write(f"Total leads now: {result.leads_after}")
        if result.errors:
            raise CommandError(
                f"{len(result.errors)} mini-analyses could not be migrated, see the [ERROR] lines.",
                returncode=1,
            )

    def _rollback_mongo(self, database, backup: Path | None, force: bool, batch_size: int) -> None:
        from crm import legacy_rollback

        with _backup_file(backup, "mongo-migrated-leads") as (path, file):
            result = legacy_rollback.rollback(database, file, force=force, batch_size=batch_size)
        self.stdout.write(f"Backup of {result.backed_up} leads written to {path}")
        self.stdout.write(
            f"Restore with: mongoimport --uri URI --db {database.name} --collection leads --file {path}"
        )
        for lead, reasons in result.kept:
            self.stdout.write(
                f"[KEPT] {lead.get('brand_name', '')} | {lead.get('email', '')} ({', '.join(reasons)})"
            )
        self.stdout.write(f"Leads deleted: {result.deleted}")
        self.stdout.write(
            f"Kept (modified since migration): {len(result.kept) + result.backed_up - result.deleted}"
        )

    def _rollback(self, backup: Path | None, force: bool, batch_size: int) -> None:
        with _backup_file(backup, "migrated-leads") as (path, file):
            result = backfill_rollback.rollback_migration(file, force=force, batch_size=batch_size)
        self.stdout.write(f"Backup of {result.backed_up} leads written to {path}")
        self.stdout.write(f"Restore with: python manage.py import_legacy {path} --collection leads")
        for lead, reasons in result.kept:
            self.stdout.write(f"[KEPT] {lead.brand_name} | {lead.email} ({', '.join(reasons)})")
        self.stdout.write(f"Leads deleted: {result.deleted}")
        self.stdout.write(
            f"Kept (modified since migration): {len(result.kept) + result.backed_up - result.deleted}"
        )


@contextlib.contextmanager
def _backup_file(backup: Path | None, prefix: str) -> Iterator[tuple[Path, IO[str]]]:
    """A new backup file (never an existing one), by default under BACKUP_DIR."""
    path = backup or Path(settings.BACKUP_DIR) / f"{prefix}-{_stamp(timezone.now())}.jsonl"
    if path.exists():
        raise CommandError(f"{path} exists; choose another --backup file.")
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("x", encoding="utf-8") as file:
        yield path, file


def _stamp(moment: datetime) -> str:
    return timezone.localtime(moment).strftime("%Y%m%d-%H%M%S")
