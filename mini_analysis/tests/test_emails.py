import email
import socket

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Message
from django.core import mail

from mini_analysis.emails import send_analysis_email
from mini_analysis.models import MiniAnalysis, Status
from mini_analysis.services import submit_mini_analysis

from .conftest import run_jobs

pytestmark = pytest.mark.django_db

SUBMISSION = {
    "email": "visitor@example.com",
    "phone": "",
    "brand_name": "Maison Lumière",
    "sector": "retail",
}


@pytest.mark.parametrize(
    ("language", "subject", "greeting", "direction"),
    [
        ("fr", "Votre mini-analyse pour Maison Lumière", "Bonjour,", 'dir="ltr"'),
        ("en", "Your mini-analysis for Maison Lumière", "Hello,", 'dir="ltr"'),
        ("he", "המיני-ניתוח שלך עבור Maison Lumière", "שלום,", 'dir="rtl"'),
    ],
)
def test_generated_analysis_is_emailed_in_the_visitors_language_with_the_pdf(
    language, subject, greeting, direction
):
    with run_jobs():
        mini_analysis = submit_mini_analysis(**SUBMISSION, language=language)
    mini_analysis.refresh_from_db()
    (message,) = mail.outbox
    assert message.to == ["visitor@example.com"]
    assert message.subject == subject
    assert greeting in message.body
    assert mini_analysis.analysis_text.splitlines()[0] in message.body
    html, _ = message.alternatives[0]
    assert f'lang="{language}" {direction}' in html
    ((name, content, mimetype),) = message.attachments
    assert (name, mimetype) == (f"mini-analysis-{mini_analysis.request_id}.pdf", "application/pdf")
    assert content.startswith(b"%PDF")
    assert mini_analysis.emailed_at is not None


def test_an_analysis_is_emailed_once_and_only_when_generated():
    with run_jobs():
        mini_analysis = submit_mini_analysis(**SUBMISSION, language="en")
    assert send_analysis_email(mini_analysis.pk) is False  # already sent
    MiniAnalysis.objects.update(status=Status.ERROR, emailed_at=None)
    assert send_analysis_email(mini_analysis.pk) is False
    assert len(mail.outbox) == 1


def test_a_failed_send_is_retried_and_never_changes_the_status(settings, monkeypatch):
    calls = []

    def flaky(self, fail_silently=False):
        calls.append(1)
        if len(calls) < 3:
            raise ConnectionRefusedError("smtp down")
        return 1

    monkeypatch.setattr("django.core.mail.EmailMultiAlternatives.send", flaky)
    with run_jobs():
        mini_analysis = submit_mini_analysis(**SUBMISSION, language="en")
    mini_analysis.refresh_from_db()
    assert len(calls) == 3  # the immediate backend runs each retry at once; the database one later
    assert mini_analysis.status == Status.GENERATED
    assert mini_analysis.emailed_at is not None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Inbox(Message):
    def __init__(self) -> None:
        super().__init__()
        self.messages: list[email.message.Message] = []

    def handle_message(self, message) -> None:
        self.messages.append(message)


def test_the_email_goes_through_a_real_smtp_server(settings):
    inbox = Inbox()
    server = Controller(inbox, hostname="127.0.0.1", port=free_port())
    server.start()
    try:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = server.hostname, server.port
        settings.EMAIL_USE_TLS = False
        with run_jobs():
            submit_mini_analysis(**SUBMISSION, language="he")
    finally:
        server.stop()
    (received,) = inbox.messages
    assert received["To"] == "visitor@example.com"
    assert str(email.header.make_header(email.header.decode_header(received["Subject"]))).startswith(
        "המיני-ניתוח שלך"
    )
    kinds = [part.get_content_type() for part in received.walk()]
    assert {"text/plain", "text/html", "application/pdf"} <= set(kinds)


def test_the_subject_is_plain_text_not_html_escaped():
    with run_jobs():
        submit_mini_analysis(**{**SUBMISSION, "brand_name": "Tom & Jerry's <Bistro>"}, language="en")
    (message,) = mail.outbox
    assert message.subject == "Your mini-analysis for Tom & Jerry's <Bistro>"
    assert "Tom & Jerry's <Bistro>" in message.body


def test_an_analysis_whose_address_had_its_emails_of_the_day_is_generated_but_not_mailed(settings):
    settings.MINI_ANALYSIS_EMAILS_PER_RECIPIENT = 1
    with run_jobs():
        submit_mini_analysis(**SUBMISSION, language="en")
    with run_jobs():
        withheld = submit_mini_analysis(**{**SUBMISSION, "email": "Visitor+2@Example.com"}, language="en")
    withheld.refresh_from_db()
    assert (withheld.status, withheld.email_withheld, withheld.emailed_at) == (Status.GENERATED, True, None)
    assert send_analysis_email(withheld.pk) is False
    assert len(mail.outbox) == 1
