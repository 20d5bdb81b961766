"""A person's profile: what the fair automatic assignment knows of them (`crm.assignment` holds
the rule), and the language and time zone the admin speaks to them in (`crm.preferences`)."""

import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from mini_analysis.lengths import text_length_constraint
from mini_analysis.models import Language

# The profile's flag for each language a lead can have.
SPOKEN_LANGUAGE_FIELDS = {
    Language.FRENCH: "speaks_french",
    Language.ENGLISH: "speaks_english",
    Language.HEBREW: "speaks_hebrew",
}


def validate_time_zone(value: str) -> None:
    """A time zone is one of the IANA names this machine knows (`Europe/Paris`), or empty."""
    if value and value not in available_time_zones():
        raise ValidationError(_("Unknown time zone: %(zone)s."), code="invalid", params={"zone": value})


def available_time_zones() -> set[str]:
    return zoneinfo.available_timezones()


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
    # How the admin speaks to this person; empty: the site's language and time zone.
    language = models.CharField(
        _("language of the interface"), max_length=8, blank=True, choices=settings.LANGUAGES
    )
    time_zone = models.CharField(_("time zone"), max_length=64, blank=True, validators=[validate_time_zone])
    daily_digest = models.BooleanField(
        _("morning email"),
        default=True,
        help_text=_("At 8:00 on working days: what is overdue, due today, and your new prospects."),
    )
    task_alerts = models.BooleanField(
        _("task alerts"), default=False, help_text=_("An email 15 minutes before each task of yours is due.")
    )

    class Meta:
        verbose_name = _("sales profile")
        verbose_name_plural = _("sales profiles")
        ordering = ["user__username"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(language="")
                | models.Q(language__in=[code for code, _name in settings.LANGUAGES]),
                name="salesprofile_language_known",
            ),
            text_length_constraint("crm_salesprofile_text_lengths", {"language": 8, "time_zone": 64}),
        ]

    def __str__(self) -> str:
        return str(self.user)

    def spoken_languages(self) -> list[str]:
        """The language codes this person speaks, in the order of `Language`."""
        return [code for code, field in SPOKEN_LANGUAGE_FIELDS.items() if getattr(self, field)]
