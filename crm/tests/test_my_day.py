"""My day's queue (`crm.my_day`): its three groups and their order, whose rows, which tasks count,
and "today" in the server's time zone, on a frozen clock."""

import datetime as dt
from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from crm import services
from crm.models import Activity, ActivityKind, DisqualificationReason, LeadStage, LossReason, OpportunityStage
from crm.my_day import Owner, my_day, queue_tasks, rescheduled, resolve_owner

from .factories import ContactFactory, LeadFactory, OpportunityFactory, SalesPersonFactory, UserFactory

pytestmark = pytest.mark.django_db

NOW = timezone.make_aware(dt.datetime(2026, 3, 18, 12, 0))  # a Wednesday noon, Asia/Jerusalem
H = timedelta(hours=1)


@pytest.fixture
def team():
    return {
        "boss": UserFactory(username="boss", is_superuser=True),
        "alice": SalesPersonFactory(username="alice"),
        "bob": SalesPersonFactory(username="bob"),
    }


def task(owner, due_at, subject="Call back", **records) -> Activity:
    if not records:
        records["lead"] = LeadFactory(assigned_to=owner, next_action="x", next_action_at=due_at)
    return Activity.objects.create(
        kind=ActivityKind.TASK, subject=subject, due_at=due_at, owner=owner, **records
    )


def reason() -> DisqualificationReason:
    return DisqualificationReason.objects.first()


def subjects(activities) -> list[str]:
    return [activity.subject for activity in activities]


def test_the_three_groups_come_in_order_overdue_then_due_today_then_prospects_without_next_action(team):
    alice = team["alice"]
    task(alice, NOW - 2 * H, "Overdue this morning")
    task(alice, NOW - timedelta(days=3), "Overdue for days")
    task(alice, NOW + 3 * H, "Later today")
    task(alice, NOW + timedelta(days=1), "Tomorrow")  # in no group
    waiting = LeadFactory(assigned_to=alice, brand_name="Waiting")

    day = my_day(alice, now=NOW)

    assert subjects(day.overdue) == ["Overdue for days", "Overdue this morning"]  # oldest first
    assert subjects(day.due_today) == ["Later today"]
    assert day.no_next_action == [waiting]
    assert (day.overdue_count, day.due_today_count, day.no_next_action_count) == (2, 1, 1)


def test_only_open_tasks_count_not_done_tasks_nor_logged_calls(team):
    alice = team["alice"]
    done = task(alice, NOW - H, "Done already")
    services.complete_task(done, user=alice)
    lead = LeadFactory(assigned_to=alice)
    Activity.objects.create(kind=ActivityKind.CALL, subject="Called", done_at=NOW - H, owner=alice, lead=lead)

    day = my_day(alice, now=NOW)

    assert day.overdue == [] and day.due_today == []


def test_a_sales_person_sees_only_their_own_queue_whatever_they_ask(team):
    alice, bob = team["alice"], team["bob"]
    task(alice, NOW - H, "Alice's")
    task(bob, NOW - H, "Bob's")
    LeadFactory(assigned_to=bob)
    LeadFactory(assigned_to=None)  # the unassigned pool is nobody's day

    for requested in [str(bob.pk), "all", "none", None]:
        owner = resolve_owner(alice, requested)
        assert owner == Owner(alice)
        day = my_day(alice, owner=owner, now=NOW)
        assert subjects(day.overdue) == ["Alice's"]
        assert day.no_next_action == []


def test_a_manager_picks_a_person_nobody_or_everyone(team):
    boss, alice, bob = team["boss"], team["alice"], team["bob"]
    task(alice, NOW - H, "Alice's")
    task(bob, NOW - 2 * H, "Bob's")
    task(None, NOW - 3 * H, "Nobody's")

    assert subjects(my_day(boss, owner=resolve_owner(boss, str(bob.pk)), now=NOW).overdue) == ["Bob's"]
    assert subjects(my_day(boss, owner=resolve_owner(boss, "none"), now=NOW).overdue) == ["Nobody's"]
    everyone = my_day(boss, owner=resolve_owner(boss, "all"), now=NOW)
    assert subjects(everyone.overdue) == ["Nobody's", "Bob's", "Alice's"]
    assert subjects(my_day(boss, now=NOW).overdue) == []  # by default, the manager's own
    assert resolve_owner(boss, "12345") == Owner(boss)  # an unknown account: their own


def test_a_task_on_a_record_the_seller_may_not_see_stays_out_even_if_they_own_it(team):
    alice, bob = team["alice"], team["bob"]
    task(alice, NOW - H, "On Bob's prospect", lead=LeadFactory(assigned_to=bob))

    assert my_day(alice, now=NOW).overdue == []


@override_settings(TIME_ZONE="Asia/Jerusalem")
def test_today_is_the_server_time_zone_day_not_utc(team):
    alice = team["alice"]
    # 23:30 UTC on 17 March is 01:30 on 18 March in Jerusalem: "today" is the 18th there.
    late_utc = dt.datetime(2026, 3, 17, 23, 30, tzinfo=dt.UTC)
    task(alice, dt.datetime(2026, 3, 18, 20, 0, tzinfo=dt.UTC), "22:00 in Jerusalem on the 18th")
    task(alice, dt.datetime(2026, 3, 18, 22, 30, tzinfo=dt.UTC), "00:30 on the 19th there")

    day = my_day(alice, now=late_utc)

    assert day.today == dt.date(2026, 3, 18)
    assert subjects(day.due_today) == ["22:00 in Jerusalem on the 18th"]


def test_a_converted_prospect_hands_its_open_tasks_to_its_opportunity_and_they_leave_with_a_lost_deal(team):
    alice = team["alice"]
    lead = LeadFactory(assigned_to=alice, stage=LeadStage.QUALIFIED)
    overdue = task(alice, NOW - H, "Send the proposal", lead=lead)
    services.refresh_next_action(lead=lead)

    conversion = services.convert_lead(lead, user=alice)

    overdue.refresh_from_db()
    assert (overdue.lead_id, overdue.opportunity_id) == (None, conversion.opportunity.pk)
    assert overdue.contact_id == conversion.contact.pk
    assert conversion.lead.next_action == ""
    conversion.opportunity.refresh_from_db()
    assert conversion.opportunity.next_step == "Send the proposal"
    assert subjects(my_day(alice, now=NOW).overdue) == ["Send the proposal"]

    services.move_opportunity(
        conversion.opportunity,
        OpportunityStage.objects.get(is_lost=True),
        user=alice,
        loss_reason=LossReason.objects.first(),
    )

    assert my_day(alice, now=NOW).overdue == []


def test_tasks_of_a_disqualified_prospect_or_a_lost_deal_leave_the_queue_those_of_a_won_deal_stay(team):
    alice = team["alice"]
    task(
        alice,
        NOW - H,
        "Disqualified",
        lead=LeadFactory(assigned_to=alice, stage=LeadStage.DISQUALIFIED, disqualification_reason=reason()),
    )
    lost = OpportunityFactory(owner=alice, stage=OpportunityStage.objects.get(is_lost=True))
    won = OpportunityFactory(owner=alice, stage=OpportunityStage.objects.get(is_won=True))
    task(alice, NOW - H, "Lost", opportunity=lost)
    task(alice, NOW - H, "Won: send the invoice", opportunity=won)
    task(alice, NOW - H, "On a contact", contact=ContactFactory(owner=alice))

    assert sorted(subjects(queue_tasks())) == ["On a contact", "Won: send the invoice"]
    assert sorted(subjects(my_day(alice, now=NOW).overdue)) == ["On a contact", "Won: send the invoice"]


def test_converted_and_disqualified_prospects_need_no_next_action(team):
    alice = team["alice"]
    LeadFactory(assigned_to=alice, stage=LeadStage.DISQUALIFIED, disqualification_reason=reason())
    LeadFactory(assigned_to=alice, stage=LeadStage.CONVERTED, contact=ContactFactory(), converted_at=NOW)
    planned = LeadFactory(assigned_to=alice)
    task(alice, NOW + timedelta(days=5), lead=planned)
    services.refresh_next_action(lead=planned)

    assert my_day(alice, now=NOW).no_next_action == []


def test_rescheduling_keeps_the_time_of_day_on_the_chosen_day_after_today():
    due = timezone.make_aware(dt.datetime(2026, 3, 10, 9, 30))
    assert rescheduled(due, days=1, now=NOW) == timezone.make_aware(dt.datetime(2026, 3, 19, 9, 30))
    assert rescheduled(due, days=7, now=NOW) == timezone.make_aware(dt.datetime(2026, 3, 25, 9, 30))


def test_my_day_takes_four_queries_whatever_the_number_of_tasks(team, django_assert_num_queries):
    alice = team["alice"]
    for hours in range(1, 30):
        task(alice, NOW - hours * H)
    with django_assert_num_queries(4):
        my_day(alice, now=NOW)


def test_a_task_planned_on_a_converted_prospect_after_its_conversion_stays_in_the_queue(team):
    alice = team["alice"]
    lead = LeadFactory(assigned_to=alice)
    services.convert_lead(lead, user=alice)
    task(alice, NOW - H, "Ask for a referral", lead=lead)

    assert subjects(my_day(alice, now=NOW).overdue) == ["Ask for a referral"]
