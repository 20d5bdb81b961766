from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from phonenumber_field.modelfields import PhoneNumberField

from mini_analysis.keys import (
    KEY_SOURCES,
    KEYED,
    KeyedModel,
    KeyedQuerySet,
    identity_key,
    identity_key_constraints,
)
from mini_analysis.lengths import ERROR_MAX_LENGTH, NOTES_MAX_LENGTH, text_length_constraint
from mini_analysis.models import Language, MiniAnalysis, Status

from ..history import BoundedHistoricalRecords
from ..names import person_name
from .search_text import folded_text

ANALYSIS_PREVIEW_LENGTH = 500


class Source(models.TextChoices):
    """Where a lead came from; the seed's spelling is a contract."""

    MINI_ANALYSIS = "mini-analysis", _("Mini-analysis form")
    MIGRATION = "mini-analysis-migration", _("Mini-analysis migration")
    MANUAL = "manual", _("Typed in the admin")


class LeadStage(models.TextChoices):
    """Where the sales work on a lead stands; apart from `status`, the analysis status of its request."""

    NEW = "NEW", _("New")
    ATTEMPTING = "ATTEMPTING", _("Attempting contact")
    CONNECTED = "CONNECTED", _("Connected")
    QUALIFIED = "QUALIFIED", _("Qualified")
    CONVERTED = "CONVERTED", _("Converted")
    DISQUALIFIED = "DISQUALIFIED", _("Disqualified")


class LeadQuerySet(KeyedQuerySet):
    def filter_identity(self, email: str, brand_name: str) -> "LeadQuerySet":
        """Leads of this person and brand (trimmed, case-insensitive): at most one. An empty email
        or brand name is nobody's: it matches no lead."""
        email_key, brand_key = identity_key(email, brand_name)
        return self.filter(KEYED, email_key=email_key, brand_key=brand_key)


class Lead(KeyedModel):
    """A CRM prospect: one person and one brand (the legacy `leads` collection).

    "One lead per person and brand" is guarded by the database: the normalized key columns carry
    a unique constraint, so concurrent writers cannot create a duplicate; writers catch the
    IntegrityError and update the existing lead instead (see `crm.services`).
    """

    email = models.EmailField(_("email"))
    first_name = models.CharField(_("first name"), max_length=200, blank=True, default="", db_default="")
    last_name = models.CharField(_("last name"), max_length=200, blank=True, default="", db_default="")
    phone = PhoneNumberField(_("phone"), blank=True)
    brand_name = models.CharField(_("brand name"), max_length=200)
    sector = models.CharField(_("sector"), max_length=120, blank=True)
    language = models.CharField(
        _("language"), max_length=2, choices=Language.choices, default=Language.FRENCH
    )
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.NEW)
    source = models.CharField(_("source"), max_length=32, choices=Source.choices, default=Source.MANUAL)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assigned to"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_leads",
    )
    mini_analysis = models.ForeignKey(
        MiniAnalysis,
        verbose_name=_("mini-analysis"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    pdf_url = models.CharField(_("PDF URL"), max_length=500, blank=True)
    analysis_text = models.TextField(
        _("analysis preview"),
        blank=True,
        max_length=ANALYSIS_PREVIEW_LENGTH,
        help_text=_("The first 500 characters of the analysis."),
    )
    notes = models.TextField(
        _("notes"),
        blank=True,
        max_length=NOTES_MAX_LENGTH,
        validators=[MaxLengthValidator(NOTES_MAX_LENGTH)],
    )
    legacy_id = models.CharField(
        _("legacy id"), max_length=64, unique=True, null=True, blank=True, editable=False
    )
    email_key = models.CharField(max_length=254, editable=False)
    brand_key = models.CharField(max_length=200, editable=False)
    search_text = folded_text("brand_name", "first_name", "last_name")
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    # Settable (not auto_now) so imports keep the legacy value; `save()` bumps it on every update.
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)
    # When the backfill created this lead: a rollback keeps the leads updated after it.
    migrated_at = models.DateTimeField(_("migrated"), null=True, blank=True, editable=False)
    # The sales pipeline (see `crm.services`): stage, next action, conversion.
    # Database defaults too: the backfill's INSERT … SELECT writes leads without naming these columns.
    stage = models.CharField(
        _("sales stage"),
        max_length=16,
        choices=LeadStage.choices,
        default=LeadStage.NEW,
        db_default=LeadStage.NEW,
    )
    disqualification_reason = models.ForeignKey(
        "crm.DisqualificationReason",
        verbose_name=_("disqualification reason"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="leads",
    )
    # The earliest open task of the lead, kept by `crm.services` (indexed for the "next action" filter).
    next_action = models.CharField(
        _("next action"), max_length=200, blank=True, default="", db_default="", editable=False
    )
    next_action_at = models.DateTimeField(_("next action date"), null=True, blank=True, editable=False)
    last_contacted_at = models.DateTimeField(_("last contacted"), null=True, blank=True, editable=False)
    # The first call, email or meeting (kept by `crm.services`): the dashboard's time to first contact.
    first_contacted_at = models.DateTimeField(_("first contacted"), null=True, blank=True, editable=False)
    # PROTECT: a converted lead must keep its contact (a check constraint says so too).
    contact = models.ForeignKey(
        "crm.Contact",
        verbose_name=_("contact"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="leads",
        editable=False,
    )
    opportunity = models.ForeignKey(
        "crm.Opportunity",
        verbose_name=_("opportunity"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="leads",
        editable=False,
    )
    converted_at = models.DateTimeField(_("converted"), null=True, blank=True, editable=False)
    converted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("converted by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )

    KEY_SOURCES = KEY_SOURCES

    objects = LeadQuerySet.as_manager()
    history = BoundedHistoricalRecords(table_name="leads_history")

    class Meta:
        db_table = "leads"
        verbose_name = _("prospect")
        verbose_name_plural = _("prospects")
        ordering = ["-created_at", "-id"]
        permissions = [
            ("assign_lead", _("Can assign prospects to any sales person")),
            ("convert_lead", _("Can convert prospects into contacts and opportunities")),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["email_key", "brand_key"], name="unique_lead_per_email_and_brand"
            ),
            *identity_key_constraints("lead"),
            # A disqualified lead says why; a lead in any other stage carries no reason.
            models.CheckConstraint(
                condition=models.Q(stage=LeadStage.DISQUALIFIED, disqualification_reason__isnull=False)
                | (~models.Q(stage=LeadStage.DISQUALIFIED) & models.Q(disqualification_reason__isnull=True)),
                name="lead_disqualified_with_reason",
            ),
            # A converted lead keeps when it was converted and the contact it became.
            models.CheckConstraint(
                condition=~models.Q(stage=LeadStage.CONVERTED)
                | models.Q(converted_at__isnull=False, contact__isnull=False),
                name="lead_converted_with_contact",
            ),
            text_length_constraint(
                "leads_text_lengths",
                {
                    "email": 254,
                    "first_name": 200,
                    "last_name": 200,
                    "phone": 128,
                    "brand_name": 200,
                    "sector": 120,
                    "language": 2,
                    "status": 16,
                    "source": 32,
                    "pdf_url": 500,
                    "analysis_text": ANALYSIS_PREVIEW_LENGTH,
                    "notes": NOTES_MAX_LENGTH,
                    "legacy_id": 64,
                    "email_key": 254,
                    "brand_key": 200,
                    "stage": 16,
                    "next_action": 200,
                },
            ),
        ]
        # One index per admin filter, each ending with the default ordering.
        indexes = [
            models.Index(fields=["-created_at", "-id"], name="lead_created"),
            models.Index(fields=["status", "-created_at"], name="lead_status_created"),
            models.Index(fields=["source", "-created_at"], name="lead_source_created"),
            models.Index(fields=["assigned_to", "-created_at"], name="lead_assigned_created"),
            models.Index(fields=["language", "-created_at"], name="lead_language_created"),
            models.Index(fields=["sector", "-created_at"], name="lead_sector_created"),
            models.Index(fields=["stage", "-created_at"], name="lead_stage_created"),
            models.Index(fields=["next_action_at"], name="lead_next_action"),
            # A sales person's open prospects with no next action, newest first: My day's third group.
            models.Index(
                fields=["assigned_to", "-created_at"],
                name="lead_open_no_next_action",
                condition=models.Q(
                    next_action_at__isnull=True,
                    stage__in=["NEW", "ATTEMPTING", "CONNECTED", "QUALIFIED"],
                ),
            ),
            # A company's leads (the visibility of companies goes through the brand key).
            models.Index(fields=["brand_key"], name="lead_brand_key"),
            # The sector filter's walk over a sales person's leads, one part at a time
            # (`visibility.visible_lead_parts`): theirs, and the unassigned ones.
            models.Index(fields=["assigned_to", "sector"], name="lead_assigned_sector"),
            models.Index(
                fields=["sector"], condition=models.Q(assigned_to__isnull=True), name="lead_unassigned_sector"
            ),
            # The keys of a sales person's leads, part by part, from the index alone: the ids a
            # short list of their prospects reads with its count (`pagination._count_and_ids`).
            models.Index(fields=["assigned_to", "id"], name="lead_assigned_id"),
            # A sales person's prospects of one status or stage, counted part by part from the
            # index alone (`LeadAdmin.count_parts`): theirs (`= id`) and the unassigned (`IS NULL`).
            models.Index(fields=["assigned_to", "status", "id"], name="lead_assigned_status"),
            models.Index(fields=["assigned_to", "stage", "id"], name="lead_assigned_stage"),
        ]

    def __str__(self) -> str:
        return f"{self.brand_name} | {self.email}"

    @property
    def full_name(self) -> str:
        """The person behind the request, when known (the form does not ask; a sales person or an
        import may fill it)."""
        return person_name(self.first_name, self.last_name)

    def save(self, *args, **kwargs) -> None:
        self.analysis_text = self.analysis_text[:ANALYSIS_PREVIEW_LENGTH]
        if self.pk is not None:
            self.updated_at = timezone.now()
        if (update_fields := kwargs.get("update_fields")) is not None:
            kwargs["update_fields"] = {*update_fields, "updated_at"}
        super().save(*args, **kwargs)

    def clean(self) -> None:
        """A friendly form error before the unique constraint would refuse the row."""
        super().clean()  # the keys the row will be saved with, which `full_clean()` then checks
        duplicates = Lead.objects.filter_identity(self.email, self.brand_name).exclude(pk=self.pk)
        if self.email and self.brand_name and duplicates.exists():
            raise ValidationError(
                {"brand_name": _("A prospect with this email and brand name already exists.")}
            )


class LeadSyncFailure(models.Model):
    """A mini-analysis whose automatic lead could not be written; the audit command lists them."""

    mini_analysis = models.ForeignKey(
        MiniAnalysis, on_delete=models.CASCADE, related_name="+", verbose_name=_("mini-analysis")
    )
    error = models.TextField(_("error"), max_length=ERROR_MAX_LENGTH)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("lead sync failure")
        verbose_name_plural = _("lead sync failures")
        ordering = ["-created_at"]
        constraints = [
            text_length_constraint("crm_leadsyncfailure_text_lengths", {"error": ERROR_MAX_LENGTH})
        ]

    def __str__(self) -> str:
        return f"{self.mini_analysis_id}: {self.error[:80]}"
