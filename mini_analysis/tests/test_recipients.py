"""A few analysis emails a day per recipient address (`mini_analysis/recipients.py`)."""

from datetime import date

import pytest

from igv_site.tests.concurrency import run_at_once
from mini_analysis.models import RecipientDailyEmails
from mini_analysis.recipients import recipient_key, reserve_analysis_email

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("email", "key"),
    [
        ("ana@example.com", "ana@example.com"),
        (" Ana@Example.COM ", "ana@example.com"),
        ("ana+news@example.com", "ana@example.com"),
        ("a.n.a@gmail.com", "ana@gmail.com"),
        ("A.N.A+x@GoogleMail.com", "ana@gmail.com"),
        ("a.n.a@example.com", "a.n.a@example.com"),  # dots matter outside Gmail
    ],
)
def test_a_recipient_is_its_mailbox_whatever_the_spelling_of_its_address(email, key):
    assert recipient_key(email) == key


def test_an_address_has_its_daily_allowance_then_no_more(settings):
    settings.MINI_ANALYSIS_EMAILS_PER_RECIPIENT = 3
    assert [reserve_analysis_email("ana@example.com") for _ in range(4)] == [True, True, True, False]
    assert reserve_analysis_email("ANA+2@example.com") is False
    assert reserve_analysis_email("bob@example.com") is True


def test_an_allowance_of_zero_mails_no_analysis(settings):
    settings.MINI_ANALYSIS_EMAILS_PER_RECIPIENT = 0
    assert reserve_analysis_email("ana@example.com") is False


def test_the_allowance_is_new_each_day_and_past_days_are_forgotten(settings, monkeypatch):
    settings.MINI_ANALYSIS_EMAILS_PER_RECIPIENT = 1
    monkeypatch.setattr("mini_analysis.recipients.timezone.localdate", lambda: date(2026, 3, 1))
    assert [reserve_analysis_email("ana@example.com") for _ in range(2)] == [True, False]
    monkeypatch.setattr("mini_analysis.recipients.timezone.localdate", lambda: date(2026, 3, 2))
    assert reserve_analysis_email("ana@example.com") is True
    assert list(RecipientDailyEmails.objects.values_list("day", flat=True)) == [date(2026, 3, 2)]


def test_the_counter_stores_no_address():
    reserve_analysis_email("ana@example.com")
    (row,) = RecipientDailyEmails.objects.values_list("recipient", flat=True)
    assert "ana" not in row and "example" not in row
    assert len(row) == 64


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_simultaneous_reservations_never_pass_the_allowance(settings):
    """Twenty requests for one address at once, each in its own connection and transaction."""
    settings.MINI_ANALYSIS_EMAILS_PER_RECIPIENT = 3
    writers = 20
    results: list[bool] = []

    assert run_at_once(lambda index: results.append(reserve_analysis_email("ana@example.com")), writers) == []
    assert sorted(results) == [False] * (writers - 3) + [True] * 3
    assert RecipientDailyEmails.objects.get().count == 3
