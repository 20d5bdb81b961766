"""The search on PostgreSQL: its `crm_fold` agrees with Python's `fold` (SQLite's), and every
searched field is answered by a trigram index (migrations 0010, 0025 and 0029).

The plans are read with sequential and plain index scans disabled, as in `test_search_indexes.py`:
the question is whether an index *can* answer the SQL the search writes; whether the planner
chooses it on a large table is measured by `bench/search.py`.
"""

import pytest
from django.db import connection

from crm import search
from crm.models import Company, Contact, Lead, Opportunity
from crm.tests.factories import LeadFactory, OpportunityFactory

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db]

SAMPLES = [
    "Maison Lumière",
    "CRÈME BRÛLÉE Ça",
    "Œuvre Æther straße ẞ",
    "İstanbul Iğdır",
    "שָׁלוֹם עֲלֵיכֶם",
    "مُحَمَّد",
    "Ἀθῆναι ΟΔΟΣ οδος",
    "Йогурт ЁЛКА",
    "Ｍａｉｓｏｎ ﬁne ½",
    "Ǆemal ǅ",
    "東京 ソニー ｿﾆｰ",
    "Ελληνικά Ά",
    "नमस्ते",
    "ქართული ᲥᲐᲠᲗᲣᲚᲘ",
    "Հայերեն",
    "emoji 😀 é",
]


def sql_fold(value: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT crm_fold(%s)", [value])
        return cursor.fetchone()[0]


@pytest.mark.parametrize("sample", SAMPLES)
def test_the_sql_fold_agrees_with_pythons(sample):
    assert sql_fold(sample) == search.fold(sample)


def test_the_installed_fold_is_the_one_python_would_write():
    """When Python's Unicode data change the marks `fold` drops, a new migration must replace the
    function (and rebuild its indexes), or PostgreSQL and SQLite would search differently."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_get_functiondef('crm_fold(text)'::regprocedure)")
        installed = cursor.fetchone()[0]
    expected_body = search.fold_function_sql().split("$$")[1].strip()

    assert expected_body in installed
    assert "IMMUTABLE" in installed


def plan(queryset) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
    return queryset.explain()


@pytest.mark.parametrize(
    ("model", "query", "indexes"),
    [
        (
            Lead,
            "lumiere",
            ["lead_search_text_trgm", "lead_email_trgm"],
        ),
        (Lead, "053-468-7204", ["lead_phone_trgm"]),
        (
            Contact,
            "lumiere",
            ["contact_search_text_trgm", "contact_email_trgm"],
        ),
        (Contact, "0534687204", ["contact_phone_trgm"]),
        (Company, "lumiere", ["company_search_text_trgm"]),
        (
            Opportunity,
            "lumiere",
            ["opportunity_search_text_trgm", "company_search_text_trgm", "contact_email_trgm"],
        ),
    ],
)
def test_every_searched_field_is_answered_by_a_trigram_index(model, query, indexes):
    LeadFactory.create_batch(3)
    OpportunityFactory()

    explained = plan(model.objects.filter(search.matching(model, query)).order_by())

    for index in indexes:
        assert index in explained, explained
