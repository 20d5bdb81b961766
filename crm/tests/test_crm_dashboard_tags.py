"""The dashboard's layout helpers: the inflow chart's geometry and the human form of a delay."""

import datetime as dt
from datetime import timedelta

import pytest
from django.utils import translation

from crm.dashboard import DashboardFigures, InflowWeek, SourceCount
from crm.templatetags.crm_dashboard import PLOT_HEIGHT, PLOT_TOP, delay, inflow_columns


@pytest.mark.parametrize(
    ("value", "english", "french"),
    [
        (None, "–", "–"),
        (timedelta(minutes=42), "42 min", "42 min"),
        (timedelta(hours=4, minutes=30), "4.5 h", "4,5 h"),
        (timedelta(days=3, hours=12), "3.5 days", "3,5 jours"),
    ],
)
def test_a_delay_reads_in_minutes_hours_or_days_in_the_reader_s_number_format(value, english, french):
    with translation.override("en"):
        assert delay(value) == english
    with translation.override("fr"):
        assert delay(value) == french


def figures_with(weeks: list[list[int]]) -> DashboardFigures:
    start = dt.date(2026, 1, 5)
    inflow = [
        InflowWeek(
            start + timedelta(weeks=index),
            [SourceCount(f"s{n}", f"Source {n}", count) for n, count in enumerate(counts)],
        )
        for index, counts in enumerate(weeks)
    ]
    return DashboardFigures(
        team=True,
        since=start,
        inflow=inflow,
        funnel=[],
        created=0,
        converted=0,
        contacted=0,
        median_first_contact=None,
        pipeline=[],
        pipeline_totals=[],
        overdue=[],
    )


def test_inflow_columns_stack_the_sources_from_the_axis_up_against_the_busiest_week():
    columns = inflow_columns(figures_with([[2, 0, 2], [1, 1, 0], [0, 0, 0]]))

    busiest, middle, empty = columns
    assert [(segment.source_index, segment.height) for segment in busiest.segments] == [
        (0, PLOT_HEIGHT / 2),
        (2, PLOT_HEIGHT / 2),
    ]
    assert busiest.top == PLOT_TOP  # the busiest week fills the plot
    assert middle.segments[0].y + middle.segments[0].height == PLOT_TOP + PLOT_HEIGHT
    assert middle.segments[1].y + middle.segments[1].height == middle.segments[0].y
    assert (empty.total, empty.segments) == (0, [])
    assert [column.x for column in columns] == [10, 60, 110]
