from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from phonenumber_field.modelfields import PhoneNumberField

from mini_analysis.keys import identity_key
from mini_analysis.models import Language, MiniAnalysis, Status

ANALYSIS_PREVIEW_LENGTH = 500


class Source(models.TextChoices):
    """Where a lead came from; the seed's spelling is a contract."""

    MINI_ANALYSIS = "mini-analysis", _("Mini-analysis form")
    MIGRATION = "mini-analysis-migration", _("Mini-analysis migration")
    MANUAL = "manual", _("Typed in the admin")


class LeadQuerySet(models.QuerySet):
    def filter_identity(self, email: str, brand_name: str) -> "LeadQuerySet":
        """Leads of this person and brand (trimmed, case-insensitive): at most one."""
        email_key, brand_key = identity_key(email, brand_name)
        return self.filter(email_key=email_key, brand_key=brand_key)

    def visible_to(self, user) -> "LeadQuerySet":
        """What a user may see: a superuser everything, a sales person their own and unassigned."""
        if user.is_superuser:
            return self
        return self.filter(models.Q(assigned_to=user) | models.Q(assigned_to__isnull=True))


class Lead(models.Model):
    """A CRM prospect: one person and one brand (the legacy `leads` collection).

    "One lead per person and brand" is guarded by the database: the normalized key columns carry
    a unique constraint, so concurrent writers cannot create a duplicate; writers catch the
    IntegrityError and update the existing lead instead (see `crm.services`).
    """

    email = models.EmailField(_("email"))
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
        _("analysis preview"), blank=True, help_text=_("The first 500 characters of the analysis.")
    )
    notes = models.TextField(_("notes"), blank=True)
    legacy_id = models.CharField(
        _("legacy id"), max_length=64, unique=True, null=True, blank=True, editable=False
    )
    email_key = models.CharField(max_length=254, editable=False)
    brand_key = models.CharField(max_length=200, editable=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    # Settable (not auto_now) so imports keep the legacy value; `save()` bumps it on every update.
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)
    # When the backfill created this lead: a rollback keeps the leads updated after it.
    migrated_at = models.DateTimeField(_("migrated"), null=True, blank=True, editable=False)

    objects = LeadQuerySet.as_manager()

    class Meta:
        db_table = "leads"
        verbose_name = _("prospect")
        verbose_name_plural = _("prospects")
        ordering = ["-created_at", "-id"]
        permissions = [("assign_lead", _("Can assign prospects to any sales person"))]
        constraints = [
            models.UniqueConstraint(
                fields=["email_key", "brand_key"], name="unique_lead_per_email_and_brand"
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
        ]

    def __str__(self) -> str:
        return f"{self.brand_name} | {self.email}"

    def save(self, *args, **kwargs) -> None:
        self.email_key, self.brand_key = identity_key(self.email, self.brand_name)
        self.analysis_text = self.analysis_text[:ANALYSIS_PREVIEW_LENGTH]
        if self.pk is not None:
            self.updated_at = timezone.now()
        if (update_fields := kwargs.get("update_fields")) is not None:
            kwargs["update_fields"] = {*update_fields, "email_key", "brand_key", "updated_at"}
        super().save(*args, **kwargs)

    def clean(self) -> None:
        """A friendly form error before the unique constraint would refuse the row."""
        super().clean()
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
    error = models.TextField(_("error"))
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("lead sync failure")
        verbose_name_plural = _("lead sync failures")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.mini_analysis_id}: {self.error[:80]}"


# --- fair assignment (the lead may move this to `crm/models/assignment.py`; logic in `crm.assignment`)

# The profile's flag for each language a lead can have.
SPOKEN_LANGUAGE_FIELDS = {
    Language.FRENCH: "speaks_french",
    Language.ENGLISH: "speaks_english",
    Language.HEBREW: "speaks_hebrew",
}


class SalesProfile(models.Model):
    """What the automatic assignment knows of a sales person: the languages they speak, whether
    they are away, and when they last got an automatic lead (the round-robin's turn).

    Languages are three booleans rather than a list: "speaks Hebrew" is a plain indexed filter on
    SQLite and PostgreSQL alike, and a fourth language is a migration, which it would be anyway.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="sales_profile",
    )
    speaks_french = models.BooleanField(_("speaks French"), default=False)
    speaks_english = models.BooleanField(_("speaks English"), default=False)
    speaks_hebrew = models.BooleanField(_("speaks Hebrew"), default=False)
    is_away = models.BooleanField(
        _("away"), default=False, help_text=_("Away people get no automatic prospects.")
    )
    # The round-robin's order: a number rather than a time, so that clocks that differ between
    # servers (or step back) cannot reorder the turns. Empty until the first automatic prospect.
    last_turn = models.PositiveBigIntegerField(_("last turn"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("sales profile")
        verbose_name_plural = _("sales profiles")
        ordering = ["user__username"]

    def __str__(self) -> str:
        return str(self.user)

    def spoken_languages(self) -> list[str]:
        """The language codes this person speaks, in the order of `Language`."""
        return [code for code, field in SPOKEN_LANGUAGE_FIELDS.items() if getattr(self, field)]
