"""The dashboard's figures against a known dataset, its scope, and its constant query count."""

import datetime as dt
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from crm import services
from crm.dashboard import StageAmount, clear_figures_cache, dashboard_figures
from crm.models import (
    Activity,
    ActivityKind,
    Company,
    Contact,
    DisqualificationReason,
    Lead,
    LeadStage,
    LossReason,
    Opportunity,
    OpportunityStage,
    Source,
)

from .factories import LeadFactory, SalesPersonFactory, UserFactory

pytestmark = pytest.mark.django_db

NOW = timezone.make_aware(dt.datetime(2026, 3, 18, 12, 0))  # a Wednesday, server time zone
H = timedelta(hours=1)


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime(year, month, day, hour, minute))


@pytest.fixture(autouse=True)
def _english():
    clear_figures_cache()
    with translation.override("en"):
        yield
    clear_figures_cache()


@pytest.fixture
def team():
    return {
        "boss": UserFactory(username="boss", is_superuser=True),
        "alice": SalesPersonFactory(username="alice", first_name="Alice", last_name="Martin"),
        "bob": SalesPersonFactory(username="bob"),
    }


def lead(created_at, source, stage, assignee=None, **fields) -> Lead:
    if stage == LeadStage.CONVERTED:
        fields["contact"] = Contact.objects.create(email=f"c{Lead.objects.count()}@example.com")
        fields["converted_at"] = created_at + timedelta(days=1)
    if stage == LeadStage.DISQUALIFIED:
        fields["disqualification_reason"] = DisqualificationReason.objects.first()
    return LeadFactory(created_at=created_at, source=source, stage=stage, assigned_to=assignee, **fields)


def activity(kind, lead_row, *, done_at=None, due_at=None, owner=None) -> Activity:
    """Recorded as every writer does (`services.record_activity`), so the prospect's first contact is kept."""
    row = Activity(kind=kind, subject=kind, lead=lead_row, done_at=done_at, due_at=due_at, owner=owner)
    return services.record_activity(row, user=owner)


def opportunity(owner, stage_name, amount, currency="EUR") -> Opportunity:
    number = Opportunity.objects.count()
    stage = OpportunityStage.objects.get(name=stage_name)
    return Opportunity.objects.create(
        name=f"Deal {number}",
        company=Company.objects.create(name=f"Company {number}"),
        contact=Contact.objects.create(email=f"deal{number}@example.com"),
        stage=stage,
        amount=Decimal(amount),
        currency=currency,
        owner=owner,
        won_at=NOW if stage.is_won else None,
        lost_at=NOW if stage.is_lost else None,
        loss_reason=LossReason.objects.first() if stage.is_lost else None,
    )


@pytest.fixture
def dataset(team):
    alice, bob = team["alice"], team["bob"]
    mini, migration, manual = Source.MINI_ANALYSIS, Source.MIGRATION, Source.MANUAL
    leads = {
        "l1": lead(at(2026, 3, 16, 9), mini, LeadStage.NEW),
        "l2": lead(at(2026, 3, 17, 10), mini, LeadStage.ATTEMPTING, alice),
        "l3": lead(at(2026, 3, 18, 8), manual, LeadStage.CONNECTED, bob),
        "l4": lead(at(2026, 3, 10, 12), migration, LeadStage.QUALIFIED, alice),
        "l5": lead(at(2025, 12, 29, 0, 30), mini, LeadStage.CONVERTED, alice),  # first day of the 12 weeks
        "l6": lead(at(2025, 12, 28, 23, 30), mini, LeadStage.DISQUALIFIED, bob),  # the day before
        "l8": lead(at(2026, 3, 19, 9), manual, LeadStage.NEW),  # tomorrow: left out
        "l9": lead(at(2026, 2, 2, 15), mini, LeadStage.CONVERTED, bob),
        "l10": lead(at(2026, 1, 15, 15), manual, LeadStage.DISQUALIFIED, bob),
    }
    call, email, meeting = ActivityKind.CALL, ActivityKind.EMAIL, ActivityKind.MEETING
    activity(ActivityKind.NOTE, leads["l2"], done_at=at(2026, 3, 17, 10, 30))  # a note is no contact
    activity(email, leads["l2"], done_at=at(2026, 3, 17, 11), owner=alice)  # first: 1 h
    activity(call, leads["l2"], done_at=at(2026, 3, 17, 12), owner=alice)
    activity(meeting, leads["l3"], done_at=at(2026, 3, 18, 11), owner=bob)  # 3 h
    activity(call, leads["l4"], done_at=at(2026, 3, 11, 12), owner=alice)  # 24 h
    activity(email, leads["l5"], done_at=at(2025, 12, 29, 6, 30), owner=alice)  # 6 h
    activity(call, leads["l5"], done_at=at(2025, 12, 29, 6, 30), owner=alice)  # same moment: one contact
    activity(call, leads["l6"], done_at=at(2025, 12, 29, 0, 30), owner=bob)  # outside the period

    task = ActivityKind.TASK
    activity(task, leads["l2"], due_at=at(2026, 3, 17, 9), owner=alice)  # overdue
    activity(task, leads["l4"], due_at=at(2026, 3, 18, 11), owner=alice)  # overdue by an hour
    activity(task, leads["l4"], due_at=at(2026, 3, 18, 13), owner=alice)  # not yet due
    activity(task, leads["l2"], due_at=at(2026, 3, 1), done_at=at(2026, 3, 2), owner=alice)  # done
    activity(task, leads["l3"], due_at=at(2026, 3, 10), owner=bob)  # overdue
    activity(task, leads["l1"], due_at=at(2026, 3, 15))  # overdue, nobody's

    opportunity(alice, "Qualification", "1000")
    opportunity(alice, "Proposal", "2000")
    opportunity(bob, "Proposal", "3000", "ILS")
    opportunity(bob, "Proposal", "500")
    opportunity(alice, "Won", "9999")
    opportunity(bob, "Lost", "100")
    return leads


def inflow_table(figures) -> dict:
    return {
        week.week: {count.source: count.count for count in week.counts if count.count}
        for week in figures.inflow
        if week.total
    }


def test_team_figures_match_the_known_dataset(team, dataset):
    figures = dashboard_figures(team["boss"], now=NOW)

    assert figures.team
    assert figures.since == dt.date(2025, 12, 29)
    assert [week.week for week in figures.inflow][-1] == dt.date(2026, 3, 16)
    assert len(figures.inflow) == 12
    assert inflow_table(figures) == {
        dt.date(2025, 12, 29): {"mini-analysis": 1},
        dt.date(2026, 1, 12): {"manual": 1},
        dt.date(2026, 2, 2): {"mini-analysis": 1},
        dt.date(2026, 3, 9): {"mini-analysis-migration": 1},
        dt.date(2026, 3, 16): {"mini-analysis": 2, "manual": 1},
    }
    assert figures.inflow_total == 7

    assert {bar.key: bar.count for bar in figures.funnel} == {
        "NEW": 1,
        "ATTEMPTING": 1,
        "CONNECTED": 1,
        "QUALIFIED": 1,
        "CONVERTED": 2,
        "DISQUALIFIED": 1,
    }
    assert (figures.created, figures.converted) == (7, 2)
    assert figures.conversion_rate == pytest.approx(200 / 7)

    # First contacts 1 h, 3 h, 6 h and 24 h: the median of an even count is the mean of the middle two.
    assert figures.contacted == 4
    assert figures.median_first_contact == timedelta(hours=4.5)

    pipeline = {stage.name: stage for stage in figures.pipeline}
    assert list(pipeline) == ["Qualification", "Meeting", "Proposal", "Negotiation"]
    assert {name: stage.count for name, stage in pipeline.items()} == {
        "Qualification": 1,
        "Meeting": 0,
        "Proposal": 3,
        "Negotiation": 0,
    }
    assert pipeline["Proposal"].amounts == [
        StageAmount("EUR", Decimal("2500"), Decimal("1250")),
        StageAmount("ILS", Decimal("3000"), Decimal("1500")),
    ]
    assert pipeline["Meeting"].amounts == []
    assert figures.pipeline_totals == [
        StageAmount("EUR", Decimal("3500"), Decimal("1350")),
        StageAmount("ILS", Decimal("3000"), Decimal("1500")),
    ]

    assert [(bar.label, bar.count) for bar in figures.overdue] == [
        ("Alice Martin", 2),
        ("bob", 1),
        ("Unassigned", 1),
    ]


def test_a_sales_person_sees_their_own_figures_and_the_unassigned_inflow(team, dataset):
    figures = dashboard_figures(team["alice"], now=NOW)

    assert not figures.team
    # Their own prospects and the unassigned ones they may take (`crm.visibility.visible_leads`).
    assert inflow_table(figures) == {
        dt.date(2025, 12, 29): {"mini-analysis": 1},
        dt.date(2026, 3, 9): {"mini-analysis-migration": 1},
        dt.date(2026, 3, 16): {"mini-analysis": 2},
    }
    # Personal figures: the prospects assigned to them only.
    assert {bar.key: bar.count for bar in figures.funnel if bar.count} == {
        "ATTEMPTING": 1,
        "QUALIFIED": 1,
        "CONVERTED": 1,
    }
    assert (figures.created, figures.converted) == (3, 1)
    assert figures.contacted == 3
    assert figures.median_first_contact == timedelta(hours=6)  # 1 h, 6 h, 24 h
    assert {stage.name: stage.count for stage in figures.pipeline} == {
        "Qualification": 1,
        "Meeting": 0,
        "Proposal": 1,
        "Negotiation": 0,
    }
    assert figures.pipeline_totals == [StageAmount("EUR", Decimal("3000"), Decimal("1100"))]
    assert [(bar.label, bar.count) for bar in figures.overdue] == [("Alice Martin", 2)]


def test_empty_database_gives_zero_figures_and_no_median(team):
    figures = dashboard_figures(team["bob"], now=NOW)

    assert figures.inflow_total == 0
    assert figures.created == 0
    assert figures.conversion_rate is None
    assert (figures.contacted, figures.median_first_contact) == (0, None)
    assert figures.overdue == []
    assert all(stage.count == 0 for stage in figures.pipeline)


def test_bars_are_scaled_against_the_largest_figure(team, dataset):
    figures = dashboard_figures(team["boss"], now=NOW)

    assert {bar.key: bar.percent for bar in figures.funnel}["CONVERTED"] == 100
    assert {bar.key: bar.percent for bar in figures.funnel}["NEW"] == 50
    assert [bar.percent for bar in figures.overdue] == [100, 50, 50]


def make_leads(count: int, alice) -> None:
    now = timezone.now()
    for number in range(count):
        created = now - timedelta(days=number % 80, hours=1)
        row = lead(created, Source.MINI_ANALYSIS, LeadStage.ATTEMPTING, alice if number % 2 else None)
        activity(ActivityKind.CALL, row, done_at=created + H, owner=alice)
        activity(ActivityKind.TASK, row, due_at=now - H, owner=alice)
        opportunity(alice, "Proposal", str(100 + number))


def page_queries(client, user) -> tuple[int, str]:
    client.force_login(user)
    clear_figures_cache()
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/admin/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    return len(queries), response.content.decode()


# The session, the user, the figures' queries; a sales person's permissions take one more
# (`igv_site.auth_backends`: Django's backend read them in two).
@pytest.mark.parametrize(("username", "queries"), [("boss", 7), ("alice", 8)])
def test_the_admin_home_page_takes_the_same_few_queries_for_10_or_50_prospects(
    client, team, username, queries
):
    user = team[username]
    make_leads(10, team["alice"])
    small, _ = page_queries(client, user)
    make_leads(40, team["alice"])
    larger, html = page_queries(client, user)

    assert small == larger
    assert larger == queries
    assert 'class="crm-dashboard"' in html


def test_the_dashboard_shows_on_the_admin_home_page_with_its_figures(client, team, dataset):
    client.force_login(team["boss"])
    response = client.get("/admin/", HTTP_ACCEPT_LANGUAGE="en")

    html = response.content.decode()
    assert response.status_code == 200
    assert "New prospects per week" in html
    assert "Open pipeline" in html
    assert "Alice Martin" in html
    assert "style=" not in html.split('class="crm-dashboard"')[1].split("</section>")[0]


def test_figures_are_kept_a_minute_per_scope_and_language(client, team):
    make_leads(3, team["alice"])
    first, _ = page_queries(client, team["boss"])
    with CaptureQueriesContext(connection) as queries:
        again = client.get("/admin/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert len(queries) == first - 4  # none of the dashboard's four
    assert 'class="crm-dashboard"' in again
    with CaptureQueriesContext(connection) as queries:
        client.get("/admin/", HTTP_ACCEPT_LANGUAGE="he")
    assert len(queries) == first  # another language: computed again


@pytest.mark.parametrize(
    ("language", "heading"),
    [("fr", "Nouveaux prospects par semaine, par source"), ("he", "לוח מחוונים של המכירות: הצוות")],
)
def test_the_dashboard_reads_in_french_and_hebrew(client, team, dataset, language, heading):
    client.force_login(team["boss"])
    response = client.get("/admin/", HTTP_ACCEPT_LANGUAGE=language)

    assert response.status_code == 200
    assert heading in response.content.decode()


def test_a_staff_member_without_access_to_prospects_sees_no_dashboard(client, team):
    client.force_login(UserFactory(username="clerk"))
    response = client.get("/admin/")

    assert response.status_code == 200
    assert 'class="crm-dashboard"' not in response.content.decode()
