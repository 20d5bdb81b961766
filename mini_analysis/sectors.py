"""The fixed list of sectors the form offers. The stored value is the code, never the label."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Sector(models.TextChoices):
    RETAIL = "retail", _("Retail / Commerce")
    FOOD = "food", _("Restaurants / Food")
    FASHION = "fashion", _("Fashion / Apparel")
    BEAUTY = "beauty", _("Beauty / Cosmetics")
    TECH = "tech", _("Technology / Software")
    HEALTH = "health", _("Health / Wellness")
    SERVICES = "services", _("Services")
    OTHER = "other", _("Other")


def sector_choices(current: str = "") -> list[tuple[str, str]]:
    """The sectors a form offers, by label; a legacy free-text sector stays offered, as typed, so
    that saving the record keeps it."""
    legacy = [(current, current)] if current and current not in Sector.values else []
    return [("", "---------"), *Sector.choices, *legacy]


def sector_label(value: str) -> str:
    """The translated label of a stored sector; legacy free-text sectors are shown as they are."""
    try:
        return str(Sector(value).label)
    except ValueError:
        return value
