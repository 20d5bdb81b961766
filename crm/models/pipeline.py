"""What a lead becomes: a company (the brand), a contact (the person) and an opportunity (the deal).

Identity follows the lead's: a company is keyed by the normalized brand name and a contact by the
normalized email (`mini_analysis.keys.normalize_key`), each under a unique constraint, so one
brand is one company and one person is one contact whatever path wrote them.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator, MaxValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from phonenumber_field.modelfields import PhoneNumberField

from mini_analysis.keys import KeyedModel, normalize_key
from mini_analysis.lengths import NOTES_MAX_LENGTH, text_length_constraint
from mini_analysis.models import Language

from ..history import BoundedHistoricalRecords
from ..names import person_name
from .search_text import folded_text


class ReferenceRow(models.Model):
    """A row of an editable list (stages, reasons): its name is translated when the catalogue has it.

    The rows seeded by the data migrations are English msgids with French and Hebrew entries; a
    name typed in the admin shows as typed.
    """

    name = models.CharField(_("name"), max_length=100, unique=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        abstract = True
        ordering = ["order", "id"]
        constraints = [text_length_constraint("%(app_label)s_%(class)s_text_lengths", {"name": 100})]

    def __str__(self) -> str:
        return gettext(self.name)


class OpportunityStage(ReferenceRow):
    probability = models.PositiveSmallIntegerField(
        _("win probability (%)"), default=0, validators=[MaxValueValidator(100)]
    )
    is_won = models.BooleanField(_("won"), default=False)
    is_lost = models.BooleanField(_("lost"), default=False)

    class Meta(ReferenceRow.Meta):
        verbose_name = _("opportunity stage")
        verbose_name_plural = _("opportunity stages")
        constraints = [
            *ReferenceRow.Meta.constraints,
            models.CheckConstraint(
                condition=models.Q(probability__lte=100), name="stage_probability_at_most_100"
            ),
            models.CheckConstraint(
                condition=~models.Q(is_won=True, is_lost=True), name="stage_not_both_won_and_lost"
            ),
        ]

    @property
    def is_closed(self) -> bool:
        return self.is_won or self.is_lost


class DisqualificationReason(ReferenceRow):
    is_active = models.BooleanField(_("active"), default=True, help_text=_("Offered when disqualifying."))

    class Meta(ReferenceRow.Meta):
        verbose_name = _("disqualification reason")
        verbose_name_plural = _("disqualification reasons")


class LossReason(ReferenceRow):
    """Why a deal was lost: asked by every move to a lost stage, so the losses can be counted by cause."""

    is_active = models.BooleanField(_("active"), default=True, help_text=_("Offered when a deal is lost."))

    class Meta(ReferenceRow.Meta):
        verbose_name = _("loss reason")
        verbose_name_plural = _("loss reasons")


class Company(KeyedModel):
    """A brand: the company behind one or more leads of the same (normalized) brand name."""

    name = models.CharField(_("name"), max_length=200)
    brand_key = models.CharField(max_length=200, unique=True, editable=False)
    search_text = folded_text("name")
    sector = models.CharField(_("sector"), max_length=120, blank=True)
    website = models.URLField(_("website"), blank=True)
    country = models.CharField(_("country"), max_length=80, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_companies",
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    KEY_SOURCES = {"brand_key": "name"}

    history = BoundedHistoricalRecords(table_name="crm_company_history")

    class Meta:
        verbose_name = _("company")
        verbose_name_plural = _("companies")
        ordering = ["name", "id"]
        constraints = [
            models.CheckConstraint(condition=~models.Q(brand_key=""), name="company_brand_key_not_empty"),
            text_length_constraint(
                "crm_company_text_lengths",
                {"name": 200, "brand_key": 200, "sector": 120, "website": 200, "country": 80},
            ),
        ]
        indexes = [
            models.Index(fields=["owner", "name"], name="company_owner_name"),
            models.Index(fields=["sector", "name"], name="company_sector_name"),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        if (update_fields := kwargs.get("update_fields")) is not None:
            kwargs["update_fields"] = {*update_fields, "updated_at"}
        super().save(*args, **kwargs)

    def clean(self) -> None:
        """A friendly form error before the unique brand key would refuse the row."""
        super().clean()
        others = Company.objects.filter(brand_key=normalize_key(self.name)).exclude(pk=self.pk)
        if self.name and others.exists():
            raise ValidationError({"name": _("A company with this name already exists.")})


class Contact(KeyedModel):
    """A person, keyed by the normalized email: one person, one contact, whatever their brands."""

    email = models.EmailField(_("email"))
    email_key = models.CharField(max_length=254, unique=True, editable=False)
    first_name = models.CharField(_("first name"), max_length=200, blank=True, default="", db_default="")
    last_name = models.CharField(_("last name"), max_length=200, blank=True, default="", db_default="")
    phone = PhoneNumberField(_("phone"), blank=True)
    search_text = folded_text("first_name", "last_name")
    language = models.CharField(
        _("language"), max_length=2, choices=Language.choices, default=Language.FRENCH
    )
    company = models.ForeignKey(
        Company,
        verbose_name=_("company"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="contacts",
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_contacts",
    )
    last_contacted_at = models.DateTimeField(_("last contacted"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    KEY_SOURCES = {"email_key": "email"}

    history = BoundedHistoricalRecords(table_name="crm_contact_history")

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=~models.Q(email_key=""), name="contact_email_key_not_empty"),
            text_length_constraint(
                "crm_contact_text_lengths",
                {
                    "email": 254,
                    "email_key": 254,
                    "first_name": 200,
                    "last_name": 200,
                    "phone": 128,
                    "language": 2,
                },
            ),
        ]
        indexes = [
            models.Index(fields=["-created_at", "-id"], name="contact_created"),
            models.Index(fields=["owner", "-created_at"], name="contact_owner_created"),
            models.Index(fields=["language", "-created_at"], name="contact_language_created"),
        ]

    def __str__(self) -> str:
        return f"{self.full_name} <{self.email}>" if self.full_name else self.email

    @property
    def full_name(self) -> str:
        """First name then last name, as a person says it (empty when neither is known)."""
        return person_name(self.first_name, self.last_name)

    def save(self, *args, **kwargs) -> None:
        if (update_fields := kwargs.get("update_fields")) is not None:
            kwargs["update_fields"] = {*update_fields, "updated_at"}
        super().save(*args, **kwargs)

    def clean(self) -> None:
        """A friendly form error before the unique email key would refuse the row."""
        super().clean()
        others = Contact.objects.filter(email_key=normalize_key(self.email)).exclude(pk=self.pk)
        if self.email and others.exists():
            raise ValidationError({"email": _("A contact with this email already exists.")})


class Currency(models.TextChoices):
    EUR = "EUR", _("Euro")
    ILS = "ILS", _("Israeli new shekel")
    USD = "USD", _("US dollar")


class Opportunity(models.Model):
    """A deal with a company, through a contact, moving through the stages of the board."""

    name = models.CharField(_("name"), max_length=200)
    search_text = folded_text("name")
    company = models.ForeignKey(
        Company, verbose_name=_("company"), on_delete=models.PROTECT, related_name="opportunities"
    )
    contact = models.ForeignKey(
        Contact, verbose_name=_("contact"), on_delete=models.PROTECT, related_name="opportunities"
    )
    stage = models.ForeignKey(
        OpportunityStage, verbose_name=_("stage"), on_delete=models.PROTECT, related_name="opportunities"
    )
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2, default=0)
    currency = models.CharField(_("currency"), max_length=3, choices=Currency.choices, default=Currency.EUR)
    expected_close_date = models.DateField(_("expected close date"), null=True, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_opportunities",
    )
    next_step = models.CharField(_("next step"), max_length=200, blank=True)
    next_step_at = models.DateTimeField(_("next step date"), null=True, blank=True)
    closing_reason = models.TextField(
        _("closing reason"),
        blank=True,
        max_length=NOTES_MAX_LENGTH,
        validators=[MaxLengthValidator(NOTES_MAX_LENGTH)],
    )
    loss_reason = models.ForeignKey(
        LossReason,
        verbose_name=_("loss reason"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="opportunities",
        help_text=_("Required when the stage is lost."),
    )
    won_at = models.DateTimeField(_("won"), null=True, blank=True, editable=False)
    lost_at = models.DateTimeField(_("lost"), null=True, blank=True, editable=False)
    stage_entered_at = models.DateTimeField(_("in this stage since"), default=timezone.now, editable=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    history = BoundedHistoricalRecords(table_name="crm_opportunity_history")

    class Meta:
        verbose_name = _("opportunity")
        verbose_name_plural = _("opportunities")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gte=0), name="opportunity_amount_not_negative"),
            models.CheckConstraint(
                condition=models.Q(currency__in=Currency.values), name="opportunity_known_currency"
            ),
            models.CheckConstraint(
                condition=models.Q(won_at__isnull=True) | models.Q(lost_at__isnull=True),
                name="opportunity_not_both_won_and_lost",
            ),
            models.CheckConstraint(
                condition=models.Q(lost_at__isnull=True) | models.Q(loss_reason__isnull=False),
                name="opportunity_lost_has_a_reason",
            ),
            text_length_constraint(
                "crm_opportunity_text_lengths",
                {"name": 200, "currency": 3, "next_step": 200, "closing_reason": NOTES_MAX_LENGTH},
            ),
        ]
        indexes = [
            models.Index(fields=["-created_at", "-id"], name="opportunity_created"),
            models.Index(fields=["stage", "-created_at"], name="opportunity_stage_created"),
            models.Index(fields=["owner", "stage"], name="opportunity_owner_stage"),
            # A sales person's contacts and companies are theirs or their deals' (`crm.visibility`):
            # the deals' contacts and companies read from the index alone, not from 1 row in 3.
            models.Index(fields=["owner", "contact"], name="opportunity_owner_contact"),
            models.Index(fields=["owner", "company"], name="opportunity_owner_company"),
            models.Index(fields=["next_step_at"], name="opportunity_next_step"),
            models.Index(fields=["expected_close_date"], name="opportunity_expected_close"),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        """The form's error before the service (and the constraint) would refuse a loss without a reason."""
        super().clean()
        if error := loss_reason_error(self):
            raise ValidationError({"loss_reason": error})


def loss_reason_error(opportunity: Opportunity) -> str:
    """Why `opportunity` may not be saved as it is ("" when it may): a lost stage needs a reason."""
    stage = opportunity.stage if opportunity.stage_id else None
    if stage is not None and stage.is_lost and opportunity.loss_reason_id is None:
        return gettext("Choose the reason this deal was lost.")
    return ""


class OpportunityStageEntry(models.Model):
    """The moment an opportunity entered a stage, and who moved it there (one row per move)."""

    opportunity = models.ForeignKey(
        Opportunity, verbose_name=_("opportunity"), on_delete=models.CASCADE, related_name="stage_entries"
    )
    stage = models.ForeignKey(
        OpportunityStage, verbose_name=_("stage"), on_delete=models.PROTECT, related_name="+"
    )
    entered_at = models.DateTimeField(_("entered"), default=timezone.now)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("moved by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("stage entry")
        verbose_name_plural = _("stage entries")
        ordering = ["opportunity", "entered_at", "id"]

    def __str__(self) -> str:
        return f"{self.opportunity_id} → {self.stage_id} ({self.entered_at:%Y-%m-%d})"
