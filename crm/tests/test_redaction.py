"""Finding a person's values in text, in SQL (candidate rows) and in Python (the replacement)."""

import json

import pytest

from crm.models import Lead
from crm.redaction import REDACTED, person_values

from .factories import LeadFactory

ANA = person_values(
    emails=["Ana@X.com"],
    phones=["+972549876543"],
    brands=["Maison Lumière", "חנות שלי", "Al"],
    names=["Ana Levi", "Ana"],
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("write to ana@x.com.", f"write to {REDACTED}."),
        ("ANA@X.COM, please", f"{REDACTED}, please"),
        ("xana@x.com and ana@x.com.evil.org are others", "xana@x.com and ana@x.com.evil.org are others"),
        ("+972 54-987-6543", REDACTED),
        ("054 987 6543 or 0549876543", f"{REDACTED} or {REDACTED}"),
        ("00972549876543; 972549876543; +972549876543", f"{REDACTED}; {REDACTED}; {REDACTED}"),
        ("1549876543 is another number", "1549876543 is another number"),
        ("met MAISON   lumière at the fair", f"met {REDACTED} at the fair"),
        ("Maison Lumières and maisonette", "Maison Lumières and maisonette"),
        ("חנות שלי!", f"{REDACTED}!"),
        ("Ana Levi called; Ana from accounting too", f"{REDACTED} called; Ana from accounting too"),
        ("Also almonds", "Also almonds"),  # a two-letter brand is not searched
    ],
)
def test_redact_replaces_each_value_and_nothing_else(text, expected):
    assert ANA.redact(text) == expected


def test_redact_json_redacts_the_decoded_strings_of_an_admin_change_message():
    message = json.dumps([{"added": {"name": "activity", "object": "Call: חנות שלי"}}])
    assert "\\u05d7" in message  # Django writes the change message with escaped non-ASCII
    assert json.loads(ANA.redact_json(message)) == [
        {"added": {"name": "activity", "object": f"Call: {REDACTED}"}}
    ]
    assert ANA.redact_json("not json: ana@x.com") == f"not json: {REDACTED}"
    assert ANA.redact_json('[{"changed": {"fields": ["Notes"]}}]') == '[{"changed": {"fields": ["Notes"]}}]'


def test_search_terms_spell_each_phone_as_it_is_stored_and_written():
    assert {
        "+972549876543",
        "+972 54-987-6543",
        "054-987-6543",
        "0549876543",
        "549876543",
    } <= ANA.search_terms()
    assert {"Ana@X.com", "Maison Lumière", "Ana Levi"} <= ANA.search_terms()
    assert "Ana" not in ANA.search_terms() and "Al" not in ANA.search_terms()


def test_no_value_matches_nothing():
    nobody = person_values(emails=[""], phones=[], brands=["  "], names=[])
    assert not nobody
    assert nobody.redact("anything") == "anything"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "notes",
    [
        "Referred by ANA@x.com",
        "call +972 54 987 6543",
        "MAISON LUMIÈRE wants a quote",  # case folded beyond ASCII, SQLite included
        "חנות  שלי",
        json.dumps({"object": "חנות שלי"}),  # escaped, as a JSON column stores it
        "Ana   Levi",
    ],
)
def test_the_sql_pattern_finds_every_mention_on_this_database(notes):
    """The SQL pattern picks the candidate rows (look-alikes too: `redact` has the boundaries)."""
    mention = LeadFactory(notes=notes)
    LeadFactory(notes="Nothing about her: bob@y.com, 054 111 2233, Maisonette, Ana")
    found = Lead.objects.filter(notes__iregex=ANA.sql_pattern())
    assert list(found) == [mention]
