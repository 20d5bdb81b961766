"""The API against its own OpenAPI schema (`/api/schema/`): schemathesis, every check, in-process.

Every operation the schema lists is exercised (examples, coverage and fuzzing phases, with valid
and invalid data), so an endpoint added later is covered without touching this file. The server
is Django's live test server, a thread of this process: schemathesis 4.32.5's WSGI transport
(`from_wsgi`) crashes in the `ignored_auth` check's probes (it hands `max_redirects` to werkzeug),
and the live server also closes each request thread's database connection, as PostgreSQL needs.
The run goes through schemathesis' engine, as its CLI does, to count the cases and failures.
"""

import importlib

import phonenumbers
import pytest
import schemathesis
from django.apps import apps
from django.conf import settings
from hypothesis import strategies as st
from schemathesis.config import SchemathesisConfig
from schemathesis.engine import Status, events, from_schema

from crm.models import ApiToken
from mini_analysis.models import Status as AnalysisStatus

from .factories import LeadFactory, UserFactory

# Fuzzed cases per operation; the examples and coverage phases add theirs.
MAX_EXAMPLES = 200
MINIMUM_CASES = 500


def valid_phone_numbers() -> list[str]:
    """What the form accepts as a phone, as a client may write it: nothing, or phonenumbers'
    examples of a few regions, international and E.164, the default region's national too."""
    numbers = ["", " "]
    for region in ["IL", "FR", "US", "GB", "DE"]:
        for kind in [phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE]:
            number = phonenumbers.example_number_for_type(region, kind)
            formats = [phonenumbers.PhoneNumberFormat.E164, phonenumbers.PhoneNumberFormat.INTERNATIONAL]
            if region == settings.PHONENUMBER_DEFAULT_REGION:
                formats.append(phonenumbers.PhoneNumberFormat.NATIONAL)
            numbers += [phonenumbers.format_number(number, style) for style in formats]
    return numbers


# The schema's custom `phone` format (`mini_analysis.api.submission_schema`): schemathesis cannot guess it.
schemathesis.openapi.format("phone", st.sampled_from(valid_phone_numbers()))


@pytest.fixture
def _leads():
    """Rows for the leads list: assigned and unassigned, with and without the nullable fields.

    A staff account, not a Sales member: this test runs on a live server (a flushed database),
    where the Sales group of the data migration is gone once another such test has run. The
    opportunity stages are seeded again for the same reason, so conversions really convert."""
    importlib.import_module("crm.migrations.0005_pipeline_reference_rows").seed(apps, None)
    LeadFactory(assigned_to=UserFactory(), status=AnalysisStatus.GENERATED, legacy_id="abc")
    LeadFactory(phone="", sector="")


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_the_api_behaves_as_its_schema_says(live_server, settings, tmp_path, _leads):
    settings.MEDIA_ROOT = tmp_path
    settings.MINI_ANALYSIS_RATE_LIMIT = None  # django-ratelimit: no limit
    token = ApiToken.objects.create(user=UserFactory(is_superuser=True)).key
    config = SchemathesisConfig.from_dict(
        {
            # One request per connection: each live-server thread then ends and closes its
            # database connection, so PostgreSQL can drop the test database afterwards.
            "headers": {"Authorization": f"Bearer {token}", "Connection": "close"},
            "checks": {"enabled": True},
            "generation": {"max-examples": MAX_EXAMPLES},
            "seed": 20261125,
            "workers": 1,
            "continue-on-failure": True,
            "cache": {"enabled": False},
        }
    )
    schema = schemathesis.openapi.from_url(f"{live_server.url}/api/schema/", config=config)
    operations = {result.ok().label for result in schema.get_all_operations()}

    cases = 0
    tested: set[str] = set()
    failures: list[str] = []
    for event in from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            tested.add(event.recorder.label)
            cases += len(event.recorder.cases)
            for checks in event.recorder.checks.values():
                for check in checks:
                    if check.status == Status.FAILURE:
                        failure = check.failure_info
                        failures.append(
                            f"{check.name}: {failure.failure.title}: {failure.failure.message}\n"
                            f"  {failure.code_sample}"
                        )
        elif isinstance(event, events.NonFatalError):
            failures.append(f"error in {event.label}: {event.info.format()}")
        elif isinstance(event, events.FatalError):
            raise event.exception

    assert not failures, "\n\n".join(failures)
    # Every operation of the schema was tested; besides them, only schemathesis' stateful phase
    # (sequences it builds from the schema's links, e.g. a conversion's ids) may be reported.
    assert operations >= {"GET /api/crm/leads", "POST /api/mini-analysis"}
    assert operations <= tested
    assert tested - operations <= {"Stateful tests"}
    assert cases >= MINIMUM_CASES
