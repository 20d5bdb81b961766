"""Email written from the CRM and the replies read back: templates, each message's envelope
(its Message-ID, direction and delivery), the people who may not be emailed, and where the
mailbox poller stands in each folder.

The subject and the text of a message are its `Activity` (the timeline shows them; erasure already
reaches them); `EmailMessage` keeps only what mail needs beside them, and no address: the record
says where it went.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mini_analysis.lengths import text_length_constraint
from mini_analysis.models import Language


class EmailTemplate(models.Model):
    """An editable starting point for an email, in one language.

    Placeholders are `{name}`, `{brand}`, `{seller_name}`, `{signature}`, `{analysis_url}` and
    `{booking_url}`, replaced by `crm.services.email.fill_placeholders` (nothing else is evaluated).
    """

    name = models.CharField(_("name"), max_length=100)
    language = models.CharField(_("language"), max_length=2, choices=Language.choices)
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("body"), max_length=10000)
    is_active = models.BooleanField(_("active"), default=True, help_text=_("Offered when composing."))

    class Meta:
        verbose_name = _("email template")
        verbose_name_plural = _("email templates")
        ordering = ["language", "name"]
        constraints = [
            models.UniqueConstraint(fields=["name", "language"], name="email_template_name_language"),
            text_length_constraint(
                "crm_emailtemplate_text_lengths", {"name": 100, "language": 2, "subject": 200, "body": 10000}
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.language})"


class EmailDirection(models.TextChoices):
    OUTBOUND = "out", _("Sent")
    INBOUND = "in", _("Received")


class DeliveryStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    RECEIVED = "received", _("Received")


class EmailMessage(models.Model):
    """The mail side of an email activity. `message_id` is unique: the reply poller imports a
    message once however many pollers run (the second insert fails and is skipped)."""

    activity = models.OneToOneField(
        "crm.Activity", verbose_name=_("activity"), on_delete=models.CASCADE, related_name="email"
    )
    direction = models.CharField(_("direction"), max_length=3, choices=EmailDirection.choices)
    message_id = models.CharField(_("Message-ID"), max_length=255, unique=True)
    in_reply_to = models.CharField(_("In-Reply-To"), max_length=255, blank=True)
    status = models.CharField(_("delivery"), max_length=8, choices=DeliveryStatus.choices)
    error = models.TextField(_("error"), blank=True, max_length=2000)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("sender"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("email")
        verbose_name_plural = _("emails")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(direction="out", status__in=["queued", "sent", "failed"])
                | models.Q(direction="in", status="received"),
                name="email_message_status_of_direction",
            ),
            text_length_constraint(
                "crm_emailmessage_text_lengths",
                {"direction": 3, "message_id": 255, "in_reply_to": 255, "status": 8, "error": 2000},
            ),
        ]

    def __str__(self) -> str:
        return self.message_id


class EmailOptOut(models.Model):
    """A person (normalized email, as `mini_analysis.keys`) who withdrew their consent to be emailed."""

    email_key = models.CharField(_("email"), max_length=254, unique=True)
    withdrawn_at = models.DateTimeField(_("withdrawn"), default=timezone.now)

    class Meta:
        verbose_name = _("email consent withdrawal")
        verbose_name_plural = _("email consent withdrawals")
        constraints = [text_length_constraint("crm_emailoptout_text_lengths", {"email_key": 254})]

    def __str__(self) -> str:
        return self.email_key


class MailboxState(models.Model):
    """How far the poller read one folder: the last UID imported, valid for one UIDVALIDITY (a new
    UIDVALIDITY means the UIDs were renumbered: the folder is read again; `message_id` keeps that
    harmless)."""

    folder = models.CharField(_("folder"), max_length=200, unique=True)
    uid_validity = models.PositiveBigIntegerField(_("UIDVALIDITY"))
    last_uid = models.PositiveBigIntegerField(_("last UID"), default=0)
    polled_at = models.DateTimeField(_("polled"), default=timezone.now)

    class Meta:
        verbose_name = _("mailbox state")
        verbose_name_plural = _("mailbox states")
        constraints = [text_length_constraint("crm_mailboxstate_text_lengths", {"folder": 200})]

    def __str__(self) -> str:
        return self.folder
