"""The backfill's rules, each written once in SQL, against the rule as documented (property tests).

`crm.backfill` writes each rule of the backfill and its rollback once, as SQL over the rows; the
automatic lead's `lead_fields_from` (Python, the signal) and `lead_expressions_from` (SQL, the
backfill) are the one pair left, and must agree. Each test generates rows in every state the rule
distinguishes (hypothesis) and compares what the database answers with the rule as `docs/backfill.md`
states it, written here in plain Python. They run on SQLite and PostgreSQL (`DATABASE_URL`).
"""

import datetime as dt
from contextlib import contextmanager

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crm import backfill, backfill_rollback
from crm.models import (
    ANALYSIS_PREVIEW_LENGTH,
    Activity,
    ActivityKind,
    DisqualificationReason,
    Lead,
    LeadStage,
    Source,
)
from crm.search import fold
from crm.services import lead_expressions_from, lead_fields_from
from crm.tests.factories import UserFactory
from mini_analysis.models import Language, MiniAnalysis, Status
from mini_analysis.tests.strategies import tricky_character

pytestmark = pytest.mark.django_db

DAY = dt.datetime(2025, 1, 15, 9, 30, tzinfo=dt.UTC)
rules = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

# Text a lead copies: any script, astral and combining characters (a preview cut in the middle of
# one must be cut alike in Python and SQL), never NUL (PostgreSQL's text refuses it).
character = st.one_of(tricky_character, st.characters(exclude_categories=["Cs"], exclude_characters="\x00"))


def text(max_size: int, min_size: int = 0) -> st.SearchStrategy[str]:
    return st.text(character, min_size=min_size, max_size=max_size)


# A text a few characters shorter or longer than the preview, its pattern repeated: the cut falls
# on any character of it.
texts_around_the_preview_length = st.tuples(
    text(12, min_size=1), st.integers(ANALYSIS_PREVIEW_LENGTH - 3, ANALYSIS_PREVIEW_LENGTH + 3)
).map(lambda drawn: (drawn[0] * drawn[1])[: drawn[1]])


@st.composite
def requests(draw, i: int, *, valid_only: bool = False) -> MiniAnalysis:
    """An unsaved mini-analysis in any state a lead's columns or the status rule tell apart."""
    statuses = Status.values if valid_only else [*Status.values, "BOGUS"]
    languages = Language.values if valid_only else [*Language.values, "xx"]
    # An empty email or brand (the database refuses a blank one whose key is empty).
    keyed = st.just(True) if valid_only else st.booleans()
    return MiniAnalysis(
        email=f"p{i}@example.com" if draw(keyed) else "",
        brand_name=f"B{i} " + draw(text(40)) if draw(keyed) else "",
        phone=draw(st.sampled_from(["", "+33612345678", "+972502345678"])),
        sector=draw(text(120)),
        language=draw(st.sampled_from(languages)),
        status=draw(st.sampled_from(statuses)),
        analysis_text=draw(st.one_of(st.just(""), text(30, min_size=1), texts_around_the_preview_length)),
        pdf_url=draw(st.sampled_from(["", "/media/a.pdf", "https://example.com/é.pdf"])),
        created_at=DAY + dt.timedelta(minutes=i),
    )


def request_lists(*, valid_only: bool = False, max_size: int = 8) -> st.SearchStrategy[list[MiniAnalysis]]:
    return st.integers(1, max_size).flatmap(
        lambda n: st.tuples(*(requests(i, valid_only=valid_only) for i in range(n))).map(list)
    )


@contextmanager
def rolled_back():
    """Each example writes in its own transaction, rolled back: the next one starts empty."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


# --- The rule as documented (docs/backfill.md), in plain Python -----------------------------------


def documented_status(request: MiniAnalysis) -> str:
    if request.status in (Status.GENERATED, Status.QUOTA_BLOCKED, Status.ERROR):
        return request.status
    return Status.GENERATED if request.analysis_text or request.pdf_url else Status.NEW


def documented_lead(request: MiniAnalysis, migrated_at: dt.datetime) -> dict:
    """Every column of the lead the backfill creates for `request`."""
    note = f"Migrated from mini-analysis collection on {timezone.localdate(migrated_at).isoformat()}"
    lead = Lead(
        **lead_fields_from(request),
        source=Source.MIGRATION,
        notes=note,
        created_at=request.created_at,
        updated_at=migrated_at,
        migrated_at=migrated_at,
    )
    lead.status = documented_status(request)
    lead.email_key, lead.brand_key = request.email_key, request.brand_key
    # The generated columns (the search's folded text) are the database's, from the columns compared.
    return {
        f.attname: getattr(lead, f.attname)
        for f in Lead._meta.concrete_fields
        if f.attname != "id" and not f.generated
    }


def documented_problem(request: MiniAnalysis) -> str | None:
    """The first reason the backfill refuses a request (email, brand, language, status), or None."""
    if not request.email.strip():
        return "email"
    if not request.brand_name.strip():
        return "brand_name"
    if request.language not in Language.values:
        return "language"
    if request.status not in Status.values:
        return "status"
    return None


def documented_reasons(lead: Lead, has_activity: bool) -> list[str]:
    """Why the rollback keeps a migrated lead (the order `worked_on` lists them in)."""
    if lead.migrated_at is None:
        return ["not created by this backfill"]
    note = f"Migrated from mini-analysis collection on {timezone.localdate(lead.migrated_at).isoformat()}"
    reasons = {
        "assigned": lead.assigned_to_id is not None,
        "notes edited": lead.notes != note,
        "status changed": lead.mini_analysis is not None
        and lead.status != documented_status(lead.mini_analysis),
        "updated after the migration": lead.updated_at > lead.migrated_at,
        "stage changed": lead.stage != LeadStage.NEW,
        "converted": lead.converted_at is not None,
        "activities logged": has_activity,
    }
    return [reason for reason, applies in reasons.items() if applies]


# --- lead_fields_from (Python, the signal) and lead_expressions_from (SQL, the backfill) ----------


def as_stored(name: str, value) -> object:
    """A lead column's value as the database stores it (a phone number is text there)."""
    if name == "mini_analysis":
        return value.pk
    return Lead._meta.get_field(name).get_prep_value(value)


@rules
@given(request_lists())
def test_the_automatic_and_the_migrated_lead_copy_a_request_alike(rows):
    with rolled_back():
        _same_copy(rows)


def _same_copy(rows):
    rows = MiniAnalysis.objects.bulk_create(rows)
    expressions = {f"lead_{name}": value for name, value in lead_expressions_from().items()}
    in_sql = {
        row.pop("pk"): row
        for row in MiniAnalysis.objects.filter(pk__in=[r.pk for r in rows]).values("pk", **expressions)
    }

    for row in rows:
        in_python = {f"lead_{name}": as_stored(name, v) for name, v in lead_fields_from(row).items()}
        in_python["lead_mini_analysis_id"] = in_python.pop("lead_mini_analysis")
        assert in_sql[row.pk] == in_python


# --- The migrated lead, its status and the checks that refuse a request ---------------------------


@rules
@given(request_lists(valid_only=True), st.sampled_from([0, 21, 22, 23]))
def test_the_backfill_writes_the_documented_lead_for_any_request(rows, hour):
    """Every column, the status rule and the note's local date included (around midnight)."""
    with rolled_back():
        _documented_lead_written(rows, hour)


def _documented_lead_written(rows, hour):
    rows = MiniAnalysis.objects.bulk_create(rows)
    migrated_at = DAY.replace(hour=hour, minute=30)

    results = list(backfill.migrate_mini_analyses(migrated_at=migrated_at))

    assert [error for result in results for error in result.errors] == []
    for row in rows:
        written = Lead.objects.get(mini_analysis=row)
        expected = documented_lead(row, migrated_at)
        assert {name: getattr(written, name) for name in expected} == expected


def test_sql_and_python_mappings_give_the_same_lead():
    """Every combination of the status rule's inputs, each once (the property test draws them)."""
    rows = MiniAnalysis.objects.bulk_create(
        MiniAnalysis(
            email=f"p{i}@example.com",
            brand_name=f"B{i}",
            status=status,
            analysis_text=analysis,
            pdf_url=pdf,
            created_at=DAY,
        )
        for i, (status, analysis, pdf) in enumerate(
            (status, analysis, pdf)
            for status in Status.values
            for analysis in ("", "y" * 700)
            for pdf in ("", "/a.pdf")
        )
    )
    migrated_at = timezone.now()

    list(backfill.migrate_mini_analyses(migrated_at=migrated_at))

    for row in rows:
        written = Lead.objects.get(mini_analysis=row)
        expected = documented_lead(row, migrated_at)
        assert {name: getattr(written, name) for name in expected} == expected
        # The set-based INSERT … SELECT leaves the search's folded text to the database.
        assert written.search_text == fold(f"{written.brand_name}\n{written.first_name}\n{written.last_name}")


@rules
@given(request_lists())
def test_the_backfill_refuses_exactly_the_documented_requests_naming_the_first_problem(rows):
    with rolled_back():
        _refused_as_documented(rows)


def _refused_as_documented(rows):
    rows = MiniAnalysis.objects.bulk_create(rows)

    results = list(backfill.migrate_mini_analyses(batch_size=3))

    errors = {row.pk: message for result in results for row, message in result.errors}
    for row in rows:
        problem = documented_problem(row)
        if problem is None:
            assert row.pk not in errors
            assert Lead.objects.filter(mini_analysis=row).exists()
        else:
            value = getattr(row, problem)
            assert errors[row.pk].startswith(f"{problem} {value!r} is ")
            assert not Lead.objects.filter(mini_analysis=row).exists()


# --- worked_on: what the rollback keeps, and what its deletion re-checks --------------------------


@st.composite
def lead_states(draw, i: int) -> dict:
    """A migrated lead (or one the backfill did not write) in any state `worked_on` tells apart."""
    # Late in the evening (UTC) the local date is the next day already: the note says that one.
    moments = [DAY.replace(hour=hour, minute=30) for hour in (1, 8, 22, 23)]
    migrated_at = draw(st.sampled_from([None, *moments]))
    since = migrated_at or DAY
    request = draw(st.one_of(st.none(), requests(100 + i, valid_only=True)))
    note_day = draw(st.sampled_from([0, 0, 1, -1]))
    return {
        "request": request,
        "migrated_at": migrated_at,
        "assigned": draw(st.booleans()),
        "notes": draw(
            st.one_of(st.just(backfill.migration_note(since + dt.timedelta(days=note_day))), text(20))
        ),
        "status": draw(st.sampled_from(Status.values)),
        "updated_at": since + dt.timedelta(microseconds=draw(st.sampled_from([-1, 0, 0, 1]))),
        "stage": draw(st.sampled_from([*LeadStage.values])),
        "converted": draw(st.booleans()),
        "activity": draw(st.booleans()),
    }


def write_lead(i: int, state: dict, user, reason) -> tuple[Lead, bool]:
    request = state["request"]
    if request is not None:
        [request] = MiniAnalysis.objects.bulk_create([request])
    stage = state["stage"]
    if stage == LeadStage.CONVERTED:  # a converted lead has a contact: not this test's concern
        stage = LeadStage.QUALIFIED
    if stage == LeadStage.DISQUALIFIED and reason is None:
        stage = LeadStage.ATTEMPTING
    [lead] = Lead.objects.bulk_create(
        [
            Lead(
                email=f"lead{i}@example.com",
                brand_name=f"Lead {i}",
                source=Source.MIGRATION,
                mini_analysis=request,
                migrated_at=state["migrated_at"],
                created_at=DAY - dt.timedelta(days=1),
                updated_at=state["updated_at"],
                notes=state["notes"],
                status=state["status"],
                stage=stage,
                disqualification_reason=reason if stage == LeadStage.DISQUALIFIED else None,
                assigned_to=user if state["assigned"] else None,
                converted_at=DAY if state["converted"] else None,
            )
        ]
    )
    if state["activity"]:
        Activity.objects.create(kind=ActivityKind.CALL, subject="Called", lead=lead, done_at=DAY)
    return lead, state["activity"]


lead_lists = st.integers(1, 10).flatmap(lambda n: st.tuples(*(lead_states(i) for i in range(n))))


@pytest.mark.slow
@rules
@given(lead_lists)
def test_worked_on_and_the_deletions_recheck_give_the_documented_reasons(states):
    with rolled_back():
        _documented_reasons_found(states)


def _documented_reasons_found(states):
    user = UserFactory()
    reason = DisqualificationReason.objects.first()
    leads = [write_lead(i, state, user, reason) for i, state in enumerate(states)]
    expected = {lead.pk: documented_reasons(lead, has_activity) for lead, has_activity in leads}

    listed = {
        lead.pk: backfill_rollback.worked_on(lead)
        for lead in backfill_rollback.with_worked_on(Lead.objects.all())
    }
    read_one_by_one = {lead.pk: backfill_rollback.worked_on(lead) for lead, _ in leads}
    rechecked = set(backfill_rollback.untouched(Lead.objects.all()).values_list("pk", flat=True))

    assert listed == expected
    assert read_one_by_one == expected
    assert rechecked == {pk for pk, reasons in expected.items() if not reasons}
