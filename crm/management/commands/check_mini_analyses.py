import json
from dataclasses import asdict

from django.core.management.base import BaseCommand, CommandError, no_translations
from django.utils.timezone import localtime

from crm import legacy_migration, legacy_server
from crm.legacy_server import LEADS, REQUESTS
from crm.management.arguments import bounded_integer
from crm.selectors import backfill_audit

# More rows than an operator reads in a terminal; beyond it the database would refuse the LIMIT.
MAX_LIMIT = 1_000_000


class Command(BaseCommand):
    help = (
        "Audit the backfill: counts of mini-analyses, leads and mini-analyses without a lead (same email "
        "and brand name), the oldest ones to migrate, and the automatic leads that failed."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--limit",
            type=bounded_integer(0, MAX_LIMIT),
            default=50,
            help=f"Rows listed in each list, 0 to {MAX_LIMIT} (default 50).",
        )
        parser.add_argument(
            "--json", action="store_true", dest="as_json", help="Print the same facts as one JSON object."
        )
        parser.add_argument(
            "--mongo-uri", help="Audit the legacy MongoDB collections on this server instead of the CRM."
        )
        parser.add_argument("--db", help="MongoDB database name (default: the one in --mongo-uri).")

    @no_translations
    def handle(self, *args, limit: int, as_json: bool, **options) -> None:
        if options["mongo_uri"]:
            self._audit_mongo(options["mongo_uri"], options["db"], limit, as_json)
            return
        audit = backfill_audit(limit)
        if as_json:
            self._write_json(audit, more=["more_to_migrate", "more_failed"])
            return
        self._write_without_lead(audit)
        self.stdout.write(f"Automatic lead failures: {audit.lead_sync_failures}")
        self.stdout.write(f"Automatic lead failures still without lead: {audit.failures_without_lead}")
        for row in audit.failed:
            self.stdout.write(
                f"  {_date(row)} | {row.brand_name} | {row.email} | mini-analysis {row.id}: {row.error}"
            )
        if audit.more_failed > 0:
            self.stdout.write(f"  ... and {audit.more_failed} more (--limit to see them)")
        if audit.without_lead:
            self.stdout.write("Run `python manage.py migrate_mini_analyses` to create the missing leads.")

    def _audit_mongo(self, uri: str, name: str | None, limit: int, as_json: bool) -> None:
        """The seed's own audit, on the MongoDB collections (`crm.legacy_migration`)."""
        try:
            with legacy_server.opened(uri, name, REQUESTS, LEADS) as database:
                audit = legacy_migration.audit(database, limit)
        except legacy_server.LegacyServerError as error:
            raise CommandError(str(error)) from error
        if as_json:
            self._write_json(audit, more=["more_to_migrate"])
            return
        self._write_without_lead(audit)
        if audit.without_lead:
            self.stdout.write("Run `python manage.py migrate_mini_analyses --mongo-uri …` to create them.")

    def _write_without_lead(self, audit) -> None:
        """The counts and the oldest requests to migrate: the same lines for the CRM and MongoDB."""
        self.stdout.write(f"Mini-analyses: {audit.mini_analyses}")
        self.stdout.write(f"Leads: {audit.leads}")
        self.stdout.write(f"Mini-analyses without lead: {audit.without_lead}")
        for row in audit.to_migrate:
            self.stdout.write(f"  {_date(row)} | {row.brand_name} | {row.email} | {row.status}")
        if audit.more_to_migrate > 0:
            self.stdout.write(f"  ... and {audit.more_to_migrate} more (--limit to see them)")

    def _write_json(self, audit, *, more: list[str]) -> None:
        """The audit's fields, and its `more` properties (how many rows `--limit` left out)."""
        facts = asdict(audit) | {name: getattr(audit, name) for name in more}
        self.stdout.write(json.dumps(facts, default=str, ensure_ascii=False))


def _date(row) -> str:
    if row.created_at is None:
        return "????-??-?? ??:??"
    return f"{localtime(row.created_at):%Y-%m-%d %H:%M}"
