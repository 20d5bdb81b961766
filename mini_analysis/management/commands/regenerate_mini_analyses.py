"""Queue again the generation of mini-analyses left QUOTA_BLOCKED or ERROR; a worker generates them."""

from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q
from django.utils import timezone

from mini_analysis.models import MiniAnalysis, Status
from mini_analysis.services import requeue_generations

RETRIABLE = [Status.QUOTA_BLOCKED, Status.ERROR]
# A request still NEW after this long lost its generation (a killed worker, say); younger ones may
# still be in progress.
STALE_AFTER = timedelta(minutes=10)


class Command(BaseCommand):
    help = (
        "Queue again the generation of the mini-analyses left QUOTA_BLOCKED or ERROR, oldest first "
        "(a worker, `manage.py run_worker`, generates them)."
    )

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
        ids = MiniAnalysis.objects.filter(selected).order_by("created_at", "id").values_list("pk", flat=True)
        if limit is not None:
            ids = ids[:limit]
        queued = requeue_generations(MiniAnalysis.objects.filter(pk__in=list(ids)))
        self.stdout.write(self.style.SUCCESS(f"Queued {queued} mini-analyses for generation."))
