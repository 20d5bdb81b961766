"""The fair automatic assignment of new leads (`crm.assignment`)."""

import logging
from collections import Counter
from unittest import mock

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.db import DatabaseError, transaction

from crm.assignment import auto_assign, choose_assignee
from crm.models import Lead, SalesProfile
from crm.services import sync_lead
from crm.tests.factories import LeadFactory, SalesPersonFactory, UserFactory
from igv_site.tests.concurrency import run_at_once
from mini_analysis.models import Language, MiniAnalysis

IMMEDIATE_TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture(autouse=True)
def _auto_assign_on(settings):
    settings.CRM_AUTO_ASSIGN = True
    settings.TASKS = IMMEDIATE_TASKS
    # A test with `transaction=True` empties every table after it, the migration's group included.
    Group.objects.get_or_create(name="Sales")


def sales_person(username: str, *languages: str, away: bool = False, **user_fields):
    """A member of the Sales group with a profile speaking `languages`."""
    user = SalesPersonFactory(username=username, **user_fields)
    SalesProfile.objects.create(
        user=user,
        speaks_french=Language.FRENCH in languages,
        speaks_english=Language.ENGLISH in languages,
        speaks_hebrew=Language.HEBREW in languages,
        is_away=away,
    )
    return user


def assignees(*languages: str) -> list[str]:
    """Who gets the successive turns for leads in these languages."""
    chosen = [choose_assignee(language) for language in languages]
    return [user.username if user else None for user in chosen]


def test_turns_go_round_the_team_in_order():
    for name in ["ana", "ben", "carl"]:
        sales_person(name, "fr")

    assert assignees(*["fr"] * 7) == ["ana", "ben", "carl", "ana", "ben", "carl", "ana"]


def test_people_who_speak_the_lead_language_are_preferred():
    sales_person("ana", "fr")
    sales_person("ben", "fr", "en")
    sales_person("dana", "he", "en")

    assert assignees("he", "he", "en", "en", "fr", "fr") == ["dana", "dana", "ben", "dana", "ana", "ben"]


def test_without_a_speaker_of_the_language_every_eligible_person_takes_turns():
    sales_person("ana", "fr")
    sales_person("ben", "en")

    assert assignees("he", "he", "he") == ["ana", "ben", "ana"]


def test_someone_away_gets_no_lead_until_back_and_then_only_one_turn():
    sales_person("ana", "fr")
    ben = sales_person("ben", "fr", away=True)
    sales_person("carl", "fr")

    assert assignees("fr", "fr", "fr") == ["ana", "carl", "ana"]
    SalesProfile.objects.filter(user=ben).update(is_away=False)
    # Back from leave: the next lead, once, then the usual rotation (no catching up).
    assert assignees("fr", "fr", "fr", "fr") == ["ben", "carl", "ana", "ben"]


def test_inactive_accounts_and_people_outside_the_sales_group_are_skipped():
    sales_person("ana", "he")
    sales_person("gone", "he", is_active=False)
    outsider = UserFactory(username="manager")
    SalesProfile.objects.create(user=outsider, speaks_hebrew=True)

    assert assignees("he", "he") == ["ana", "ana"]


def test_a_sales_person_without_a_profile_gets_one_and_takes_turns():
    sales_person("ana", "fr")
    SalesPersonFactory(username="newcomer")

    # Speaking no declared language, they share the leads nobody on the team speaks.
    assert assignees("fr", "he", "he", "fr", "he") == ["ana", "newcomer", "ana", "ana", "newcomer"]
    assert SalesProfile.objects.get(user__username="newcomer").spoken_languages() == []


def test_nobody_eligible_leaves_the_lead_unassigned_and_logs_it(caplog):
    sales_person("ana", "fr", away=True)
    lead = LeadFactory()

    with caplog.at_level(logging.WARNING, logger="crm.assignment"):
        assert auto_assign(lead) is None

    lead.refresh_from_db()
    assert lead.assigned_to is None
    assert f"[UNASSIGNED] No sales person available for lead {lead.pk}" in caplog.text


def test_a_new_form_lead_is_assigned_in_the_transaction_that_creates_it():
    ana = sales_person("ana", "en")

    with transaction.atomic():
        MiniAnalysis.objects.create(email="a@example.com", brand_name="Acme", language=Language.ENGLISH)
        assert Lead.objects.get().assigned_to == ana  # before the commit: the same transaction


def test_setting_off_leaves_new_leads_unassigned_and_takes_no_turn(
    settings, django_capture_on_commit_callbacks
):
    settings.CRM_AUTO_ASSIGN = False
    sales_person("ana", "fr")

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        MiniAnalysis.objects.create(email="a@example.com", brand_name="Acme")

    assert Lead.objects.get().assigned_to is None
    assert SalesProfile.objects.get().last_turn is None
    assert callbacks == []


def test_a_second_request_of_the_same_brand_keeps_the_assignee_and_takes_no_turn():
    ana = sales_person("ana", "fr")
    sales_person("ben", "fr")
    MiniAnalysis.objects.create(email="a@example.com", brand_name="Acme")

    sync_lead(MiniAnalysis.objects.create(email="A@example.com ", brand_name="ACME"))

    assert Lead.objects.get().assigned_to == ana
    assert SalesProfile.objects.get(user=ana).last_turn == 1
    assert SalesProfile.objects.get(user__username="ben").last_turn is None


def test_a_failed_assignment_keeps_the_lead_unassigned(caplog):
    sales_person("ana", "fr")

    with mock.patch("crm.assignment.choose_assignee", side_effect=DatabaseError("lock timeout")):
        lead = sync_lead(MiniAnalysis.objects.create(email="a@example.com", brand_name="Acme"))

    assert Lead.objects.get() == lead
    assert lead.assigned_to is None
    assert f"[ERROR] Automatic assignment failed for lead {lead.pk}" in caplog.text


def test_the_assignee_email_is_enqueued_only_after_commit(django_capture_on_commit_callbacks):
    sales_person("ana", "fr")

    with django_capture_on_commit_callbacks() as callbacks:
        MiniAnalysis.objects.create(email="a@example.com", brand_name="Acme")
        assert mail.outbox == []

    assert len(callbacks) == 1
    assert mail.outbox == []
    callbacks[0]()
    assert [message.to for message in mail.outbox] == [["ana@example.com"]]


def test_a_rolled_back_assignment_sends_no_email(django_capture_on_commit_callbacks):
    sales_person("ana", "fr")

    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        MiniAnalysis.objects.create(email="a@example.com", brand_name="Acme")
        raise RuntimeError("the request's transaction fails")

    assert callbacks == []
    assert mail.outbox == []
    assert not Lead.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_committed_form_lead_emails_its_assignee_through_the_task_queue():
    sales_person("ana", "fr")

    MiniAnalysis.objects.create(email="a@example.com", brand_name="Acme")

    assert [message.to for message in mail.outbox] == [["ana@example.com"]]
    assert "Acme" in mail.outbox[0].subject


# --- under real concurrency (PostgreSQL)

TEAM = 8


def create_leads_at_once(count: int) -> Counter:
    """`count` visitors of distinct brands at once, through the signal; how many leads each person got."""

    def submit(index: int) -> None:
        MiniAnalysis.objects.create(email=f"client{index}@example.com", brand_name=f"Brand {index}")

    assert run_at_once(submit, count) == []
    return Counter(Lead.objects.values_list("assigned_to__username", flat=True))


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("leads", [TEAM, 2 * TEAM])
def test_leads_created_at_once_are_spread_exactly_evenly(leads):
    team = [sales_person(f"sales{index}", "fr").username for index in range(TEAM)]

    received = create_leads_at_once(leads)

    assert received == dict.fromkeys(team, leads // TEAM)
    assert len(mail.outbox) == leads
