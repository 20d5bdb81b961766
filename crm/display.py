"""How prospects look in the admin: badges, short labels, phones and emails isolated left to right.

Pure functions returning safe HTML, for any CRM admin. The generic ones (phones, emails, free
text, badges, form input directions) live in `mini_analysis.display`, which the requests admin
uses too (that app cannot import the CRM), and are re-exported here.
"""

import datetime
import decimal
import functools

from django.utils import formats, timezone
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from mini_analysis.display import (
    EMPTY,
    STATUS_TONES,
    BidiFormFieldsMixin,
    auto_dir_html,
    badge_html,
    bidi_widget_attrs,
    ltr_html,
    phone_html,
    status_badge_html,
)

from .models import Contact, LeadStage, Source
from .models.pipeline import Currency
from .money import format_money

__all__ = [
    "EMPTY",
    "SHORT_SOURCE_LABELS",
    "STATUS_TONES",
    "BidiFormFieldsMixin",
    "amount_html",
    "auto_dir_html",
    "badge_html",
    "bidi_widget_attrs",
    "date_html",
    "datetime_html",
    "datetime_text",
    "day_html",
    "ltr_html",
    "next_action_html",
    "phone_html",
    "record_label",
    "source_label",
    "stage_badge_html",
    "status_badge_html",
    "user_name",
]


def record_label(record) -> str:
    """How a record is named in a link or a timeline: a contact by their name (their email until
    they have one), not its `str` ("name <email>"), whose mixed directions garble in Hebrew."""
    if isinstance(record, Contact):
        return record.full_name or record.email
    return str(record)


def user_name(user) -> str:
    """How a person is named everywhere in the CRM (lists, filters, forms, the dashboard, timelines,
    history): their full name, else their user name (an account nobody named)."""
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()


# One word per source for the list; the full label stays in the filter and the form.
SHORT_SOURCE_LABELS = {
    Source.MINI_ANALYSIS: _("Form"),
    Source.MIGRATION: _("Migration"),
    Source.MANUAL: _("Manual"),
}


def source_label(source: str) -> SafeString | str:
    """A lead's source in one word, its full label as the tooltip."""
    try:
        choice = Source(source)
    except ValueError:
        return escape(source) if source else EMPTY
    return format_html('<span title="{}">{}</span>', choice.label, SHORT_SOURCE_LABELS[choice])


def date_html(moment: datetime.datetime | None) -> SafeString | str:
    """A timestamp as its local date (short format), the full date and time as the tooltip."""
    if moment is None:
        return EMPTY
    return _date_html(moment, timezone.get_current_timezone_name(), get_language())


@functools.lru_cache(maxsize=4096)
def _date_html(moment: datetime.datetime, zone: str, language: str | None) -> SafeString:
    """Kept per moment, zone and language: Django's date formatting is a fifth of a list's cells,
    and a sales person reloads the same page all day. Pure, so the cache is never stale."""
    local = timezone.localtime(moment)
    return format_html(
        '<time datetime="{}" title="{}">{}</time>',
        local.isoformat(),
        formats.date_format(local, "DATETIME_FORMAT"),
        formats.date_format(local, "SHORT_DATE_FORMAT"),
    )


def datetime_html(moment: datetime.datetime | None, css_class: str = "") -> SafeString | str:
    """A date and time (short format) as one left-to-right run, wherever one is shown.

    "05/12/2026 17:45" is two numbers and a space: in a right-to-left page the bidi algorithm
    orders the numbers right to left, the time before the date. `dir="ltr"` isolates the run (the
    HTML rule for any element with `dir`), so it reads as in French and English."""
    if moment is None:
        return EMPTY
    local = timezone.localtime(moment)
    return format_html(
        '<time datetime="{}"{} dir="ltr">{}</time>',
        local.isoformat(),
        format_html(' class="{}"', css_class) if css_class else "",
        formats.date_format(local, "SHORT_DATETIME_FORMAT"),
    )


def datetime_text(moment: datetime.datetime) -> str:
    """The same in plain text (a message, an email): the date and time between Unicode's
    left-to-right isolate and its end (U+2066, U+2069), which no reader sees."""
    return "\u2066" + formats.date_format(timezone.localtime(moment), "SHORT_DATETIME_FORMAT") + "\u2069"


def day_html(day: datetime.date | None) -> SafeString | str:
    """A calendar date (a close date) in the short format, the long one as the tooltip."""
    if day is None:
        return EMPTY
    return format_html(
        '<time datetime="{}" title="{}">{}</time>',
        day.isoformat(),
        formats.date_format(day, "DATE_FORMAT"),
        formats.date_format(day, "SHORT_DATE_FORMAT"),
    )


def amount_html(amount: decimal.Decimal | None, currency: str) -> SafeString | str:
    """An amount as the reader writes it (`crm.money.format_money`, the board's too), the currency's
    name as the tooltip: one column instead of two in the opportunities list."""
    if amount is None:
        return EMPTY
    try:
        name = Currency(currency).label
    except ValueError:
        name = currency
    return format_html('<span title="{}">{}</span>', name, format_money(amount, currency))


# Colour of each sales stage badge (`badge-<tone>` in static/css/admin.css).
STAGE_TONES = {
    LeadStage.NEW: "grey",
    LeadStage.ATTEMPTING: "amber",
    LeadStage.CONNECTED: "blue",
    LeadStage.QUALIFIED: "blue",
    LeadStage.CONVERTED: "green",
    LeadStage.DISQUALIFIED: "red",
}


def stage_badge_html(stage: str) -> SafeString | str:
    """A lead's sales stage as a coloured badge (an unknown value is shown escaped, as typed)."""
    try:
        choice = LeadStage(stage)
    except ValueError:
        return escape(stage) if stage else EMPTY
    return badge_html(choice.label, STAGE_TONES[choice])


def next_action_html(action: str, moment: datetime.datetime | None) -> SafeString | str:
    """The next action's date for the list (red once overdue), the action and its time as the tooltip."""
    if moment is None:
        return EMPTY
    local = timezone.localtime(moment)
    title = f"{action} · {formats.date_format(local, 'SHORT_DATETIME_FORMAT')}" if action else ""
    css = "crm-overdue" if moment < timezone.now() else "crm-due"
    return format_html(
        '<time class="{}" datetime="{}" title="{}">{}</time>',
        css,
        local.isoformat(),
        title or formats.date_format(local, "SHORT_DATETIME_FORMAT"),
        formats.date_format(local, "SHORT_DATE_FORMAT"),
    )


def email_delivery(activity) -> str:
    """Where an email of the timeline stands: " · Sent", " · Queued", " · Failed: reason",
    " · Received"; '' for any other activity (read through `select_related("email")`)."""
    email = getattr(activity, "email", None) if activity.kind == "email" else None
    if email is None:
        return ""
    label = email.get_status_display()
    if email.status == "failed" and email.error:
        return f" · {label}: {email.error}"
    return f" · {label}"
