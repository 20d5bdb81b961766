"""Faults end to end: when the CRM cannot write the lead, the visitor's request is kept, the
visitor still gets their analysis, the audit names the request and the backfill repairs it."""

import io
from unittest import mock

import pytest
from django.core.management import call_command
from django.db import DatabaseError

from crm.models import Lead
from mini_analysis.models import MiniAnalysis, Status
from mini_analysis.tests.conftest import run_jobs

pytestmark = pytest.mark.django_db


def test_a_refused_lead_write_keeps_the_request_and_the_audit_reports_it(client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    form = {"email": "ana@x.com", "brand_name": "Alpha", "sector": "retail", "consent": "on"}
    with mock.patch.object(Lead, "save", side_effect=DatabaseError("could not extend file")):
        with run_jobs():
            posted = client.post("/fr/mini-analysis/", form)
        response = client.get(posted["Location"])

    assert response.status_code == 200
    request = MiniAnalysis.objects.get()
    assert request.status == Status.GENERATED
    first_line = request.analysis_text.splitlines()[0]
    assert first_line in response.content.decode()
    assert not Lead.objects.exists()

    audit = io.StringIO()
    call_command("check_mini_analyses", stdout=audit)
    assert "Mini-analyses without lead: 1" in audit.getvalue()
    assert f"mini-analysis {request.pk}: DatabaseError('could not extend file')" in audit.getvalue()

    call_command("migrate_mini_analyses", stdout=io.StringIO())
    lead = Lead.objects.get()
    assert (lead.mini_analysis, lead.status) == (request, Status.GENERATED)
