"""Every count on the dashboard is a link, and the page it opens shows exactly the rows it counts:
for a manager (the team) and for a sales person (their own figures), followed one by one."""

import html
import re
from datetime import timedelta

import pytest
from django.utils import timezone, translation

from crm import services
from crm.dashboard import clear_figures_cache
from crm.models import Activity, ActivityKind, Contact, LeadStage, OpportunityStage, Source

from .factories import LeadFactory, OpportunityFactory, SalesPersonFactory, UserFactory

pytestmark = pytest.mark.django_db

COUNT_LINK = re.compile(r'<a class="crm-dash-count-link" href="([^"]+)">([^<]+)</a>')


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
        "alice": SalesPersonFactory(username="alice"),
        "bob": SalesPersonFactory(username="bob"),
    }


@pytest.fixture
def dataset(team):
    """Prospects over the period (and one before it), of every source and several stages, some
    contacted; opportunities in open and closed stages; overdue tasks of each person and nobody."""
    now = timezone.now()
    alice, bob = team["alice"], team["bob"]
    sources = list(Source.values)
    stages = [LeadStage.NEW, LeadStage.ATTEMPTING, LeadStage.QUALIFIED]
    for number, days_ago in enumerate([0, 1, 6, 9, 20, 33, 50, 78, 100]):
        assignee = [alice, bob, None][number % 3]
        LeadFactory(
            created_at=now - timedelta(days=days_ago, hours=1),
            source=sources[number % len(sources)],
            stage=stages[number % len(stages)],
            assigned_to=assignee,
            first_contacted_at=now if number % 2 else None,
        )
    converted = LeadFactory(created_at=now - timedelta(days=3), assigned_to=alice)
    contact = Contact.objects.create(email="converted@example.com", owner=alice)
    converted.stage, converted.contact, converted.converted_at = LeadStage.CONVERTED, contact, now
    converted.save()
    for owner, stage in [(alice, "Qualification"), (bob, "Qualification"), (alice, "Proposal"), (bob, None)]:
        stage_row = (
            OpportunityStage.objects.get(name=stage) if stage else OpportunityStage.objects.get(is_lost=True)
        )
        OpportunityFactory(owner=owner, stage=stage_row)
    for owner in [alice, alice, bob, None]:
        lead = LeadFactory(assigned_to=owner or alice, created_at=now - timedelta(days=200))
        Activity.objects.create(
            kind=ActivityKind.TASK, subject="Late", due_at=now - timedelta(hours=3), owner=owner, lead=lead
        )
        services.refresh_next_action(lead=lead)


def rows_on(client, url: str) -> int:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code, response.get("Location"))
    if "day" in response.context:
        day = response.context["day"]
        assert len(day.overdue) == day.overdue_count
        return day.overdue_count
    changelist = response.context["cl"]
    assert not changelist.multi_page, url
    return len(changelist.result_list)


@pytest.mark.parametrize("person", ["boss", "alice"])
def test_every_count_on_the_dashboard_opens_exactly_the_rows_it_counts(client, team, dataset, person):
    client.force_login(team[person])
    page = client.get("/admin/").content.decode()

    links = [(html.unescape(url), int(count.replace(",", ""))) for url, count in COUNT_LINK.findall(page)]

    # 12 weeks x (3 sources + the week's total), the 12 weeks' total, converted, created (twice),
    # contacted,
    # the 6 funnel stages, the open pipeline's stages, the overdue tasks' owners.
    open_stages = OpportunityStage.objects.filter(is_won=False, is_lost=False).count()
    owners = 3 if person == "boss" else 1
    assert len(links) == 12 * 4 + 1 + 4 + 6 + open_stages + owners
    assert sum(count for _, count in links) > 0
    for url, count in links:
        assert rows_on(client, url) == count, url


def test_the_overdue_counts_open_my_day_of_their_owner(client, team, dataset):
    client.force_login(team["boss"])
    page = client.get("/admin/").content.decode()

    assert f'href="/admin/crm/my-day/?owner={team["alice"].pk}">2</a>' in page
    assert 'href="/admin/crm/my-day/?owner=none">1</a>' in page
