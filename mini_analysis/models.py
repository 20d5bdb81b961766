import uuid

from django.core.validators import MaxLengthValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from phonenumber_field.modelfields import PhoneNumberField

from .keys import KEY_SOURCES, KeyedModel, identity_key_constraints
from .lengths import ANALYSIS_MAX_LENGTH, ERROR_MAX_LENGTH, text_length_constraint


class Language(models.TextChoices):
    FRENCH = "fr", _("French")
    ENGLISH = "en", _("English")
    HEBREW = "he", _("Hebrew")


class Status(models.TextChoices):
    """How the generation of the analysis went; the seed's spelling is a contract."""

    NEW = "NEW", _("New")
    QUOTA_BLOCKED = "QUOTA_BLOCKED", _("Quota blocked")
    GENERATED = "GENERATED", _("Generated")
    ERROR = "ERROR", _("Error")


class GenerationState(models.TextChoices):
    """Where the background generation of a request stands (the outcome is `Status`).

    IDLE: nothing scheduled (imported requests, or before this existed); QUEUED: a job is due;
    RUNNING: a worker claimed it at `claimed_at`; RETRY: due again at `next_attempt_at`; DONE:
    generated; FAILED: ERROR after GENERATION_MAX_ATTEMPTS, left for a person to re-queue.
    """

    IDLE = "idle", _("Not scheduled")
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    RETRY = "retry", _("Retry scheduled")
    DONE = "done", pgettext_lazy("generation state", "Done")
    FAILED = "failed", _("Gave up")


class MiniAnalysis(KeyedModel):
    """One request sent through the public form (the legacy `mini_analyses` collection)."""

    request_id = models.UUIDField(_("request id"), default=uuid.uuid4, unique=True, editable=False)
    email = models.EmailField(_("email"))
    phone = PhoneNumberField(_("phone"), blank=True)
    brand_name = models.CharField(_("brand name"), max_length=200)
    sector = models.CharField(_("sector"), max_length=120, blank=True)
    language = models.CharField(
        _("language"), max_length=2, choices=Language.choices, default=Language.FRENCH
    )
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.NEW)
    analysis_text = models.TextField(
        _("analysis"),
        blank=True,
        max_length=ANALYSIS_MAX_LENGTH,
        validators=[MaxLengthValidator(ANALYSIS_MAX_LENGTH)],
    )
    pdf_url = models.CharField(_("PDF URL"), max_length=500, blank=True)
    consent_at = models.DateTimeField(_("consent given at"), null=True, blank=True)
    # The `_id` of the document in the legacy MongoDB collection, so a re-import changes nothing.
    legacy_id = models.CharField(
        _("legacy id"), max_length=64, unique=True, null=True, blank=True, editable=False
    )
    # Normalized (email, brand) identity, computed by every writer and guarded by the database,
    # see `mini_analysis.keys`.
    email_key = models.CharField(max_length=254, editable=False)
    brand_key = models.CharField(max_length=200, editable=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    # The background generation (see `mini_analysis.generation`): the row is the job's source of
    # truth, so a job delivered twice, or to two workers, generates once.
    # Database defaults too: a row written by raw SQL or an older version of the app is "not
    # scheduled", with no attempt, rather than refused for a column it did not know.
    generation_state = models.CharField(
        _("generation"),
        max_length=8,
        choices=GenerationState.choices,
        default=GenerationState.IDLE,
        db_default=GenerationState.IDLE,
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0, db_default=0)
    queued_at = models.DateTimeField(_("queued at"), null=True, blank=True, editable=False)
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True, editable=False)
    next_attempt_at = models.DateTimeField(_("retry at"), null=True, blank=True, editable=False)
    last_error = models.TextField(
        _("last error"), blank=True, editable=False, default="", db_default="", max_length=ERROR_MAX_LENGTH
    )
    emailed_at = models.DateTimeField(_("emailed at"), null=True, blank=True, editable=False)
    # Generated and shown, never mailed: its address had used up its emails of the day
    # (`MINI_ANALYSIS_EMAILS_PER_RECIPIENT`, see `mini_analysis.recipients`).
    email_withheld = models.BooleanField(_("email withheld"), default=False, db_default=False, editable=False)

    KEY_SOURCES = KEY_SOURCES

    class Meta:
        db_table = "mini_analyses"
        verbose_name = _("mini-analysis")
        verbose_name_plural = _("mini-analyses")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["email_key", "brand_key", "created_at"], name="mini_analysis_identity"),
            models.Index(fields=["-created_at"], name="mini_analysis_created"),
            models.Index(fields=["status"], name="mini_analysis_status"),
            models.Index(fields=["generation_state", "next_attempt_at"], name="mini_analysis_generation"),
        ]
        constraints = [
            *identity_key_constraints("mini_analysis"),
            models.CheckConstraint(
                condition=~models.Q(generation_state=GenerationState.RUNNING)
                | models.Q(claimed_at__isnull=False),
                name="mini_analysis_running_has_claim",
            ),
            models.CheckConstraint(
                condition=~models.Q(generation_state=GenerationState.RETRY)
                | models.Q(next_attempt_at__isnull=False),
                name="mini_analysis_retry_has_time",
            ),
            text_length_constraint(
                "mini_analyses_text_lengths",
                {
                    "email": 254,
                    "phone": 128,
                    "brand_name": 200,
                    "sector": 120,
                    "language": 2,
                    "status": 16,
                    "analysis_text": ANALYSIS_MAX_LENGTH,
                    "pdf_url": 500,
                    "legacy_id": 64,
                    "email_key": 254,
                    "brand_key": 200,
                    "generation_state": 8,
                    "last_error": ERROR_MAX_LENGTH,
                },
            ),
        ]

    def __str__(self) -> str:
        return f"{self.brand_name} | {self.email}"

    @property
    def generation_pending(self) -> bool:
        """A worker will write the analysis soon: the visitor's page waits for it."""
        return self.generation_state in {GenerationState.QUEUED, GenerationState.RUNNING}


class RecipientDailyEmails(models.Model):
    """How many analysis emails one recipient address was given on one day (`recipients`).

    The address is stored as a keyed hash (`recipients.recipient_digest`), never as itself: the
    counter must recognise an address, not read it. Rows of past days are deleted as new ones
    are written."""

    recipient = models.CharField(max_length=64, editable=False)
    day = models.DateField(editable=False)
    count = models.PositiveIntegerField(default=0, editable=False)

    class Meta:
        db_table = "mini_analysis_recipient_emails"
        constraints = [
            models.UniqueConstraint(fields=["recipient", "day"], name="recipient_emails_one_row_a_day"),
            text_length_constraint("recipient_emails_text_lengths", {"recipient": 64}),
        ]
        indexes = [models.Index(fields=["day"], name="recipient_emails_day")]

    def __str__(self) -> str:
        return f"{self.day}: {self.count}"


class WorkerHeartbeat(models.Model):
    """When each worker process (`run_worker`) was last seen running its loop (`worker`).

    In the database, not the cache: every web process reads what every worker wrote, and a cache
    may evict it. `/healthz` answers 503 when none was seen for WORKER_HEARTBEAT_MAX_AGE seconds."""

    worker_id = models.CharField(max_length=64, primary_key=True, editable=False)
    seen_at = models.DateTimeField(editable=False, db_index=True)

    class Meta:
        db_table = "mini_analysis_worker_heartbeats"
        constraints = [text_length_constraint("worker_heartbeats_text_lengths", {"worker_id": 64})]

    def __str__(self) -> str:
        return f"{self.worker_id}: {self.seen_at}"
