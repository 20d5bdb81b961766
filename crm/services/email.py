"""Email written from a record and replies read back: what a template becomes, who may not be
emailed and why, the email activity logged the moment it is queued, and a reply logged on the
record of the email it answers.

Sending is the worker's (`crm.tasks.send_crm_email`, through `crm.outbox`): the web request only
writes the activity and its `EmailMessage` (status "queued") and enqueues the job once they are
committed.
"""

import re
from datetime import datetime
from email.utils import make_msgid

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from mini_analysis.keys import normalize_key
from mini_analysis.lengths import NOTES_MAX_LENGTH
from mini_analysis.tasks import enqueue_task

from ..erasure import ERASED_DOMAIN
from ..models import (
    Activity,
    ActivityKind,
    Contact,
    DeliveryStatus,
    EmailDirection,
    EmailMessage,
    EmailOptOut,
    EmailTemplate,
    Lead,
)
from ..tasks import send_crm_email
from .activities import record_activity
from .common import PipelineError

Record = Lead | Contact
PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")
PLACEHOLDERS = ["name", "brand", "seller_name", "signature", "analysis_url", "booking_url"]


def why_not_emailable(record: Record) -> str:
    """Why this person may not be emailed, in the active language ('' when they may)."""
    email = record.email or ""
    if not email or email.lower().endswith("@" + ERASED_DOMAIN):
        return _("This person's data was erased: they cannot be emailed.")
    if EmailOptOut.objects.filter(email_key=normalize_key(email)).exists():
        return _("This person withdrew their consent to be emailed.")
    return ""


def templates_for(record: Record):
    """The active templates, the person's language first."""
    templates = list(EmailTemplate.objects.filter(is_active=True))
    return sorted(templates, key=lambda template: (template.language != record.language, template.pk))


def placeholder_values(record: Record, user: AbstractBaseUser) -> dict[str, str]:
    """What each placeholder stands for, for this person and this sales person."""
    seller_name = user.get_full_name() or user.get_username()
    if isinstance(record, Lead):
        brand = record.brand_name
        analysis_url = _analysis_url(record)
    else:
        brand = record.company.name if record.company_id else ""
        analysis_url = ""
    return {
        "name": record.full_name or record.email,
        "brand": brand,
        "seller_name": seller_name,
        "signature": "\n".join(part for part in [seller_name, user.email] if part),
        "analysis_url": analysis_url,
        "booking_url": settings.BOOK_A_CALL_URL,
    }


def fill_placeholders(text: str, values: dict[str, str]) -> str:
    """Each known `{placeholder}` replaced by its value; nothing else is read or evaluated (no
    attribute access, no format spec), and an unknown one is left as it is."""
    return PLACEHOLDER.sub(lambda match: values.get(match.group(1), match.group(0)), text)


def one_line(text: str) -> str:
    """A header value on one line: a line break in a subject or a name cannot add a header."""
    return " ".join(text.split())


def render_template(template: EmailTemplate, record: Record, user: AbstractBaseUser) -> tuple[str, str]:
    """The template's subject and body for this person, for the sales person to edit."""
    values = placeholder_values(record, user)
    return one_line(fill_placeholders(template.subject, values)), fill_placeholders(template.body, values)


def compose_email(
    record: Record, *, user: AbstractBaseUser, subject: str, body: str, now: datetime | None = None
) -> Activity:
    """Log the email on the record's timeline (queued) and have the worker send it.

    Raises `PipelineError` when the person may not be emailed. Placeholders left in the edited
    text are filled in; the subject is made one line."""
    refusal = why_not_emailable(record)
    if refusal:
        raise PipelineError(refusal)
    values = placeholder_values(record, user)
    subject = one_line(fill_placeholders(subject, values))[:200]
    body = fill_placeholders(body, values)[:NOTES_MAX_LENGTH]
    activity = Activity(kind=ActivityKind.EMAIL, subject=subject, body=body, owner=user)
    activity.lead = record if isinstance(record, Lead) else None
    activity.contact = record if isinstance(record, Contact) else None
    with transaction.atomic():
        record_activity(activity, user=user, now=now)
        message = EmailMessage.objects.create(
            activity=activity,
            direction=EmailDirection.OUTBOUND,
            message_id=make_msgid(domain=settings.CRM_EMAIL_DOMAIN),
            status=DeliveryStatus.QUEUED,
            sender=user,
        )
        transaction.on_commit(lambda: enqueue_task(send_crm_email, message.pk))
    return activity


def record_inbound(
    *,
    original: EmailMessage | None,
    record: Record | None,
    message_id: str,
    in_reply_to: str,
    subject: str,
    body: str,
    received_at: datetime | None,
) -> Activity | None:
    """Log a received email on the record of the email it answers (`original`) or on `record`.

    None when this Message-ID was already imported (by this poller earlier, or by another one
    at the same moment: the unique Message-ID decides)."""
    activity = Activity(kind=ActivityKind.EMAIL, subject=one_line(subject)[:200] or _("(no subject)"))
    activity.body = body[:NOTES_MAX_LENGTH]
    activity.done_at = min(received_at or timezone.now(), timezone.now())
    sender = None
    if original is not None:
        activity.lead_id = original.activity.lead_id
        activity.contact_id = original.activity.contact_id
        activity.opportunity_id = original.activity.opportunity_id
        activity.owner_id = sender = original.activity.owner_id
    elif isinstance(record, Lead):
        activity.lead, activity.owner_id = record, record.assigned_to_id
    else:
        activity.contact, activity.owner_id = record, record.owner_id
    try:
        with transaction.atomic():
            record_activity(activity, user=None)
            EmailMessage.objects.create(
                activity=activity,
                direction=EmailDirection.INBOUND,
                message_id=message_id[:255],
                in_reply_to=in_reply_to[:255],
                status=DeliveryStatus.RECEIVED,
                sender_id=sender,
            )
    except IntegrityError:
        return None
    return activity


def _analysis_url(lead: Lead) -> str:
    if lead.mini_analysis_id is None:
        return ""
    request_id = lead.mini_analysis.request_id
    with translation.override(lead.language):
        path = reverse("mini_analysis:result", args=[request_id])
    return settings.SITE_URL.rstrip("/") + path
