"""The CRM's search: what people type finds prospects, contacts, companies and opportunities.

One rule for the admin header's box (`search_everything`) and each list's own search box
(`crm.admin.base.VisibleToAdmin.get_search_results`), both built on `matching`:

- a phone in any form a person types it: national (`0534687204`, the default region's trunk
  prefix standing for its country code), with spaces, dashes, dots or parentheses, international
  with `+`, `00` or nothing, or a fragment of at least 4 digits; phones are stored E.164;
- text without regard to case or accents, in every script (`fold`): `lumiere` finds "Lumière",
  `שלום` finds "שָׁלוֹם", `MAISON` finds "maison";
- an email by any fragment (case-insensitive; Django's email validator keeps local parts ASCII).

The searched fields of each model are listed once, in `SEARCHED_FIELDS`; the admins' `search_fields`
are read from it.
"""

import re
import unicodedata
from dataclasses import dataclass

import phonenumbers
from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.db.models import BooleanField, EmailField, F, Field, Func, Model, Q, QuerySet, Subquery, TextField
from django.db.models.lookups import Contains
from django.utils.text import smart_split, unescape_string_literal
from phonenumber_field.modelfields import PhoneNumberField

from . import visibility
from .models import Company, Contact, Lead, Opportunity
from .models.search_text import SEPARATOR

# What each model's search reads, in the order the header shows the groups. A related record's
# field is `relation__field` (searched in its own table, through its own indexes).
SEARCHED_FIELDS: dict[type[Model], tuple[str, ...]] = {
    Lead: ("brand_name", "first_name", "last_name", "email", "phone"),
    Contact: ("first_name", "last_name", "email", "phone"),
    Company: ("name",),
    Opportunity: ("name", "company__name", "contact__email"),
}

# The header shows this many rows per group, and counts matches up to this many ("100+").
GROUP_SIZE = 5
COUNT_LIMIT = 100
# Fewer characters than this find too much to be an answer (and no trigram index helps).
MIN_QUERY_LENGTH = 2
MIN_PHONE_DIGITS = 4
# The header reads a related record's matches first up to this many (`_related_condition`).
RELATED_IDS = 200

# --- Text: case and accents ---------------------------------------------------------------------
#
# `fold` is written twice: here (SQLite calls it as the registered function `crm_fold`) and in SQL
# (the PostgreSQL function of the same name, created by migration 0025 from `fold_function_sql`,
# which its trigram indexes are built on). Both decompose (NFKD), drop the combining marks that
# decomposition leaves (the accents of Latin, Greek and Cyrillic, Hebrew points, Arabic vowel
# marks), lower-case character by character and write the final sigma as a sigma.
# `crm/tests/test_search_postgres.py` checks that the two agree on every script.


def _combining_ranges() -> list[tuple[int, int]]:
    """The combining marks of the Basic Multilingual Plane, where every living script's accents
    are: PostgreSQL's regular expressions match a class with astral ranges five times slower."""
    ranges: list[tuple[int, int]] = []
    for code in range(0x10000):
        if unicodedata.combining(chr(code)):
            if ranges and ranges[-1][1] == code - 1:
                ranges[-1] = (ranges[-1][0], code)
            else:
                ranges.append((code, code))
    return ranges


COMBINING_RANGES = _combining_ranges()
_COMBINING = re.compile("[" + "".join(f"{chr(start)}-{chr(end)}" for start, end in COMBINING_RANGES) + "]")


def fold(text: str) -> str:
    """`'Maison LUMIÈRE'` -> `'maison lumiere'`: what a search compares, on both sides."""
    stripped = _COMBINING.sub("", unicodedata.normalize("NFKD", text))
    return "".join(character.lower() for character in stripped).replace("ς", "σ")


def _escape(code: int) -> str:
    return f"\\u{code:04x}"


def fold_function_sql() -> str:
    """The PostgreSQL twin of `fold`: IMMUTABLE, so indexes can be built on it; PL/pgSQL with its
    cost declared, so the planner weighs a call per row (a SQL function would be inlined, its
    cost forgotten, and its long expression planned anew in every query)."""
    marks = "".join(f"{_escape(start)}-{_escape(end)}" for start, end in COMBINING_RANGES)
    return (
        "CREATE OR REPLACE FUNCTION crm_fold(value text) RETURNS text"
        " LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE COST 100 AS"
        " $$ BEGIN RETURN replace(lower(regexp_replace(normalize(value, NFKD),"
        f" '[{marks}]', '', 'g')), 'ς', 'σ'); END $$"
    )


def register_sqlite_fold(sender, connection, **kwargs) -> None:
    """`crm_fold` on every SQLite connection (the `connection_created` receiver)."""
    if connection.vendor == "sqlite":
        connection.connection.create_function(
            "crm_fold", 1, lambda value: None if value is None else fold(value), deterministic=True
        )


class Fold(Func):
    function = "crm_fold"
    output_field = TextField()


# --- Phones ---------------------------------------------------------------------------------------

_PHONE_LIKE = re.compile(r"[\d\s()+./-]+")


def is_phone_like(term: str) -> bool:
    """Digits and what people put between them, with enough digits to be a phone or a fragment."""
    return bool(_PHONE_LIKE.fullmatch(term)) and sum(c.isdigit() for c in term) >= MIN_PHONE_DIGITS


def is_phone_only(term: str) -> bool:
    """A phone written as one (`053-468-7204`, `+972…`, `0534`) is searched in phones only; bare
    digits (`2024`) may also be a brand's or an email's."""
    return is_phone_like(term) and (not term.isdigit() or term.startswith(("0", "+")))


def phone_fragments(term: str, region: str | None = None) -> set[str]:
    """What a stored E.164 phone contains when it is the number typed: `'053-468-7204'` ->
    `{'+972534687204'}` (Israel the default region), `'4687'` -> `{'4687'}`; empty when not a phone."""
    if not is_phone_like(term):
        return set()
    region = region or settings.PHONENUMBER_DEFAULT_REGION
    digits = "".join(c for c in term if c.isdigit())
    prefix = _national_prefix(region)
    if term.lstrip().startswith("+"):
        fragments = {f"+{digits}"}
    elif digits.startswith("00"):
        fragments = {f"+{digits[2:]}"}
    elif prefix and digits.startswith(prefix):
        country_code = phonenumbers.country_code_for_region(region)
        fragments = {f"+{country_code}{digits[len(prefix) :]}"}
        if prefix != "0":  # a trunk prefix that is also a common first digit (`1` in the US)
            fragments.add(digits)
    else:
        fragments = {digits}
    try:
        number = phonenumbers.parse(term, region)
    except phonenumbers.NumberParseException:
        return fragments
    if phonenumbers.is_valid_number(number):
        fragments.add(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))
    return fragments


def _national_prefix(region: str) -> str | None:
    metadata = phonenumbers.PhoneMetadata.metadata_for_region(region)
    return metadata.national_prefix if metadata else None


# --- Conditions ------------------------------------------------------------------------------------


def search_terms(query: str) -> list[str]:
    """A phone typed with spaces is one term; other text is words (quotes keep a phrase), as the
    admin splits them."""
    query = query.strip()
    if is_phone_like(query):
        return [query]
    terms = []
    for word in smart_split(query):
        if word[0] in "\"'" and word[0] == word[-1]:
            word = unescape_string_literal(word)
        if fold(word).strip():
            terms.append(word)
    return terms


def matching(
    model: type[Model], query: str, fields: tuple[str, ...] | None = None, *, few_related: bool = False
) -> Q:
    """The rows of `model` whose searched fields match every term of `query`. `few_related`: a
    related record's matches are read first, bounded (`_related_condition`), for a query that
    stops at its first rows (the header's); a list's keeps one statement."""
    condition = Q()
    for term in search_terms(query):
        condition &= _term_condition(model, fields or SEARCHED_FIELDS[model], term, few_related)
    return condition


def _term_condition(
    model: type[Model], fields: tuple[str, ...] | list[str], term: str, few_related: bool = False
) -> Q:
    condition = Q(pk__in=[])
    related: dict[str, list[str]] = {}
    own = []
    for name in fields:
        relation, _, rest = name.partition("__")
        if rest:
            related.setdefault(relation, []).append(rest)
        else:
            own.append(name)
    folded = _folded_fields(model)
    if folded and folded <= set(own) and not is_phone_only(term) and SEPARATOR not in fold(term):
        # One stored column and its index for all the text fields (`crm/models/search_text.py`).
        condition |= Q(search_text__contains=fold(term))
        own = [name for name in own if name not in folded]
    for name in own:
        condition |= _field_condition(model._meta.get_field(name), term)
    for relation, names in related.items():
        target = model._meta.get_field(relation).related_model
        matches = target._default_manager.filter(_term_condition(target, names, term)).order_by().values("pk")
        if few_related:
            condition |= _related_condition(relation, matches)
        else:
            condition |= Q(InSubquery(F(relation), Subquery(matches)))
    return condition


def _related_condition(relation: str, matches: QuerySet) -> Q:
    """Rows whose `relation` is among `matches`, read first: up to `RELATED_IDS` of them as a list
    of constants (PostgreSQL hashes the list, and its index reads the few rows); past it, a plain
    `IN (subquery)`, which PostgreSQL hashes once. `= ANY(ARRAY(subquery))` compares each row
    with every id in turn: a deal's search by a name 2 122 companies hold took 30 ms."""
    ids = list(matches.values_list("pk", flat=True)[: RELATED_IDS + 1])
    if len(ids) <= RELATED_IDS:
        return Q(**{f"{relation}__in": ids}) if ids else Q(pk__in=[])
    return Q(**{f"{relation}__in": Subquery(matches)})


def _folded_fields(model: type[Model]) -> frozenset[str]:
    """The text fields the model's `search_text` folds together (none without one)."""
    try:
        return model._meta.get_field("search_text").folded_fields
    except FieldDoesNotExist:
        return frozenset()


class InSubquery(Func):
    """`column IN (subquery)`, written `column = ANY(ARRAY(subquery))` on PostgreSQL: computed once,
    the array is read through the foreign key's index, in a BitmapOr with the row's own trigram
    indexes; ORed with them, `IN (subquery)` would read every row of the table."""

    arity = 2
    output_field = BooleanField()

    def as_sql(self, compiler, connection, **extra_context):
        column, column_params = compiler.compile(self.source_expressions[0])
        subquery, subquery_params = compiler.compile(self.source_expressions[1])
        operator = "= ANY(ARRAY{})" if connection.vendor == "postgresql" else "IN {}"
        return f"{column} {operator.format(subquery)}", (*column_params, *subquery_params)


def _field_condition(field: Field, term: str) -> Q:
    """Each kind of field the way its indexes answer it (migrations 0010 and 0018): `UPPER(col)`
    for emails and phones (Django's `icontains`), `crm_fold(col)` for text."""
    if isinstance(field, PhoneNumberField):
        condition = Q(pk__in=[])
        for fragment in phone_fragments(term):
            if fragment.startswith("+") and len(fragment) >= 8:
                # A country code's trigrams are in nearly every phone: the index reads the digits
                # after it, and the whole prefix is checked on the rows it finds.
                fragment_condition = {"__icontains": fragment[4:], "__startswith": fragment}
            else:
                fragment_condition = {"__icontains": fragment}
            condition |= Q(**{f"{field.name}{lookup}": value for lookup, value in fragment_condition.items()})
        return condition
    if is_phone_only(term):
        return Q(pk__in=[])
    if isinstance(field, EmailField):
        return Q(**{f"{field.name}__icontains": term.strip()})
    return Q(Contains(Fold(field.name), fold(term)))


# --- The header's search ----------------------------------------------------------------------------


@dataclass
class Group:
    """The matches of one model: the first `GROUP_SIZE` rows, and how many there are up to
    `COUNT_LIMIT` (`more`: past it)."""

    model: type[Model]
    rows: list[Model]
    count: int
    more: bool


def search_everything(user, query: str, models: list[type[Model]] | None = None) -> list[Group]:
    """One group per model (of `models`, the searched ones by default) the user may see, each
    through `crm.visibility`; nothing for a query shorter than `MIN_QUERY_LENGTH`."""
    if len(query.strip()) < MIN_QUERY_LENGTH or not search_terms(query):
        return []
    groups = []
    for model in models or list(SEARCHED_FIELDS):
        found_by = matching(model, query, few_related=True)
        matches = visibility.visible_among_few(user, model._default_manager.filter(found_by))
        # The matches first, unordered and bounded: the trigram indexes answer them without a walk
        # of every row in the list's order (which a rare fragment would make read the whole table).
        found = list(matches.order_by().values_list("pk", flat=True)[: COUNT_LIMIT + 1])
        count = len(found)
        if count <= COUNT_LIMIT:  # all of them: the first ones are sorted among these
            matches = model._default_manager.filter(pk__in=found)
        rows = list(_with_related(matches)[:GROUP_SIZE]) if found else []
        groups.append(Group(model, rows, min(count, COUNT_LIMIT), count > COUNT_LIMIT))
    return groups


def _with_related(matches: QuerySet) -> QuerySet:
    """The rows as shown, in an order an index holds (the planner may walk it and stop at 5)."""
    if matches.model is Company:
        return matches.order_by("brand_key")  # the name's normalized twin, unique
    if matches.model in (Contact, Opportunity):
        return matches.select_related("company")
    return matches
