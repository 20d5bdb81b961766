"""Reads of the CRM: the audit's set-based queries, shared by `check_mini_analyses` and the backfill;
the staff a prospect or an activity may be given to.

"Without lead" means no lead with the same stored identity (`email_key`, `brand_key`, see
`mini_analysis.keys`): one indexed anti-join (`NOT EXISTS`), never a Python loop over the rows.
An empty key is nobody's identity (`KEYED`): a request without email or brand matches no lead.
"""

from dataclasses import dataclass, field
from datetime import datetime

from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef, Q, QuerySet

from mini_analysis.keys import KEYED
from mini_analysis.models import MiniAnalysis

from .models import Lead, LeadSyncFailure


def lead_of_same_identity() -> Exists:
    """`EXISTS` a lead of the outer request's person and brand (never an empty key's)."""
    return Exists(
        Lead.objects.filter(KEYED, email_key=OuterRef("email_key"), brand_key=OuterRef("brand_key"))
    )


def mini_analyses_without_lead(mini_analyses: QuerySet[MiniAnalysis] | None = None) -> QuerySet[MiniAnalysis]:
    """Mini-analyses whose person and brand have no lead (the seed's "mini-analyses to migrate").

    The anti-join is added after the filters of `mini_analyses` (default: all), so the database
    tests those cheap ones first.
    """
    mini_analyses = MiniAnalysis.objects.all() if mini_analyses is None else mini_analyses
    return mini_analyses.filter(~lead_of_same_identity())


def migration_candidates(mini_analyses: QuerySet[MiniAnalysis] | None = None) -> QuerySet[MiniAnalysis]:
    """The oldest mini-analysis of each person and brand without a lead: one lead each.

    "Oldest" is the earliest `created_at`, the smallest id among equal dates; the
    (email_key, brand_key, created_at) index answers the second anti-join.
    """
    older = MiniAnalysis.objects.filter(
        KEYED,
        Q(created_at__lt=OuterRef("created_at"))
        | Q(created_at=OuterRef("created_at"), pk__lt=OuterRef("pk")),
        email_key=OuterRef("email_key"),
        brand_key=OuterRef("brand_key"),
    )
    return mini_analyses_without_lead(mini_analyses).filter(~Exists(older))


def mini_analyses_of_lead(lead: Lead) -> QuerySet[MiniAnalysis]:
    """Every request of the lead's person and brand, newest first, on the identity index.

    The lead follows the newest one, but keeps the contact values a sales person typed: what a
    request said and the lead did not take stays readable here, so nothing sent is lost.
    """
    return (
        MiniAnalysis.objects.filter(KEYED, email_key=lead.email_key, brand_key=lead.brand_key)
        .only("created_at", "email", "brand_name", "phone", "sector", "language", "status")
        .order_by("-created_at", "-id")
    )


def lead_sync_failures_without_lead() -> QuerySet[LeadSyncFailure]:
    """Failed automatic leads whose mini-analysis still has no lead (the backfill repairs them)."""
    no_lead = ~Exists(
        Lead.objects.filter(
            KEYED,
            email_key=OuterRef("mini_analysis__email_key"),
            brand_key=OuterRef("mini_analysis__brand_key"),
        )
    )
    return LeadSyncFailure.objects.filter(no_lead)


@dataclass
class MiniAnalysisRow:
    id: int
    created_at: datetime
    brand_name: str
    email: str
    status: str
    error: str = ""


@dataclass
class BackfillAudit:
    mini_analyses: int
    leads: int
    without_lead: int
    to_migrate: list[MiniAnalysisRow] = field(default_factory=list)
    lead_sync_failures: int = 0
    failures_without_lead: int = 0
    failed: list[MiniAnalysisRow] = field(default_factory=list)

    @property
    def more_to_migrate(self) -> int:
        return self.without_lead - len(self.to_migrate)

    @property
    def more_failed(self) -> int:
        return self.failures_without_lead - len(self.failed)


def backfill_audit(limit: int = 50) -> BackfillAudit:
    """The facts `check_mini_analyses` prints: counts, then the oldest `limit` rows of each list."""
    without_lead = mini_analyses_without_lead()
    to_migrate = [
        MiniAnalysisRow(*row)
        for row in without_lead.order_by("created_at", "pk").values_list(
            "pk", "created_at", "brand_name", "email", "status"
        )[:limit]
    ]
    failures = lead_sync_failures_without_lead()
    failed = [
        MiniAnalysisRow(*row)
        for row in failures.order_by("created_at", "pk").values_list(
            "mini_analysis_id",
            "mini_analysis__created_at",
            "mini_analysis__brand_name",
            "mini_analysis__email",
            "mini_analysis__status",
            "error",
        )[:limit]
    ]
    return BackfillAudit(
        mini_analyses=MiniAnalysis.objects.count(),
        leads=Lead.objects.count(),
        without_lead=without_lead.count(),
        to_migrate=to_migrate,
        lead_sync_failures=LeadSyncFailure.objects.count(),
        failures_without_lead=failures.count(),
        failed=failed,
    )


def active_staff() -> QuerySet:
    """The accounts a prospect, an action's selection or an activity may be given to: active
    staff, by user name. (Automatic assignment picks among the Sales group: `crm.assignment`.)"""
    return get_user_model().objects.filter(is_staff=True, is_active=True).order_by("username")
