"""The sales dashboard on the admin's home page: every figure is one set-based query.

`dashboard_figures(user)` reads; `dashboard_context(request)` is what a template needs (the
partial `crm/dashboard.html`, included from the admin index through the `crm_dashboard` tag).

Each figure is a GROUP BY over a bounded period, so the queries walk the `created_at`
index instead of the whole table: four queries whatever the table sizes. The period is the current
week (Monday first, in the server's time zone) and the 11 before it, shown on the page.

- Inflow: the period's prospects per week and source.
- Funnel and conversion: the period's prospects by their current sales stage, from the same
  query; the conversion rate is the converted share of them.
- Time to first contact: for those prospects, their first call, email or meeting (kept on the
  prospect as `first_contacted_at` by `crm.services`) minus their creation; the exact median (the
  mean of the two middle values for an even count): the inflow query counts them, one more reads
  the middle one or two delays in order. The activities table is never read.
- Open pipeline: the opportunities in the stages neither won nor lost, by stage and currency
  (amounts in different currencies are never added); weighted = amount x the stage's probability.
- Overdue next actions: open tasks due before now, by owner (My day's overdue group: `crm.my_day`).

Scope: a superuser sees the team. A sales person sees the inflow they may pick from (their own and
the unassigned prospects: `crm.visibility.visible_leads`), and otherwise their own figures only: their
assigned prospects, the opportunities and tasks they own (see `_scope`).
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.cache.backends.locmem import LocMemCache
from django.db.models import (
    BooleanField,
    Case,
    Count,
    DateField,
    DurationField,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from . import visibility
from .display import user_name
from .models import Activity, Currency, Lead, LeadStage, Opportunity, OpportunityStage, Source
from .my_day import queue_tasks

PERIOD_WEEKS = 12
FUNNEL_STAGES = [
    LeadStage.NEW,
    LeadStage.ATTEMPTING,
    LeadStage.CONNECTED,
    LeadStage.QUALIFIED,
    LeadStage.CONVERTED,
    LeadStage.DISQUALIFIED,
]


def _percent(value: int | Decimal, largest: int | Decimal) -> int:
    """A bar's length, 0 to 100, for the `dash-w-N` / SVG width; a non-zero value shows at least 1."""
    if not largest or not value:
        return 0
    return max(1, round(value * 100 / largest))


@dataclass(frozen=True)
class SourceCount:
    source: str
    label: str
    count: int


@dataclass
class InflowWeek:
    week: date  # the Monday
    counts: list[SourceCount]

    @property
    def total(self) -> int:
        return sum(item.count for item in self.counts)


@dataclass(frozen=True)
class Bar:
    """One labelled figure of a bar chart; `percent` is its length against the chart's largest."""

    key: str
    label: str
    count: int
    percent: int


@dataclass(frozen=True)
class StageAmount:
    currency: str
    amount: Decimal
    weighted: Decimal


@dataclass
class PipelineStage:
    name: str
    probability: int
    count: int
    percent: int
    amounts: list[StageAmount]
    pk: int | None = None  # the stage's, for the link to its opportunities


@dataclass
class DashboardFigures:
    """What the dashboard shows; `team` is False when the figures are one sales person's own."""

    team: bool
    since: date  # the Monday the period starts
    inflow: list[InflowWeek]
    funnel: list[Bar]
    created: int
    converted: int
    contacted: int
    median_first_contact: timedelta | None
    pipeline: list[PipelineStage]
    pipeline_totals: list[StageAmount]
    overdue: list[Bar]
    today: date | None = None  # the period's last day (the counts' links end with it)
    sources: list[tuple[str, str]] = field(default_factory=lambda: list(Source.choices))

    @property
    def conversion_rate(self) -> float | None:
        """Converted share of the prospects created in the period, in percent."""
        return self.converted * 100 / self.created if self.created else None

    @property
    def inflow_largest(self) -> int:
        return max((week.total for week in self.inflow), default=0)

    @property
    def inflow_total(self) -> int:
        return sum(week.total for week in self.inflow)


@dataclass(frozen=True)
class _Scope:
    """The rows behind the figures, from `crm.visibility`."""

    team: bool
    visible_leads: QuerySet[Lead]
    own_leads: Q  # among the visible ones, those the personal figures count
    opportunities: QuerySet[Opportunity]
    activities: QuerySet[Activity]


def _scope(user) -> _Scope:
    """Who sees what: `crm.visibility` for every model; the personal figures among it.

    A sales person's personal figures count their assigned prospects only (the unassigned ones
    would dilute their conversion rate); their inflow chart also shows the unassigned prospects
    they may take, exactly what `visibility.visible_leads` shows them. Their overdue tasks are
    the visible tasks they own.
    """
    visible = visibility.visible_leads(user)
    opportunities = visibility.visible_opportunities(user)
    activities = visibility.visible_activities(user)
    if visibility.sees_everything(user):
        return _Scope(True, visible, Q(), opportunities, activities)
    return _Scope(False, visible, Q(assigned_to=user), opportunities, activities.filter(owner=user))


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def dashboard_figures(user, *, now: datetime | None = None) -> DashboardFigures:
    """The dashboard's figures for `user`, as of `now` (default: the current time)."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    this_week = today - timedelta(days=today.weekday())
    since = this_week - timedelta(weeks=PERIOD_WEEKS - 1)
    scope = _scope(user)
    # Leads dated in the future (a clock skew, an import) are left out.
    period_leads = scope.visible_leads.filter(
        created_at__gte=_start_of(since), created_at__lt=_start_of(today + timedelta(days=1))
    )
    inflow, funnel, created, converted, contacted = _inflow_and_funnel(period_leads, scope.own_leads, since)
    median = _median_first_contact(period_leads.filter(scope.own_leads), contacted)
    pipeline, totals = _pipeline(scope.opportunities)
    return DashboardFigures(
        team=scope.team,
        since=since,
        inflow=inflow,
        funnel=funnel,
        created=created,
        converted=converted,
        contacted=contacted,
        median_first_contact=median,
        pipeline=pipeline,
        pipeline_totals=totals,
        overdue=_overdue(scope.activities, now),
        today=today,
    )


def _inflow_and_funnel(
    leads: QuerySet[Lead], own: Q, since: date
) -> tuple[list[InflowWeek], list[Bar], int, int, int]:
    """One GROUP BY over the period's leads (week, source, stage, own) gives both charts, and how
    many of the own ones were contacted.

    At most 12 weeks x 3 sources x 6 stages x 2 rows come back, whatever the table's size. The
    week is a CASE over the 12 Mondays (local midnight), cheaper per row than a time zone
    conversion and the same on SQLite and PostgreSQL.
    """
    weeks = [since + timedelta(weeks=offset) for offset in range(PERIOD_WEEKS)]
    counts: dict[tuple[date, str], int] = defaultdict(int)
    by_stage: dict[str, int] = defaultdict(int)
    contacted = 0
    rows = (
        leads.order_by()
        .annotate(
            week=Case(
                *(When(created_at__gte=_start_of(week), then=Value(week)) for week in reversed(weeks)),
                output_field=DateField(),
            ),
            own=ExpressionWrapper(own, output_field=BooleanField()) if own else Value(True),
        )
        .values("week", "source", "stage", "own")
        .annotate(count=Count("*"), contacted=Count("first_contacted_at"))  # COUNT(col): its non-null values
        .values_list("week", "source", "stage", "own", "count", "contacted")
    )
    for week, source, stage, is_own, count, contacted_count in rows:
        counts[week, source] += count
        if is_own:
            by_stage[stage] += count
            contacted += contacted_count
    inflow = [
        InflowWeek(
            week, [SourceCount(source, label, counts[week, source]) for source, label in Source.choices]
        )
        for week in weeks
    ]
    largest = max(by_stage.values(), default=0)
    funnel = [
        Bar(stage.value, stage.label, by_stage[stage], _percent(by_stage[stage], largest))
        for stage in FUNNEL_STAGES
    ]
    return inflow, funnel, sum(by_stage.values()), by_stage[LeadStage.CONVERTED], contacted


def _median_first_contact(leads: QuerySet[Lead], contacted: int) -> timedelta | None:
    """The exact median delay from creation to first contact of the `contacted` ones of `leads`.

    The delays in order, from the middle one (odd count) or two (even count): the database sorts
    the period's contacted leads and returns at most two rows.
    """
    if not contacted:
        return None
    middle = (contacted - 1) // 2
    delays = list(
        leads.filter(first_contacted_at__isnull=False)
        .annotate(
            delay=ExpressionWrapper(F("first_contacted_at") - F("created_at"), output_field=DurationField())
        )
        .order_by("delay")
        .values_list("delay", flat=True)[middle : middle + 2 - contacted % 2]
    )
    if not delays:  # leads changed between the two queries: no median rather than a wrong one
        return None
    return sum(delays, timedelta()) / len(delays)


def _pipeline(opportunities: QuerySet[Opportunity]) -> tuple[list[PipelineStage], list[StageAmount]]:
    """Open stages in board order, each with its opportunities' count and amount per currency.

    One query: the stages, each with correlated aggregates over its visible opportunities (the
    stage index answers them), so empty stages show too.
    """

    def total(aggregate, **filters) -> Subquery:
        rows = opportunities.filter(stage=OuterRef("pk"), **filters).order_by().values("stage")
        return Subquery(rows.annotate(total=aggregate).values("total"))

    amounts = {currency: total(Sum("amount"), currency=currency) for currency in Currency.values}
    rows = (
        OpportunityStage.objects.filter(is_won=False, is_lost=False)
        .order_by("order", "pk")
        .annotate(
            count=total(Count("pk")), **{f"amount_{currency}": amounts[currency] for currency in amounts}
        )
        .values("pk", "name", "probability", "count", *(f"amount_{currency}" for currency in amounts))
    )
    stages = []
    totals: dict[str, list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0)])
    for row in rows:
        stage_amounts = []
        for currency in amounts:
            if (amount := row[f"amount_{currency}"]) is not None:
                weighted = amount * row["probability"] / 100
                stage_amounts.append(StageAmount(currency, amount, weighted))
                totals[currency][0] += amount
                totals[currency][1] += weighted
        stages.append(
            PipelineStage(
                _(row["name"]), row["probability"], row["count"] or 0, 0, stage_amounts, pk=row["pk"]
            )
        )
    largest = max((stage.count for stage in stages), default=0)
    for stage in stages:
        stage.percent = _percent(stage.count, largest)
    return stages, [
        StageAmount(currency, amount, weighted) for currency, (amount, weighted) in sorted(totals.items())
    ]


def _overdue(activities: QuerySet[Activity], now: datetime) -> list[Bar]:
    """Open tasks due before `now`, by owner: My day's overdue group (`crm.my_day.queue_tasks`)."""
    rows = list(
        queue_tasks(activities)
        .filter(due_at__lt=now)
        .order_by()
        .values_list("owner", "owner__username", "owner__first_name", "owner__last_name")
        .annotate(count=Count("id"))
        .order_by("-count", F("owner__username").asc(nulls_last=True))
    )
    largest = max((row[4] for row in rows), default=0)
    return [
        Bar(
            str(owner or ""),
            user_name(get_user_model()(username=username, first_name=first, last_name=last))
            if owner
            else _("Unassigned"),
            count,
            _percent(count, largest),
        )
        for owner, username, first, last, count in rows
    ]


# Figures are kept a minute in each process: a manager reloading the home page, or a team opening
# it at nine, costs the aggregates once a minute. Per process on purpose: the shared cache is
# the database by default, and reading it would cost more queries than it saves.
FIGURES_CACHE_SECONDS = 60
_figures_cache = LocMemCache("crm-dashboard", {"TIMEOUT": FIGURES_CACHE_SECONDS, "MAX_ENTRIES": 1000})


def dashboard_context(request: HttpRequest) -> dict:
    """The partial's context: nothing for a user who may not view prospects.

    The team's figures are shared by the superusers; each sales person has their own. The key
    holds the language, as the figures carry translated labels, and the time zone, which draws
    the weeks and "today".
    """
    user = request.user
    if not user.has_perm("crm.view_lead"):
        return {"dashboard": None}
    who = "team" if visibility.sees_everything(user) else user.pk
    key = f"{who}:{get_language()}:{timezone.get_current_timezone_name()}"
    figures = _figures_cache.get(key)
    if figures is None:
        figures = dashboard_figures(user)
        _figures_cache.set(key, figures)
    return {"dashboard": figures}


def clear_figures_cache() -> None:
    """Forget the kept figures (tests; a deployment never needs it, they expire within a minute)."""
    _figures_cache.clear()


def dashboard_callback(request: HttpRequest, context: dict) -> dict:
    """For a theme's dashboard hook (django-unfold's `DASHBOARD_CALLBACK`): the same context."""
    context.update(dashboard_context(request))
    return context
