"""How values look in the admin: left-to-right values isolated, free text in its own direction.

Pure functions returning safe HTML, shared by the requests admin and the CRM admin (`crm.display`
re-exports them: this app never imports the CRM). The colours live in `static/css/admin.css`.

A phone or an email inside a Hebrew (right-to-left) page is reordered by the browser's bidi
algorithm: `+972502345678` shows as `972502345678+`. `<bdi dir="ltr">` isolates it. Free text
(an analysis, notes, a brand) may be in any language: `dir="auto"` lets its first strong letter
choose the direction.
"""

import phonenumbers
from django import forms
from django.db import models
from django.utils.html import format_html
from django.utils.safestring import SafeString
from phonenumber_field.modelfields import PhoneNumberField

from .models import Status

EMPTY = "-"

# Colour of each status badge (`badge-<tone>` in static/css/admin.css).
STATUS_TONES = {
    Status.NEW: "grey",
    Status.GENERATED: "green",
    Status.QUOTA_BLOCKED: "amber",
    Status.ERROR: "red",
}
TONES = frozenset({"grey", "green", "amber", "red", "blue"})


def phone_html(phone) -> SafeString | str:
    """A phone number for reading (`+972 50-234-5678`), isolated left to right; shown as stored when
    it is not a possible number."""
    if not phone:
        return EMPTY
    number = _parsed_phone(phone)
    if number is not None and phonenumbers.is_possible_number(number):
        return ltr_html(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL))
    return ltr_html(str(phone))


def _parsed_phone(phone) -> phonenumbers.PhoneNumber | None:
    """A model field's value was parsed when it was read (a list of 50 prospects would parse each
    phone twice otherwise); any other value is parsed here."""
    if isinstance(phone, phonenumbers.PhoneNumber) and phone.country_code and phone.national_number:
        return phone
    try:
        return phonenumbers.parse(str(phone), None)
    except phonenumbers.NumberParseException:
        return None


def ltr_html(value) -> SafeString | str:
    """An email, an id or a URL: always left to right, whatever the page's direction."""
    if value in (None, ""):
        return EMPTY
    return format_html('<bdi dir="ltr">{}</bdi>', value)


def auto_dir_html(text) -> SafeString | str:
    """Free text in any language: its own first strong letter chooses the direction."""
    if text in (None, ""):
        return EMPTY
    return format_html('<span dir="auto">{}</span>', text)


def badge_html(label, tone: str) -> SafeString:
    """A short coloured label; `tone` is one of `TONES`."""
    if tone not in TONES:
        raise ValueError(f"Unknown badge tone {tone!r}; expected one of {sorted(TONES)}")
    return format_html('<span class="badge badge-{}">{}</span>', tone, label)


def status_badge_html(status: str) -> SafeString:
    """A request's or a prospect's status as a badge in the admin's language."""
    try:
        choice = Status(status)
    except ValueError:
        return badge_html(status, "grey")
    return badge_html(choice.label, STATUS_TONES[choice])


def bidi_widget_attrs(db_field: models.Field) -> dict[str, str]:
    """`dir` for a model field's form input: left to right for contact values, auto for text."""
    if isinstance(db_field, models.EmailField | models.URLField | PhoneNumberField):
        return {"dir": "ltr"}
    if isinstance(db_field, models.TextField | models.CharField) and not db_field.choices:
        return {"dir": "auto"}
    return {}


class BidiFormFieldsMixin:
    """A ModelAdmin whose inputs carry `bidi_widget_attrs` (phones and emails typed left to right)."""

    def formfield_for_dbfield(self, db_field: models.Field, request, **kwargs) -> forms.Field | None:
        formfield = super().formfield_for_dbfield(db_field, request, **kwargs)
        if formfield is not None and not formfield.widget.is_hidden:
            attrs = bidi_widget_attrs(db_field)
            widget = getattr(formfield.widget, "widget", formfield.widget)  # the admin's related wrapper
            widget.attrs.update(attrs)
        return formfield
