"""Retry the mini-analyses whose generation was blocked by the quota or failed; their leads follow."""

from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q
from django.utils import timezone

from mini_analysis.generators import get_generator
from mini_analysis.models import MiniAnalysis, Status
from mini_analysis.services import generate_analysis

RETRIABLE = [Status.QUOTA_BLOCKED, Status.ERROR]
# A request still NEW after this long lost its generation (a killed worker, say); younger ones may
# still be in progress.
STALE_AFTER = timedelta(minutes=10)


class Command(BaseCommand):
    help = "Generate again the mini-analyses left QUOTA_BLOCKED or ERROR, oldest first."

    def add_arguments(self, parser):
        parser.add_argument(
            "--status",
            action="append",
            choices=[status.value for status in [*RETRIABLE, Status.NEW]],
            help="Only this status (repeatable). Default: QUOTA_BLOCKED and ERROR. "
            f"NEW selects requests left NEW for more than {STALE_AFTER.seconds // 60} minutes.",
        )
        parser.add_argument("--limit", type=int, help="At most this many mini-analyses.")

    def handle(self, *args, status=None, limit=None, **options):
        if limit is not None and limit < 1:
            raise CommandError("--limit must be a positive number.")
        statuses = status or [status.value for status in RETRIABLE]
        selected = Q(status__in=[value for value in statuses if value != Status.NEW])
        if Status.NEW in statuses:
            selected |= Q(status=Status.NEW, created_at__lt=timezone.now() - STALE_AFTER)
        queryset = MiniAnalysis.objects.filter(selected).order_by("created_at", "id")
        if limit is not None:
            queryset = queryset[:limit]
        generator = get_generator()
        outcomes = {value: 0 for value in Status.values}
        # One request at a time by design: each is a slow external call, and we stop at the quota.
        for mini_analysis in queryset.iterator(chunk_size=100):
            generate_analysis(mini_analysis, generator)
            outcomes[mini_analysis.status] += 1
            self.stdout.write(f"[{mini_analysis.status}] {mini_analysis.brand_name} | {mini_analysis.email}")
            if mini_analysis.status == Status.QUOTA_BLOCKED:
                self.stdout.write(self.style.WARNING("Quota reached: stopping; run again later."))
                break
        summary = ", ".join(f"{name}: {count}" for name, count in outcomes.items() if name != Status.NEW)
        self.stdout.write(f"Regenerated {sum(outcomes.values())} mini-analyses ({summary}).")
        if outcomes[Status.ERROR]:
            raise CommandError(f"{outcomes[Status.ERROR]} mini-analyses failed again; see the log.")
        if outcomes[Status.QUOTA_BLOCKED]:
            raise CommandError("The generator's quota is reached; run the command again later.")
        self.stdout.write(self.style.SUCCESS("Done."))
