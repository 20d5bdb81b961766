"""An email written in the CRM, as it leaves: built from its activity and sent through EMAIL_URL.

The From is the sales person's own name at the site's address (DEFAULT_FROM_EMAIL: the domain the
mail server may send for), the Reply-To their own address, so the person answers them. The text is
sent as written (plain text) and as HTML where every character the sales person typed is escaped.
Each header value is one line (`one_line`), and Django refuses a header with a line break anyway.
"""

import re
from email.utils import formataddr, parseaddr

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.utils import timezone
from django.utils.html import escape, urlize

from .models import DeliveryStatus, EmailMessage

ERROR_MAX_LENGTH = 2000


def one_line(text: str) -> str:
    return " ".join(text.split())


def html_of(text: str) -> str:
    """The text as HTML: escaped, links made clickable, paragraphs and line breaks kept."""
    paragraphs = [urlize(escape(paragraph)) for paragraph in text.replace("\r\n", "\n").split("\n\n")]
    body = "".join(f"<p>{paragraph.replace(chr(10), '<br>')}</p>" for paragraph in paragraphs if paragraph)
    return f'<!DOCTYPE html><html><body dir="auto">{body}</body></html>'


def without_address(error: str, address: str) -> str:
    """The server's reason, without the recipient's address it often quotes: the reason outlives
    an erasure that anonymises the activity (the record says who it was)."""
    return re.sub(re.escape(address), "<recipient>", error, flags=re.IGNORECASE)[:ERROR_MAX_LENGTH]


def build_message(email: EmailMessage) -> EmailMultiAlternatives:
    """The message of an outbound email, with its Message-ID kept in the CRM."""
    activity = email.activity
    record = activity.lead or activity.contact
    sender = email.sender
    _, site_address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    name = one_line(sender.get_full_name() or sender.get_username()) if sender else ""
    message = EmailMultiAlternatives(
        subject=one_line(activity.subject),
        body=activity.body,
        from_email=formataddr((name, site_address)) if name else settings.DEFAULT_FROM_EMAIL,
        to=[record.email],
        reply_to=[sender.email] if sender is not None and sender.email else None,
        headers={"Message-ID": email.message_id},
    )
    message.attach_alternative(html_of(activity.body), "text/html")
    return message


def deliver(email_id: int) -> str:
    """Send one outbound email unless it was sent already (a job run twice sends once); record
    the outcome. Returns the status written ('' when there was nothing to send)."""
    with transaction.atomic():
        email = (
            EmailMessage.objects.select_for_update(of=("self",))
            .select_related("activity__lead", "activity__contact", "sender")
            .filter(pk=email_id)
            .exclude(status=DeliveryStatus.SENT)
            .first()
        )
        if email is None:
            return ""
        email.attempts += 1
        message = build_message(email)
        try:
            message.send()
        except Exception as error:  # whatever the mail server says, it is recorded and retried
            email.status = DeliveryStatus.FAILED
            email.error = without_address(f"{type(error).__name__}: {error}", message.to[0])
        else:
            email.status, email.error, email.sent_at = DeliveryStatus.SENT, "", timezone.now()
        email.save(update_fields=["status", "error", "attempts", "sent_at"])
    return email.status
