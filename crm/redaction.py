"""Finding one person's values (emails, phones, brands, names) in free text, and replacing them.

An erasure (`crm.privacy`) deletes or anonymises the person's own rows; this module finds them in
everybody else's text: a note that says "referred by ana@x.com", an activity "Called Maison", an
admin log entry "Maison | ana@x.com". Each value becomes a regular expression twice:

- `sql_pattern`: the candidate rows, through the `iregex` lookup. It is written in the subset of
  syntax that PostgreSQL's regular expressions and Python's `re` (Django's REGEXP function on
  SQLite) read alike, and is case-insensitive on both (SQLite's LIKE folds ASCII only);
- `redact`: the replacement in Python, with boundaries, so that `xana@x.com` or `Maisonette` (someone
  else's) stay whole.

A phone matches in any of its usual spellings: `+972 54-987-6543`, `054 987 6543`, `0549876543`,
`00972549876543` (the digits of the national number with up to three separators between them,
after an optional country code or national prefix). JSON text (the admin log's change message,
Django's JSONField on SQLite) escapes non-ASCII characters, so the SQL pattern looks for the escaped
spelling too, and `redact_json` redacts the decoded strings.
"""

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property

import phonenumbers

REDACTED = "[erased]"
# Between two digits of a phone number: spaces, dots, dashes, slashes, brackets.
PHONE_SEPARATORS = "[ ./()-]{0,3}"
# Brands shorter than this are not searched in other people's text: "Al" would redact every
# "al" of every note. Nor is a name of one word: "Ana" is many people; "Ana Levi" is searched.
MIN_SEARCHED_LENGTH = 3


@dataclass(frozen=True)
class PersonValues:
    """What identifies one person in text. Phones are E.164 strings (`+972549876543`)."""

    emails: frozenset[str] = frozenset()
    phones: frozenset[str] = frozenset()
    brands: frozenset[str] = frozenset()
    names: frozenset[str] = frozenset()

    def __bool__(self) -> bool:
        return bool(self._sql_alternatives())

    def search_terms(self) -> set[str]:
        """The values searched as plain strings, each phone in its stored and usual spellings."""
        terms = {*self.emails, *self._searched_words()}
        for phone in self._phone_numbers():
            terms.update(phone_spellings(phone))
        return {term for term in terms if term}

    def sql_pattern(self) -> str:
        """One regular expression (for `iregex`) that matches every text mentioning a value."""
        return "|".join(f"({alternative})" for alternative in sorted(self._sql_alternatives()))

    def redact(self, text: str) -> str:
        """`text` with every value replaced by `REDACTED`."""
        if not text or not self:
            return text
        return self._python_regex.sub(REDACTED, text)

    def redact_json(self, text: str) -> str:
        """A JSON text with its strings redacted (kept as it was when it is not JSON)."""
        try:
            decoded = json.loads(text)
        except (TypeError, ValueError):
            return self.redact(text)
        redacted = self.redact_decoded(decoded)
        return text if redacted == decoded else json.dumps(redacted)

    def redact_decoded(self, value):
        """A decoded JSON value (a session's data, say) with every string in it redacted; a string
        that is itself JSON (the messages a session keeps) is redacted as JSON."""
        if isinstance(value, str):
            return self.redact_json(value) if value[:1] in {"[", "{"} else self.redact(value)
        if isinstance(value, list):
            return [self.redact_decoded(item) for item in value]
        if isinstance(value, dict):
            return {key: self.redact_decoded(item) for key, item in value.items()}
        return value

    def _searched_words(self) -> set[str]:
        brands = {" ".join(brand.split()) for brand in self.brands}
        names = {" ".join(name.split()) for name in self.names}
        return {brand for brand in brands if len(brand) >= MIN_SEARCHED_LENGTH} | {
            name for name in names if len(name.split()) >= 2
        }

    def _phone_numbers(self) -> list[phonenumbers.PhoneNumber]:
        numbers = []
        for phone in self.phones:
            try:
                numbers.append(phonenumbers.parse(phone))
            except phonenumbers.NumberParseException:
                continue
        return numbers

    def _sql_alternatives(self) -> set[str]:
        texts = {*self.emails, *self._searched_words()} - {""}
        alternatives = {_portable_literal(text) for text in texts}
        # The same text as JSON spells it (non-ASCII characters as \uXXXX escapes).
        alternatives |= {
            _portable_literal(_json_spelling(text)) for text in texts if _json_spelling(text) != text
        }
        alternatives |= {_digits_pattern(str(number.national_number)) for number in self._phone_numbers()}
        return alternatives

    @cached_property
    def _python_regex(self) -> re.Pattern:
        alternatives = [
            # Not inside a longer address: no address character right before or after.
            rf"(?<![\w.+-]){_portable_literal(email)}(?![\w-]|\.\w)"
            for email in sorted(self.emails)
            if email
        ]
        alternatives += [
            rf"(?<!\w){_portable_literal(word)}(?!\w)" for word in sorted(self._searched_words())
        ]
        alternatives += [_phone_regex(number) for number in self._phone_numbers()]
        return re.compile("|".join(alternatives), re.IGNORECASE)


def phone_spellings(number: phonenumbers.PhoneNumber) -> set[str]:
    """E.164, international, national, and the national digits with and without their prefix."""
    formats = phonenumbers.PhoneNumberFormat
    national = phonenumbers.format_number(number, formats.NATIONAL)
    return {
        phonenumbers.format_number(number, formats.E164),
        phonenumbers.format_number(number, formats.INTERNATIONAL),
        national,
        re.sub(r"\D", "", national),
        str(number.national_number),
    }


def _portable_literal(text: str) -> str:
    """`text` as a regular expression matching it literally, for PostgreSQL and Python alike.

    ASCII punctuation is escaped with a backslash (a literal in both); letters, digits and
    non-ASCII characters are left as they are (a backslash before a letter is a class in both).
    Runs of whitespace match any whitespace, as the identity keys ignore it.
    """
    words = text.split()
    escaped = ["".join(f"\\{c}" if c.isascii() and not c.isalnum() else c for c in word) for word in words]
    return r"\s+".join(escaped)


def _json_spelling(text: str) -> str:
    """`text` as it appears inside a JSON string written by `json.dumps` (Django's default)."""
    return json.dumps(text)[1:-1]


def _digits_pattern(digits: str) -> str:
    return PHONE_SEPARATORS.join(digits)


def _phone_regex(number: phonenumbers.PhoneNumber) -> str:
    """The number after its country code (`+972`, `00972`, `972`, `+972 (0)`) or national prefix (`0`)."""
    separator = PHONE_SEPARATORS
    country = rf"(?:(?:\+|00){separator})?{number.country_code}{separator}(?:\(0\){separator})?"
    region = phonenumbers.region_code_for_number(number)
    metadata = phonenumbers.PhoneMetadata.metadata_for_region(region) if region else None
    prefixes = [country]
    if metadata is not None and metadata.national_prefix:
        prefixes.append(re.escape(metadata.national_prefix) + separator)
    prefix = "|".join(prefixes)
    return rf"(?<![\d+])(?:{prefix})?{_digits_pattern(str(number.national_number))}(?!\d)"


def person_values(
    *, emails: Iterable[str], phones: Iterable[str], brands: Iterable[str], names: Iterable[str]
) -> PersonValues:
    """The values, blanks left out and each spelled once."""

    def kept(values: Iterable[str]) -> frozenset[str]:
        return frozenset(" ".join(str(value).split()) for value in values if value and str(value).strip())

    return PersonValues(emails=kept(emails), phones=kept(phones), brands=kept(brands), names=kept(names))
