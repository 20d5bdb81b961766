"""Email from a record: templates filled in for the person, queued on the timeline, sent by the
worker with the sales person as sender and Reply-To, refused to whom may not be emailed."""

from smtplib import SMTPRecipientsRefused

import pytest
from django.core import mail
from django.urls import reverse
from django.utils.html import escape

from crm.models import Activity, ActivityKind, DeliveryStatus, EmailMessage, EmailOptOut, EmailTemplate
from crm.outbox import html_of
from crm.privacy import erase_personal_data
from crm.services import PipelineError
from crm.services.email import compose_email, fill_placeholders, render_template, why_not_emailable
from crm.tasks import CRM_EMAIL_MAX_ATTEMPTS
from mini_analysis.tests.conftest import run_jobs
from mini_analysis.tests.factories import MiniAnalysisFactory

from .factories import ContactFactory, LeadFactory, SalesPersonFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def ana(seller):
    seller.first_name, seller.last_name = "Ana", "Cohen"
    seller.save()
    return seller


def test_the_migration_seeds_templates_in_french_english_and_hebrew():
    assert {"fr", "en", "he"} <= set(EmailTemplate.objects.values_list("language", flat=True))


def test_a_template_is_filled_in_for_the_person_and_the_sales_person(ana, settings):
    settings.BOOK_A_CALL_URL = "https://book.example.com/ana"
    lead = LeadFactory(brand_name="Maison Lumière", first_name="Dana", assigned_to=ana)
    template = EmailTemplate(subject="{brand}", body="Hello {name} {booking_url}\n{signature} {unknown}")
    subject, body = render_template(template, lead, ana)
    assert subject == "Maison Lumière"
    assert body == "Hello Dana https://book.example.com/ana\nAna Cohen\nseller@example.com {unknown}"


def test_placeholders_evaluate_nothing():
    text = "{name.__class__} {0} {name!r} {name:>10}"
    assert fill_placeholders(text, {"name": "x"}) == text


def test_the_email_is_on_the_timeline_when_queued_then_sent_by_the_worker(ana):
    lead = LeadFactory(email="dana@example.com", assigned_to=ana)
    with run_jobs(execute=False):
        activity = compose_email(lead, user=ana, subject="Hi", body="Body")
    assert activity.kind == ActivityKind.EMAIL and activity.lead == lead
    assert activity.email.status == DeliveryStatus.QUEUED
    assert mail.outbox == []
    with run_jobs():
        compose_email(lead, user=ana, subject="Again", body="Body")
    (sent,) = mail.outbox
    email = EmailMessage.objects.get(activity__subject="Again")
    assert email.status == DeliveryStatus.SENT and email.attempts == 1 and email.sent_at
    assert sent.from_email == "Ana Cohen <no-reply@localhost>"
    assert sent.reply_to == ["seller@example.com"]
    assert sent.to == ["dana@example.com"]
    assert sent.extra_headers["Message-ID"] == email.message_id


def test_what_the_sales_person_typed_is_escaped_in_the_html_part():
    html = html_of("<script>alert(1)</script> & https://example.com\n\nbye")
    assert "<script>" not in html and "&lt;script&gt;" in html and "&amp;" in html
    assert '<a href="https://example.com"' in html and "<p>bye</p>" in html


def test_a_line_break_in_the_subject_cannot_add_a_header(ana):
    lead = LeadFactory(assigned_to=ana)
    with run_jobs():
        compose_email(lead, user=ana, subject="Hi\r\nBcc: victim@example.com", body="x")
    (sent,) = mail.outbox
    message = sent.message()
    assert message["Bcc"] is None and message["Subject"] == "Hi Bcc: victim@example.com"


def test_a_failed_send_is_recorded_with_its_reason_and_retried(ana, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 1
    lead = LeadFactory(assigned_to=ana)
    with run_jobs():
        compose_email(lead, user=ana, subject="Hi", body="x")
    email = EmailMessage.objects.get()
    assert email.status == DeliveryStatus.FAILED
    assert email.attempts == CRM_EMAIL_MAX_ATTEMPTS
    assert "Connection" in email.error or "refused" in email.error.lower()


def test_an_erased_or_withdrawn_person_cannot_be_emailed(ana):
    erased = LeadFactory(email="erased-abc@erased.invalid", assigned_to=ana)
    withdrawn = ContactFactory(email="Gone@Example.com", owner=ana)
    EmailOptOut.objects.create(email_key="gone@example.com")
    assert why_not_emailable(erased) != why_not_emailable(withdrawn) != ""
    for record in (erased, withdrawn):
        with pytest.raises(PipelineError):
            compose_email(record, user=ana, subject="Hi", body="x")
    assert not Activity.objects.exists()


def test_the_compose_page_fills_the_template_and_sends(client, ana):
    client.force_login(ana)
    lead = LeadFactory(email="dana@example.com", assigned_to=ana, language="en")
    url = reverse("admin:crm_lead_email", args=[lead.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert "<bdi>dana@example.com</bdi>" in page.text
    assert page.context["form"].initial["subject"].endswith(lead.brand_name)  # an English template first
    with run_jobs():
        response = client.post(url, {"subject": "Hi", "body": "Hello <b>you</b>", "send": "1"})
    assert response.status_code == 302
    assert Activity.objects.get(lead=lead).email.status == DeliveryStatus.SENT
    assert "&lt;b&gt;" in mail.outbox[0].alternatives[0][0]


def test_use_this_template_posts_back_its_text(client, ana):
    client.force_login(ana)
    contact = ContactFactory(owner=ana, language="he")
    template = EmailTemplate.objects.create(name="T", language="en", subject="S {name}", body="B")
    url = reverse("admin:crm_contact_email", args=[contact.pk])
    page = client.post(url, {"template": template.pk, "subject": "", "body": "", "use_template": "1"})
    assert page.status_code == 200 and page.context["form"].initial["subject"] == f"S {contact.full_name}"
    assert not Activity.objects.exists()


def test_the_page_says_why_a_person_cannot_be_emailed(client, ana):
    client.force_login(ana)
    lead = LeadFactory(email="erased-x@erased.invalid", assigned_to=ana)
    url = reverse("admin:crm_lead_email", args=[lead.pk])
    assert escape(why_not_emailable(lead)) in client.get(url).text
    client.post(url, {"subject": "Hi", "body": "x", "send": "1"})
    assert not Activity.objects.exists()


@pytest.mark.parametrize("route", ["admin:crm_lead_email", "admin:crm_contact_email"])
def test_a_seller_cannot_email_another_sellers_person(client, ana, route):
    client.force_login(ana)
    other = SalesPersonFactory(username="other")
    record = LeadFactory(assigned_to=other) if "lead" in route else ContactFactory(owner=other)
    url = reverse(route, args=[record.pk])
    assert client.get(url).status_code in (302, 404)
    assert client.post(url, {"subject": "Hi", "body": "x", "send": "1"}).status_code in (302, 404)
    assert not Activity.objects.exists()


def test_erasing_a_person_forgets_their_withdrawal_too():
    EmailOptOut.objects.create(email_key="gone@example.com")
    erase_personal_data("Gone@Example.com")
    assert not EmailOptOut.objects.exists()


def test_the_contact_timeline_shows_whether_each_email_was_sent(client, ana):
    client.force_login(ana)
    contact = ContactFactory(owner=ana)
    with run_jobs():
        compose_email(contact, user=ana, subject="Proposal", body="x")
    with run_jobs(execute=False):
        compose_email(contact, user=ana, subject="Reminder", body="x")
    page = client.get(reverse("admin:crm_contact_change", args=[contact.pk]), HTTP_ACCEPT_LANGUAGE="en")
    assert "Proposal · Sent" in page.text or "Proposal · Envoyé" in page.text
    assert "Reminder · Queued" in page.text or "Reminder · En attente d&#x27;envoi" in page.text


def test_a_failure_reason_does_not_keep_the_recipients_address(ana, monkeypatch):
    def refuse(self, fail_silently=False):
        raise SMTPRecipientsRefused({"Dana@Example.com": (550, b"no such user Dana@Example.com")})

    monkeypatch.setattr("django.core.mail.EmailMessage.send", refuse)
    lead = LeadFactory(email="dana@example.com", assigned_to=ana)
    with run_jobs():
        compose_email(lead, user=ana, subject="Hi", body="x")
    error = EmailMessage.objects.get().error
    assert "SMTPRecipientsRefused" in error and "<recipient>" in error
    assert "dana@example.com" not in error.lower()


def test_the_compose_page_reads_right_to_left_in_hebrew_with_the_address_isolated(client, ana):
    client.force_login(ana)
    lead = LeadFactory(email="dana@example.com", assigned_to=ana, language="he")
    page = client.get(reverse("admin:crm_lead_email", args=[lead.pk]), HTTP_ACCEPT_LANGUAGE="he").text
    assert 'dir="rtl"' in page and "כתיבת מייל" in page
    assert "<bdi>dana@example.com</bdi>" in page
    assert "מיני-אנליזה" in page  # the Hebrew template comes first for a Hebrew speaker
    assert "style=" not in page.split('id="content-main"')[1].split("</form>")[0]


def test_the_analysis_placeholder_links_the_persons_result_page_in_their_language(ana, settings):
    settings.SITE_URL = "https://igv.example/"
    request = MiniAnalysisFactory(email="dana@example.com", language="en")
    lead = LeadFactory(email="dana@example.com", mini_analysis=request, language="en", assigned_to=ana)
    template = EmailTemplate(subject="s", body="{analysis_url}")
    assert (
        render_template(template, lead, ana)[1]
        == f"https://igv.example/en/mini-analysis/{request.request_id}/"
    )
