"""The CRM's background tasks (`crm.tasks`): the email telling a sales person a lead is theirs."""

import pytest
from django.core import mail

from crm.models import SalesProfile
from crm.tasks import notify_assignee
from mini_analysis.models import Language

from .factories import LeadFactory, SalesPersonFactory

pytestmark = pytest.mark.django_db

IMMEDIATE_TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture(autouse=True)
def _site(settings):
    settings.SITE_URL = "https://crm.example.com/"
    settings.TASKS = IMMEDIATE_TASKS


def assigned_lead(*languages: str, lead_language: str = Language.FRENCH, **user_fields):
    user = SalesPersonFactory(username="ana", first_name="Ana", **user_fields)
    SalesProfile.objects.create(
        user=user,
        speaks_french=Language.FRENCH in languages,
        speaks_english=Language.ENGLISH in languages,
        speaks_hebrew=Language.HEBREW in languages,
    )
    return LeadFactory(
        brand_name="Acme", email="client@example.com", language=lead_language, assigned_to=user
    )


def test_the_assignee_gets_the_brand_and_an_absolute_link_to_the_lead():
    lead = assigned_lead(Language.ENGLISH, lead_language=Language.ENGLISH)

    assert notify_assignee.enqueue(lead.pk, lead.assigned_to_id).return_value is True

    [message] = mail.outbox
    assert message.to == ["ana@example.com"]
    assert message.subject == "New prospect assigned to you: Acme"
    assert "Hello Ana," in message.body
    assert "The prospect Acme (client@example.com) has been assigned to you." in message.body
    assert f"https://crm.example.com/admin/crm/lead/{lead.pk}/change/" in message.body


def test_the_email_is_in_the_lead_language_when_the_assignee_speaks_it():
    lead = assigned_lead(Language.ENGLISH, Language.FRENCH, lead_language=Language.FRENCH)

    notify_assignee.call(lead.pk, lead.assigned_to_id)

    assert mail.outbox[0].subject == "Nouveau prospect attribué : Acme"
    assert "L'ouvrir dans le CRM : https://crm.example.com/" in mail.outbox[0].body


def test_the_email_is_in_a_language_the_assignee_speaks_otherwise():
    lead = assigned_lead(Language.HEBREW, lead_language=Language.ENGLISH)

    notify_assignee.call(lead.pk, lead.assigned_to_id)

    # Right to left: the brand, address and link are isolated so that they stay whole.
    assert mail.outbox[0].subject == "ליד חדש הוקצה לך: \u2068Acme\u2069"
    assert "\u2068client@example.com\u2069" in mail.outbox[0].body


def test_the_email_is_in_the_site_language_when_no_language_is_known(settings):
    settings.LANGUAGE_CODE = "fr"
    lead = assigned_lead(lead_language=Language.HEBREW)

    notify_assignee.call(lead.pk, lead.assigned_to_id)

    assert mail.outbox[0].subject == "Nouveau prospect attribué : Acme"


def test_a_brand_with_line_breaks_gives_a_one_line_subject():
    lead = assigned_lead(Language.ENGLISH, lead_language=Language.ENGLISH)
    lead.brand_name = "Acme\r\nBcc: victim@example.com"
    lead.save()

    notify_assignee.call(lead.pk, lead.assigned_to_id)

    assert mail.outbox[0].subject == "New prospect assigned to you: Acme Bcc: victim@example.com"
    assert mail.outbox[0].recipients() == ["ana@example.com"]


def test_no_email_for_an_assignee_without_an_address():
    lead = assigned_lead(Language.FRENCH, email="")

    assert notify_assignee.call(lead.pk, lead.assigned_to_id) is False
    assert mail.outbox == []


def test_no_email_when_the_lead_was_reassigned_or_deleted_before_the_worker_ran():
    lead = assigned_lead(Language.FRENCH)
    lead_id, first_assignee = lead.pk, lead.assigned_to_id
    lead.assigned_to = ben = SalesPersonFactory(username="ben")
    lead.save()

    assert notify_assignee.call(lead_id, first_assignee) is False
    lead.delete()
    assert notify_assignee.call(lead_id, ben.pk) is False
    assert mail.outbox == []
