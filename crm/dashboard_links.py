"""Where each count of the dashboard leads: the admin list filtered to exactly the rows it counts,
or My day for the overdue tasks.

The filters restate `crm.dashboard`'s: the period is [Monday 12 weeks ago, tomorrow) in local
time, a week is [its Monday, the next one) cut at tomorrow; a sales person's funnel, conversion and
contact figures count their assigned prospects (`assigned_to`), their inflow every prospect they
may see, which is what the prospects list shows them anyway. `crm/tests/test_dashboard_links.py`
checks each count against its list's row count.
"""

from datetime import date, timedelta

from django.urls import reverse
from django.utils.http import urlencode

from .dashboard import Bar, DashboardFigures, PipelineStage
from .my_day import NOBODY, start_of_day


def _leads(query: list[tuple[str, object]]) -> str:
    return f"{reverse('admin:crm_lead_changelist')}?{urlencode(query)}"


def _created(start: date, end: date) -> list[tuple[str, str]]:
    return [
        ("created_at__gte", start_of_day(start).isoformat()),
        ("created_at__lt", start_of_day(end).isoformat()),
    ]


def _period(figures: DashboardFigures) -> list[tuple[str, str]]:
    return _created(figures.since, figures.today + timedelta(days=1))


def _own(figures: DashboardFigures, user) -> list[tuple[str, object]]:
    return [] if figures.team else [("assigned_to__id__exact", user.pk)]


def inflow_url(figures: DashboardFigures, week: date | None = None, source: str = "") -> str:
    """The prospects of a week (or of the whole period), of one source or all."""
    if week is None:
        query = _period(figures)
    else:
        query = _created(week, min(week + timedelta(weeks=1), figures.today + timedelta(days=1)))
    if source:
        query.append(("source__exact", source))
    return _leads(query)


def own_leads_url(figures: DashboardFigures, user, *, stage: str = "", contacted: bool = False) -> str:
    """The period's prospects the personal figures count: by stage, the contacted ones, or all."""
    query = [*_period(figures), *_own(figures, user)]
    if stage:
        query.append(("stage__exact", stage))
    if contacted:
        query.append(("first_contacted_at__isnull", "False"))
    return _leads(query)


def overdue_url(figures: DashboardFigures, bar: Bar) -> str:
    """My day of the bar's owner, whose first group is exactly these overdue tasks."""
    url = reverse("admin:crm_my_day")
    if not figures.team:
        return url
    return f"{url}?{urlencode({'owner': bar.key or NOBODY})}"


def pipeline_url(stage: PipelineStage) -> str:
    """The opportunities of an open stage (the list shows the ones the user may see, as counted)."""
    return f"{reverse('admin:crm_opportunity_changelist')}?{urlencode({'stage__id__exact': stage.pk})}"
