"""Reminders: one morning digest per sales person per local working day, at 08:00 in their time
zone, whatever the number of rounds and workers; an alert 15 minutes before a task, for those who
asked; nothing when there is nothing to say (`crm.reminders`)."""

import threading
from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from crm.models import Activity, ActivityKind, Reminder, SalesProfile
from crm.reminders import digest_day, send_reminders

from .factories import LeadFactory, SalesPersonFactory
from .reference_rows import restore_reference_rows

pytestmark = pytest.mark.django_db

# Monday 7 December 2026. Paris is UTC+1, Jerusalem UTC+2 in winter.
MONDAY = datetime(2026, 12, 7, tzinfo=UTC)
SUNDAY = MONDAY - timedelta(days=1)


def person(username: str, zone: str, **profile) -> object:
    user = SalesPersonFactory(username=username, first_name=username.title())
    SalesProfile.objects.update_or_create(user=user, defaults={"time_zone": zone, **profile})
    return user


def overdue_task(user, subject: str = "Call back") -> Activity:
    lead = LeadFactory(assigned_to=user, created_at=MONDAY - timedelta(days=9))
    return Activity.objects.create(
        kind=ActivityKind.TASK, subject=subject, lead=lead, owner=user, due_at=MONDAY - timedelta(days=2)
    )


def sent_to(user) -> list:
    return [message for message in mail.outbox if message.to == [user.email]]


@pytest.mark.parametrize(
    ("zone", "moment", "day"),
    [
        ("Europe/Paris", MONDAY + timedelta(hours=6, minutes=59), None),  # 07:59 in Paris
        ("Europe/Paris", MONDAY + timedelta(hours=7), MONDAY.date()),  # 08:00 in Paris
        ("Asia/Jerusalem", MONDAY + timedelta(hours=6), MONDAY.date()),  # 08:00 in Jerusalem
        ("Europe/Paris", MONDAY - timedelta(days=2) + timedelta(hours=9), None),  # Saturday
        (
            "Asia/Jerusalem",
            MONDAY - timedelta(days=1) + timedelta(hours=9),
            (MONDAY - timedelta(days=1)).date(),
        ),
        ("Asia/Jerusalem", MONDAY - timedelta(days=3) + timedelta(hours=9), None),  # Friday
        ("Europe/Paris", MONDAY - timedelta(days=1) + timedelta(hours=9), None),  # Sunday
    ],
)
def test_a_digest_is_due_from_8_on_the_working_days_of_the_person_s_time_zone(zone, moment, day):
    assert digest_day(person("ana", zone), moment) == day


def test_two_workers_across_a_day_boundary_in_two_time_zones_send_one_digest_per_person_and_day():
    paris, jerusalem = person("paris", "Europe/Paris"), person("yael", "Asia/Jerusalem")
    overdue_task(paris)
    overdue_task(jerusalem)
    moments = [
        MONDAY + timedelta(hours=5, minutes=30),  # nobody's 08:00 yet
        MONDAY + timedelta(hours=6),  # Jerusalem 08:00
        MONDAY + timedelta(hours=6, minutes=5),
        MONDAY + timedelta(hours=7),  # Paris 08:00
        MONDAY + timedelta(hours=15),
        MONDAY + timedelta(hours=23, minutes=30),  # Jerusalem is on Tuesday, 01:30
        MONDAY + timedelta(days=1, hours=6, minutes=1),  # Tuesday 08:01 in Jerusalem
        MONDAY + timedelta(days=1, hours=7, minutes=1),  # Tuesday 08:01 in Paris
    ]
    for moment in moments:
        for _worker in range(2):
            send_reminders(now=moment)

    assert len(sent_to(paris)) == 2 and len(sent_to(jerusalem)) == 2  # Monday's and Tuesday's
    assert sorted(Reminder.objects.filter(user=paris).values_list("day", flat=True)) == [
        MONDAY.date(),
        (MONDAY + timedelta(days=1)).date(),
    ]


@pytest.mark.postgres_only
def test_rounds_racing_in_two_workers_send_one_digest(transactional_db):
    restore_reference_rows()  # an earlier transactional test's flush may have emptied them
    people = [person(f"p{number}", "Europe/Paris") for number in range(5)]
    for user in people:
        overdue_task(user)
    barrier = threading.Barrier(2)

    def worker():
        barrier.wait()
        try:
            send_reminders(now=MONDAY + timedelta(hours=7, minutes=1))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(len(sent_to(user)) for user in people) == [1] * 5


def test_the_digest_lists_overdue_then_due_today_then_new_prospects_with_a_link_to_my_day(settings):
    settings.SITE_URL = "https://crm.example.com"
    ana = person("ana", "Europe/Paris", language="en")
    overdue_task(ana, "Send the proposal")
    Activity.objects.create(
        kind=ActivityKind.TASK,
        subject="Call Maison",
        lead=LeadFactory(assigned_to=ana, created_at=MONDAY - timedelta(days=9)),
        owner=ana,
        due_at=MONDAY + timedelta(hours=15),
    )
    LeadFactory(assigned_to=ana, brand_name="Brand New", created_at=MONDAY - timedelta(hours=3))

    send_reminders(now=MONDAY + timedelta(hours=7))

    (message,) = sent_to(ana)
    assert message.subject == "Your day: 1 overdue, 1 due today, 1 new prospect"
    body = message.body
    assert body.index("Send the proposal") < body.index("Call Maison") < body.index("Brand New")
    assert "16:00" in body  # due today at 15:00 UTC, said in Paris time
    assert "https://crm.example.com/admin/crm/my-day/" in body
    assert message.alternatives[0][1] == "text/html"


def test_nothing_is_sent_when_there_is_nothing_to_say_and_nothing_later_that_day():
    ana = person("ana", "Europe/Paris")
    send_reminders(now=MONDAY + timedelta(hours=7))
    overdue_task(ana)  # too late for today's digest: it was recorded, empty
    send_reminders(now=MONDAY + timedelta(hours=8))
    assert sent_to(ana) == []
    send_reminders(now=MONDAY + timedelta(days=1, hours=7))
    assert len(sent_to(ana)) == 1


def test_a_person_who_turned_the_digest_off_gets_none():
    ana = person("ana", "Europe/Paris", daily_digest=False)
    overdue_task(ana)
    send_reminders(now=MONDAY + timedelta(hours=7))
    assert sent_to(ana) == []


def test_a_failed_email_is_kept_and_sent_by_a_later_round_once():
    ana = person("ana", "Europe/Paris")
    overdue_task(ana)
    with mock.patch("django.core.mail.EmailMessage.send", side_effect=OSError("connection refused")):
        result = send_reminders(now=MONDAY + timedelta(hours=7))
    assert list(result.failed.values()) == ["OSError('connection refused')"]
    assert Reminder.objects.get().error

    send_reminders(now=MONDAY + timedelta(hours=7, minutes=5))
    send_reminders(now=MONDAY + timedelta(hours=7, minutes=10))

    assert len(sent_to(ana)) == 1
    assert Reminder.objects.get().sent_at is not None


def test_a_round_costs_the_same_queries_for_two_people_or_twenty():
    def queries_for(count: int, start: int) -> int:
        for number in range(start, start + count):
            user = person(f"u{number}", "Europe/Paris" if number % 2 else "Asia/Jerusalem")
            overdue_task(user)
        with CaptureQueriesContext(connection) as queries:
            send_reminders(now=MONDAY + timedelta(days=start, hours=7))
        return len(queries)

    assert queries_for(2, 0) == queries_for(20, 7)  # next Monday: everyone due again


def test_the_owner_of_a_task_who_asked_is_alerted_15_minutes_before_once():
    ana = person("ana", "Europe/Paris", task_alerts=True, daily_digest=False)
    ben = person("ben", "Europe/Paris", daily_digest=False)
    for owner in (ana, ben):
        Activity.objects.create(
            kind=ActivityKind.TASK,
            subject="Demo call",
            lead=LeadFactory(assigned_to=owner),
            owner=owner,
            due_at=MONDAY + timedelta(hours=10),
        )
    for minutes in (40, 46, 50, 55):
        send_reminders(now=MONDAY + timedelta(hours=9, minutes=minutes))

    (message,) = sent_to(ana)
    assert "Demo call" in message.subject
    assert sent_to(ben) == []


def test_the_command_runs_one_round_and_says_what_it_did(capsys):
    call_command("send_reminders")
    assert "[REMINDERS]" in capsys.readouterr().out
