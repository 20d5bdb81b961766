"""The audit's reads (`crm.selectors`) and `check_mini_analyses`, which prints them."""

import datetime as dt
import io
import json
import subprocess
import sys

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils.timezone import localtime

from crm import selectors
from crm.models import Lead, LeadSyncFailure
from crm.tests.factories import LeadFactory
from crm.tests.test_backfill import make_history
from mini_analysis.models import MiniAnalysis, Status
from mini_analysis.tests.factories import MiniAnalysisFactory

pytestmark = pytest.mark.django_db

DAY = dt.datetime(2025, 1, 15, 9, 30, tzinfo=dt.UTC)


def check(*args: str) -> str:
    out = io.StringIO()
    call_command("check_mini_analyses", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def history():
    """Three requests without lead (two of one brand, in other case), one with a lead."""
    make_history(
        {"email": "ana@x.com", "brand_name": "Alpha", "created_at": DAY, "status": Status.GENERATED},
        {"email": "ANA@x.com ", "brand_name": "alpha", "created_at": DAY + dt.timedelta(days=1)},
        {"email": "bob@x.com", "brand_name": "Beta", "created_at": DAY + dt.timedelta(days=2)},
        {"email": "eve@x.com", "brand_name": "Gamma", "created_at": DAY + dt.timedelta(days=3)},
    )
    LeadFactory(email="Eve@X.com", brand_name=" GAMMA")


def test_without_lead_matches_email_and_brand_trimmed_and_case_insensitive(history):
    assert sorted(selectors.mini_analyses_without_lead().values_list("brand_name", flat=True)) == [
        "Alpha",
        "Beta",
        "alpha",
    ]


def test_migration_candidates_are_the_oldest_request_of_each_brand(history):
    assert sorted(selectors.migration_candidates().values_list("brand_name", "created_at")) == [
        ("Alpha", DAY),
        ("Beta", DAY + dt.timedelta(days=2)),
    ]


def test_audit_counts_in_a_fixed_number_of_queries_whatever_the_size(history):
    with CaptureQueriesContext(connection) as queries:
        selectors.backfill_audit(limit=50)
    make_history(*({"brand_name": f"More {i}"} for i in range(30)))
    with CaptureQueriesContext(connection) as more_queries:
        audit = selectors.backfill_audit(limit=50)
    assert len(more_queries) == len(queries)
    assert audit.without_lead == 33
    assert "NOT EXISTS" in more_queries[-1]["sql"].upper() or any(
        "NOT EXISTS" in query["sql"].upper() for query in more_queries
    )


def test_check_prints_the_contract_lines_and_the_list(history):
    lines = check().splitlines()

    assert lines[:3] == ["Mini-analyses: 4", "Leads: 1", "Mini-analyses without lead: 3"]
    assert lines[3] == f"  {localtime(DAY):%Y-%m-%d %H:%M} | Alpha | ana@x.com | GENERATED"
    assert "| alpha | ANA@x.com  | NEW" in lines[4]
    assert "| Beta | bob@x.com | NEW" in lines[5]
    assert "Automatic lead failures: 0" in lines


def test_check_caps_the_list_and_says_how_many_more(history):
    output = check("--limit", "1")
    assert "| Alpha |" in output
    assert "| Beta |" not in output
    assert "  ... and 2 more (--limit to see them)" in output


@pytest.mark.parametrize("limit", ["99999999999999999999", "-1", "ten", "9" * 5000])
def test_check_refuses_a_limit_out_of_bounds_with_a_command_error(limit):
    with pytest.raises(CommandError, match="--limit"):
        check("--limit", limit)


def test_check_on_the_command_line_says_what_is_wrong_with_the_limit_without_a_traceback():
    command = [sys.executable, str(settings.BASE_DIR / "manage.py"), "check_mini_analyses"]
    result = subprocess.run(
        [*command, "--limit", "99999999999999999999"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    assert "argument --limit: must be an integer from 0 to 1000000" in result.stderr
    assert "Traceback" not in result.stderr


def test_check_lists_nothing_with_limit_zero_and_everything_up_to_the_bound(history):
    assert "| Alpha |" not in check("--limit", "0")
    assert "| Beta |" in check("--limit", "1000000")


def test_check_reports_failed_automatic_leads(history):
    request = make_history({"email": "zoe@x.com", "brand_name": "Zeta"})[0]
    LeadSyncFailure.objects.create(mini_analysis=request, error="OperationalError('database is locked')")

    output = check()

    assert "Automatic lead failures: 1" in output
    assert "Automatic lead failures still without lead: 1" in output
    assert f"mini-analysis {request.pk}: OperationalError('database is locked')" in output


def test_check_json_prints_the_same_facts(history):
    facts = json.loads(check("--json"))
    assert (facts["mini_analyses"], facts["leads"], facts["without_lead"]) == (4, 1, 3)
    assert [row["brand_name"] for row in facts["to_migrate"]] == ["Alpha", "alpha", "Beta"]
    assert facts["more_to_migrate"] == 0


def test_the_audit_matches_bulk_written_rows_by_their_real_email_and_brand():
    Lead.objects.bulk_create([LeadFactory.build(email="ana@x.com", brand_name="Maison")])
    MiniAnalysis.objects.bulk_create([MiniAnalysisFactory.build(email="bob@y.com", brand_name="Shop")])
    assert "Mini-analyses without lead: 1" in check()
    assert list(selectors.mini_analyses_without_lead().values_list("email", flat=True)) == ["bob@y.com"]


def test_the_audit_matches_rows_loaded_from_a_fixture_by_their_real_email_and_brand(tmp_path):
    stamp = {"created_at": "2024-05-01T10:00:00Z", "updated_at": "2024-05-01T10:00:00Z"}
    fixture = tmp_path / "history.json"
    fixture.write_text(
        json.dumps(
            [
                {
                    "model": "crm.lead",
                    "pk": 7,
                    "fields": {"email": "ana@x.com", "brand_name": "Maison", **stamp},
                },
                {
                    "model": "mini_analysis.minianalysis",
                    "pk": 8,
                    "fields": {
                        "request_id": "6f1c6f0e-0c1e-4a43-9a70-1f3f6f0e0c1e",
                        "email": "bob@y.com",
                        "brand_name": "Shop",
                        **stamp,
                    },
                },
            ]
        )
    )
    call_command("loaddata", str(fixture), verbosity=0)
    assert list(selectors.mini_analyses_without_lead().values_list("pk", flat=True)) == [8]


def test_a_request_without_brand_never_matches_a_lead_without_brand():
    MiniAnalysis.objects.bulk_create([MiniAnalysisFactory.build(email="ana@x.com", brand_name="")])
    Lead.objects.bulk_create([LeadFactory.build(email="ana@x.com", brand_name="")])
    assert selectors.mini_analyses_without_lead().count() == 1
