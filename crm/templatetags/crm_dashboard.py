"""`{% crm_dashboard %}`: the sales dashboard, wherever a template includes it (the admin index).

The figures come from `crm.dashboard.dashboard_context`; this module only lays them out: the
inflow chart's SVG geometry and the human form of a delay.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from django import template
from django.utils.formats import number_format
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from crm import dashboard_links
from crm.dashboard import Bar, DashboardFigures, PipelineStage, dashboard_context

register = template.Library()

# The inflow chart's viewBox: 12 columns of COLUMN units, bars PLOT_HEIGHT high at most.
COLUMN = 50
BAR_WIDTH = 30
PLOT_TOP = 16
PLOT_HEIGHT = 150


@dataclass(frozen=True)
class Segment:
    source_index: int
    label: str
    count: int
    y: float
    height: float


@dataclass(frozen=True)
class Column:
    week: date
    total: int
    x: int
    center: int
    top: float
    segments: list[Segment]


@register.inclusion_tag("crm/dashboard.html", takes_context=True)
def crm_dashboard(context: template.Context) -> dict:
    """The dashboard of the signed-in user; nothing for a user who may not view prospects."""
    request = context["request"]
    return {**dashboard_context(request), "request": request}


@register.simple_tag
def inflow_columns(figures: DashboardFigures) -> list[Column]:
    """Stacked columns, oldest week on the left, scaled against the busiest week."""
    largest = figures.inflow_largest or 1
    columns = []
    for index, week in enumerate(figures.inflow):
        bottom = PLOT_TOP + PLOT_HEIGHT
        segments = []
        for source_index, item in enumerate(week.counts):
            if not item.count:
                continue
            height = round(item.count * PLOT_HEIGHT / largest, 2)
            bottom = round(bottom - height, 2)
            segments.append(Segment(source_index, item.label, item.count, bottom, height))
        x = index * COLUMN + (COLUMN - BAR_WIDTH) // 2
        columns.append(Column(week.week, week.total, x, index * COLUMN + COLUMN // 2, bottom, segments))
    return columns


@register.filter
def delay(value: timedelta | None) -> str:
    """A delay as minutes, hours or days with one decimal, in the reader's number format."""
    if value is None:
        return "–"
    hours = value.total_seconds() / 3600
    if hours < 1:
        return _("%(value)s min") % {"value": number_format(hours * 60, 0)}
    if hours < 48:
        return _("%(value)s h") % {"value": number_format(hours, 1)}
    return _("%(value)s days") % {"value": number_format(hours / 24, 1)}


# Every count of the dashboard is a link to the rows it counts (`crm.dashboard_links`).


@register.simple_tag
def count_link(url: str, count: int) -> SafeString:
    """A count as a link to its rows, in the reader's number format."""
    return format_html(
        '<a class="crm-dash-count-link" href="{}">{}</a>', url, number_format(count, 0, force_grouping=True)
    )


@register.simple_tag
def inflow_url(figures: DashboardFigures, week: date | None = None, source: str = "") -> str:
    return dashboard_links.inflow_url(figures, week, source)


@register.simple_tag(takes_context=True)
def own_leads_url(
    context: template.Context, figures: DashboardFigures, stage: str = "", contacted: bool = False
) -> str:
    return dashboard_links.own_leads_url(figures, context["request"].user, stage=stage, contacted=contacted)


@register.simple_tag
def overdue_url(figures: DashboardFigures, bar: Bar) -> str:
    return dashboard_links.overdue_url(figures, bar)


@register.simple_tag
def pipeline_url(stage: PipelineStage) -> str:
    return dashboard_links.pipeline_url(stage)
