"""A row's cells as a prospect's values: what a spreadsheet or another CRM wrote, read as a person
typed it. Each cell gives a value, nothing (empty: the prospect keeps its own), or a reason to
refuse the row, in the user's language.
"""

import datetime
import functools
from dataclasses import dataclass, field

import phonenumbers
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils import timezone, translation
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from phonenumber_field.phonenumber import PhoneNumber

from mini_analysis.models import Language, Status

from ..exports import FORMULA_PREFIXES
from ..models import DisqualificationReason, Lead, LeadStage, LifecycleStageMapping, Source
from ..names import split_name
from .fields import simple_key

TEXT_FIELDS = ["email", "first_name", "last_name", "brand_name", "sector", "notes"]
# Phones parsed kept (`_read_phone`): a whole file at `IMPORT_MAX_ROWS`' default, about 40 MB.
PHONES_KEPT = 100_000
DATE_FORMATS = ["%d/%m/%Y", "%m/%d/%Y", "%d.%m.%Y", "%d-%m-%Y", "%Y/%m/%d"]


@dataclass
class RowValues:
    values: dict = field(default_factory=dict)
    refusals: list[tuple[str, str]] = field(default_factory=list)  # (column, reason)
    warnings: list[str] = field(default_factory=list)
    # A phone that is no number: refused, unless it is the prospect's own (a round trip).
    invalid_phone: tuple[str, str, str] | None = None  # (column, text, reason)


def cell_text(value) -> str:
    """A cell as text: a whole number without “.0”, a date in ISO form, our export's formula guard
    (a leading apostrophe before = + - @) taken off."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    text = str(value).strip()
    if text.startswith("'") and text[1:].startswith(FORMULA_PREFIXES):
        return text[1:]
    return text


class RowReader:
    """Reads rows for one import: the users, reasons, stage names and the lifecycle table
    (`LifecycleStageMapping`, edited by managers) are looked up once, never per row."""

    def __init__(self) -> None:
        self.users = _users_by_name()
        self.reasons = {simple_key(str(reason)): reason for reason in DisqualificationReason.objects.all()}
        self.reasons.update({simple_key(reason.name): reason for reason in self.reasons.values()})
        # Our own stages (code or name) before another tool's words for them; another tool's
        # "Unqualified" or "Lost" also says why (`lifecycle_reasons`).
        lifecycle = list(LifecycleStageMapping.objects.select_related("disqualification_reason"))
        self.stages = {row.key: row.stage for row in lifecycle} | _choices_by_name(LeadStage)
        self.lifecycle_reasons = {
            row.key: row.disqualification_reason for row in lifecycle if row.disqualification_reason
        }
        self.languages = _choices_by_name(Language) | {
            "iw": "he",
            "hebreu": "he",
            "anglais": "en",
            "francais": "fr",
        }
        self.statuses = _choices_by_name(Status)
        self.sources = _choices_by_name(Source)
        self.region = settings.PHONENUMBER_DEFAULT_REGION
        # A file repeats its dates: each read once (phones: `_read_phone`'s cache).
        self.dates: dict[str, datetime.datetime | None] = {}
        self.texts: dict[tuple[str, str], tuple[str | None, list[str]]] = {}  # value, refusals

    def read(self, cells: dict[str, tuple[str, object]]) -> RowValues:
        """`cells`: field -> (column header, cell value) for the mapped columns."""
        row = RowValues()
        for name, (column, value) in cells.items():
            text = cell_text(value)
            if text == "" and not isinstance(value, datetime.date):
                continue
            try:
                self._read(row, name, text, value, column)
            except ValidationError as error:
                row.refusals.append((column, " ".join(error.messages)))
        return row

    def _read(self, row: RowValues, name: str, text: str, value, column: str) -> None:
        values = row.values
        if name == "full_name":
            first, last = split_name(text)
            values.setdefault("first_name", first)
            values.setdefault("last_name", last)
        elif name in TEXT_FIELDS:
            values[name] = self.checked(name, text)
        elif name == "phone":
            try:
                values["phone"] = self.phone(text)
            except ValidationError as error:
                row.invalid_phone = (column, text, error.messages[0])
        elif name == "language":
            values["language"] = self._choice(self.languages, text, _("Unknown language “%(value)s”."))
        elif name == "status":
            values["status"] = self._choice(self.statuses, text, _("Unknown analysis status “%(value)s”."))
        elif name == "source":
            values["source"] = self._choice(self.sources, text, _("Unknown source “%(value)s”."))
        elif name == "stage":
            values["stage"] = self._choice(self.stages, text, _("Unknown sales stage “%(value)s”."))
            # Another tool's "Unqualified" or "Lost" says why in the table (an explicit reason wins).
            if (reason := self.lifecycle_reasons.get(simple_key(text))) is not None:
                values.setdefault("disqualification_reason", reason)
        elif name == "disqualification_reason":
            reason = self._choice(self.reasons, text, _("Unknown disqualification reason “%(value)s”."))
            values["disqualification_reason"] = reason
        elif name == "owner":
            owner = self.users.get(simple_key(text))
            if owner is None:
                row.warnings.append(_("Unknown owner “%(value)s”: left unassigned.") % {"value": text})
            else:
                values["assigned_to"] = owner
        elif name == "created_at":
            values["created_at"] = self.date(text, value)

    def checked(self, name: str, text: str) -> str:
        """The text, checked by the model's field (length, email form) with its own message; a
        name, a sector, a brand repeated down the file is checked once."""
        key = (name, text)
        if key not in self.texts:
            try:
                self.texts[key] = (Lead._meta.get_field(name).clean(text, None), [])
            except ValidationError as error:
                self.texts[key] = (None, error.messages)
        value, refusals = self.texts[key]
        if refusals:
            raise ValidationError(refusals)
        return value

    def phone(self, text: str) -> PhoneNumber:
        """The number as typed, national or international, or a spreadsheet's number that lost its
        “+” or its leading 0; parsed once, as the model field keeps it. None that fits: refused."""
        text = text.lstrip("'").strip()
        number = _read_phone(text, self.region)
        if number is None:
            raise ValidationError(_("“%(value)s” is not a phone number.") % {"value": text})
        return number

    def date(self, text: str, value) -> datetime.datetime:
        """A datetime from a workbook's date, an ISO date (and time), or a day/month/year date."""
        if isinstance(value, datetime.datetime):
            moment = value
        elif isinstance(value, datetime.date):
            moment = datetime.datetime.combine(value, datetime.time())
        else:
            if text not in self.dates:
                self.dates[text] = _aware(_parsed_date(text))
            moment = self.dates[text]
        if moment is None:
            raise ValidationError(_("“%(value)s” is not a date.") % {"value": text})
        return _aware(moment)

    def _choice(self, choices: dict, text: str, message: str):
        found = choices.get(simple_key(text))
        if found is None:
            raise ValidationError(message % {"value": text})
        return found


class CheckedPhoneNumber(PhoneNumber):
    """A number the reader found valid: its check and its stored (E.164) form done once, where the
    model field would do them again on every save (the prospect's, and its history row's)."""

    checked = False

    def is_valid(self) -> bool:
        return self.checked or super().is_valid()

    def format_as(self, format) -> str:
        formatted = self.__dict__.setdefault("_formatted", {})
        if format not in formatted:
            formatted[format] = super().format_as(format)
        return formatted[format]


@functools.lru_cache(maxsize=PHONES_KEPT)
def _read_phone(text: str, region: str) -> CheckedPhoneNumber | None:
    """A pure function of the text and region, so kept across chunks and from the preview to the
    import (about 50 µs of libphonenumber each: a third of a row's planning). The numbers are
    shared by the rows that typed them, as the model field never changes one in place."""
    digits = "".join(character for character in text if character.isdigit())
    candidates = [text]
    if digits and not text.startswith(("+", "0")):
        candidates += [f"+{digits}", f"0{digits}"]
    for candidate in candidates:
        try:
            number = phonenumbers.parse(candidate, region, numobj=CheckedPhoneNumber())
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(number):
            number.checked = True
            return number
    return None


def _aware(moment: datetime.datetime | None) -> datetime.datetime | None:
    return timezone.make_aware(moment) if moment is not None and timezone.is_naive(moment) else moment


def _parsed_date(text: str) -> datetime.datetime | None:
    try:
        moment = parse_datetime(text.replace("/", "-")) if "T" in text or ":" in text else None
        if moment is None and (day := parse_date(text)):
            moment = datetime.datetime.combine(day, datetime.time())
    except ValueError:
        moment = None
    for date_format in DATE_FORMATS if moment is None else []:
        try:
            return datetime.datetime.strptime(text.split()[0], date_format)
        except ValueError:
            continue
    return moment


def _choices_by_name(choices) -> dict[str, str]:
    """A choice by its code and by its label in each of the site's languages."""
    found = {}
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            found.update({simple_key(label): value for value, label in choices.choices})
    found.update({simple_key(value): value for value in choices.values})
    return found


def _users_by_name() -> dict:
    """Active users by username, email and full name (simplified); an ambiguous name matches none."""
    found: dict = {}
    ambiguous = set()
    for user in get_user_model().objects.filter(is_active=True):
        for name in {user.get_username(), user.email, user.get_full_name()} - {""}:
            key = simple_key(name)
            if key in found and found[key] != user:
                ambiguous.add(key)
            found[key] = user
    return {key: user for key, user in found.items() if key not in ambiguous}
