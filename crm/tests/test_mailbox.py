"""Replies come back to the timeline: a real SMTP server (aiosmtpd) receives the CRM's email, a
real IMAP server (the loopback Dovecot of `scripts/start_services.sh`) holds the reply, and the
poller logs it once on the record of the email it answers, whatever the number of runs."""

import email
import io
import uuid
from email.message import EmailMessage as MailMessage

import pytest
from aiosmtpd.controller import Controller
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from crm.mailbox import connect, poll_mailbox
from crm.models import Activity, EmailDirection, EmailMessage, MailboxState
from crm.services.email import compose_email
from igv_site.tests.concurrency import run_at_once
from igv_site.tests.servers import IMAP_URL
from mini_analysis.management.commands import run_worker
from mini_analysis.tests.conftest import run_jobs
from mini_analysis.tests.test_emails import Inbox, free_port

from .factories import ContactFactory, LeadFactory, SalesPersonFactory
from .reference_rows import restore_reference_rows

pytestmark = [pytest.mark.django_db, pytest.mark.imap]


@pytest.fixture
def folder():
    """A folder of its own on the IMAP server, deleted after the test."""
    name = f"test-{uuid.uuid4().hex}"
    imap = connect(IMAP_URL)
    imap.create(name)
    yield name
    imap.delete(name)
    imap.logout()


def deliver(folder: str, message: MailMessage | bytes) -> None:
    """Put a message in the folder, as the mail server would (IMAP APPEND)."""
    imap = connect(IMAP_URL)
    imap.append(folder, "", None, message if isinstance(message, bytes) else message.as_bytes())
    imap.logout()


def reply(to: str, sender: str, *, in_reply_to: str = "", subject: str = "Re: Hi", body: str = "Yes!"):
    message = MailMessage()
    message["From"], message["To"], message["Subject"] = sender, to, subject
    message["Message-ID"] = email.utils.make_msgid(domain="client.example")
    if in_reply_to:
        message["In-Reply-To"] = message["References"] = in_reply_to
    message.set_content(body)
    return message


def poll(folder: str) -> str:
    out = io.StringIO()
    call_command("poll_mailbox", url=IMAP_URL, folder=folder, stdout=out)
    return out.getvalue()


def inbound(**records):
    return Activity.objects.filter(email__direction=EmailDirection.INBOUND, **records)


def test_a_template_email_sent_from_the_record_and_its_reply_land_on_its_timeline(
    client, signed_in_seller, settings, folder
):
    seller = signed_in_seller
    lead = LeadFactory(email="dana@example.com", brand_name="Maison Lumière", assigned_to=seller)
    url = reverse("admin:crm_lead_email", args=[lead.pk])
    form = client.get(url).context["form"]  # the French template, filled in for Dana
    subject, body = form.initial["subject"], form.initial["body"]
    assert "Maison Lumière" in subject
    inbox = Inbox()
    server = Controller(inbox, hostname="127.0.0.1", port=free_port())
    server.start()
    try:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_USE_TLS = server.hostname, server.port, False
        with run_jobs():
            client.post(
                url, {"template": form.initial["template"], "subject": subject, "body": body, "send": "1"}
            )
    finally:
        server.stop()
    (sent,) = inbox.messages
    assert sent["Reply-To"] == "seller@example.com" and sent["To"] == "dana@example.com"
    (queued,) = Activity.objects.filter(lead=lead, email__direction=EmailDirection.OUTBOUND)
    assert (queued.subject, queued.body, queued.email.status) == (subject, body, "sent")
    assert sent["Message-ID"] == EmailMessage.objects.get().message_id
    deliver(folder, reply("seller@example.com", "Dana <dana@example.com>", in_reply_to=sent["Message-ID"]))
    deliver(folder, reply("seller@example.com", "stranger@example.net", subject="Unrelated"))
    assert "2 new messages read, 1 logged, 1 left alone" in poll(folder)
    assert "0 new messages read" in poll(folder)
    (answer,) = inbound()
    assert answer.lead == lead and answer.subject == "Re: Hi" and answer.body.strip() == "Yes!"
    assert answer.owner == seller and answer.email.in_reply_to == sent["Message-ID"]


def test_a_message_is_imported_once_whatever_the_number_of_pollers(seller, folder):
    lead = LeadFactory(assigned_to=seller)
    original = compose_email(lead, user=seller, subject="Hi", body="x").email
    deliver(folder, reply("seller@example.com", lead.email, in_reply_to=original.message_id))
    poll_mailbox(IMAP_URL, folder)
    MailboxState.objects.all().delete()  # another poller that has not read the folder yet
    result = poll_mailbox(IMAP_URL, folder)
    assert result.read == 1 and result.logged == 0
    assert inbound(lead=lead).count() == 1


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_pollers_running_at_once_import_each_message_once(folder):
    restore_reference_rows()  # transactional: an earlier test's flush may have emptied them
    seller = SalesPersonFactory(username="seller")
    leads = [LeadFactory(assigned_to=seller) for _ in range(3)]
    originals = [compose_email(lead, user=seller, subject="Hi", body="x").email for lead in leads]
    for number in range(12):
        lead, original = leads[number % 3], originals[number % 3]
        deliver(folder, reply("seller@example.com", lead.email, in_reply_to=original.message_id))
    results = []
    assert run_at_once(lambda index: results.append(poll_mailbox(IMAP_URL, folder)), 4) == []
    assert sum(result.logged for result in results) == 12
    assert inbound().count() == 12


def test_polling_resumes_after_the_last_uid_read(seller, folder):
    lead = LeadFactory(assigned_to=seller)
    original = compose_email(lead, user=seller, subject="Hi", body="x").email
    deliver(folder, reply("seller@example.com", lead.email, in_reply_to=original.message_id, body="one"))
    assert poll_mailbox(IMAP_URL, folder).logged == 1
    deliver(folder, reply("seller@example.com", lead.email, in_reply_to=original.message_id, body="two"))
    result = poll_mailbox(IMAP_URL, folder)
    assert (result.read, result.logged) == (1, 1)
    assert MailboxState.objects.get(folder=folder).last_uid == 2


def test_a_reply_without_headers_matches_the_one_record_its_recipient_sees(seller, folder):
    other = SalesPersonFactory(username="other")
    contact = ContactFactory(email="solo@example.com", owner=seller)
    LeadFactory(email="hidden@example.com", assigned_to=other)
    deliver(folder, reply("Seller <SELLER@example.com>", "solo@example.com"))
    deliver(folder, reply("seller@example.com", "hidden@example.com"))  # another seller's prospect
    assert poll_mailbox(IMAP_URL, folder).logged == 1
    assert inbound(contact=contact).count() == 1


def test_a_sender_matching_two_records_is_left_alone(seller, folder):
    LeadFactory(email="twice@example.com", assigned_to=seller)
    LeadFactory(email="twice@example.com", assigned_to=seller)
    deliver(folder, reply("seller@example.com", "twice@example.com"))
    assert poll_mailbox(IMAP_URL, folder).logged == 0


def test_malformed_mail_is_logged_and_skipped(seller, folder, caplog):
    lead = LeadFactory(assigned_to=seller)
    original = compose_email(lead, user=seller, subject="Hi", body="x").email
    deliver(folder, b"\x00\xff garbage without headers\r\n\r\n\xfe")
    deliver(
        folder,
        b"From: =?utf-8?q?broken\r\nIn-Reply-To: "
        + original.message_id.encode()
        + b"\r\nContent-Type: text/plain; charset=unknown-8bit-x\r\nDate: not a date\r\n"
        + b"\r\n\xe9\xe8 body\r\n",
    )
    deliver(folder, reply("seller@example.com", lead.email, in_reply_to=original.message_id))
    result = poll_mailbox(IMAP_URL, folder)
    assert result.read == 3 and result.logged >= 1
    assert inbound(lead=lead).count() == result.logged


def test_the_command_says_when_there_is_no_mailbox(settings):
    settings.CRM_IMAP_URL = ""
    with pytest.raises(CommandError, match="CRM_IMAP_URL"):
        call_command("poll_mailbox", stdout=io.StringIO())


def test_the_command_says_when_the_mailbox_cannot_be_read():
    with pytest.raises(CommandError, match="could not be read"):
        call_command("poll_mailbox", url="imap://crm:wrong@127.0.0.1:1143", stdout=io.StringIO())


class Stop(Exception):
    pass


@pytest.mark.slow
def test_the_workers_poller_logs_a_failed_round_and_goes_on(monkeypatch, settings, caplog):
    """`run_worker`'s thread: one round every CRM_IMAP_POLL_SECONDS; a mail server that refuses
    the login is logged, and the next round comes."""
    settings.CRM_IMAP_URL = "imap://crm:wrong@127.0.0.1:1143"
    sleeps = []

    def sleep(seconds):
        sleeps.append(seconds)
        if len(sleeps) > 2:
            raise Stop

    monkeypatch.setattr(run_worker.time, "sleep", sleep)
    monkeypatch.setattr(run_worker.connection, "close", lambda: None)  # the test's own connection
    with pytest.raises(Stop):
        run_worker.poll_mailbox_every(180)
    assert sleeps == [180, 180, 180]
    assert caplog.text.count("Polling the CRM mailbox failed") == 2


def test_the_workers_poller_logs_replies(monkeypatch, settings, seller, folder):
    lead = LeadFactory(assigned_to=seller)
    original = compose_email(lead, user=seller, subject="Hi", body="x").email
    deliver(folder, reply("seller@example.com", lead.email, in_reply_to=original.message_id))
    settings.CRM_IMAP_URL, settings.CRM_IMAP_FOLDER = IMAP_URL, folder
    monkeypatch.setattr(run_worker.time, "sleep", lambda seconds: None if not inbound().exists() else _stop())
    monkeypatch.setattr(run_worker.connection, "close", lambda: None)
    with pytest.raises(Stop):
        run_worker.poll_mailbox_every(1)
    assert inbound(lead=lead).count() == 1


def _stop():
    raise Stop
