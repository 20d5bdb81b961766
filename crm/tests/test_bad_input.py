"""Garbage in, never a 500 out: property-based tests of the form and the JSON API (hypothesis).

Each example posts arbitrary unicode, oversized, missing or wrongly typed fields and checks the
answer is one a visitor may get (200/201/302/400/429, never a server error) and that nothing is
half-written: a refusal stores no row, an acceptance stores exactly one request and its lead.
HTML typed into a field comes back escaped on the result page and in the admin.

Bounded (`max_examples`) so the file runs in seconds; all examples of a test share its database
transaction, so each example compares row counts before and after itself.
"""

import json

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils.html import escape
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from crm.models import Lead
from mini_analysis.models import MiniAnalysis
from mini_analysis.sectors import Sector
from mini_analysis.tests.conftest import run_jobs

from .factories import UserFactory

pytestmark = pytest.mark.django_db

FORM = "/fr/mini-analysis/"
API = "/api/mini-analysis"
FIELDS = ["email", "phone", "brand_name", "sector", "consent", "language", "website"]

bounded = settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# Any character a client can send: a lone surrogate has no UTF-8 form, so no body carries one
# (`st.text()` leaves them out too; Django reads invalid UTF-8 bytes as U+FFFD).
oversized_text = st.builds(
    lambda character, size: character * size, st.characters(codec="utf-8"), st.integers(201, 20_000)
)
any_text = st.one_of(st.text(max_size=300), oversized_text)
# Values that pass, so that a good share of examples is accepted and the write path is exercised.
plausible = {
    "email": st.sampled_from(["ana@example.com", " ANA@example.com ", "dan@example.co.il"]),
    "phone": st.sampled_from(["", "050-234-5678", "+33612345678"]),
    "brand_name": st.text(min_size=1, max_size=200).filter(lambda text: text.strip()),
    "sector": st.sampled_from(Sector.values),
    "consent": st.sampled_from([True, "true", "on", 1]),
    "language": st.sampled_from(["fr", "en", "he"]),
    "website": st.just(""),
}
json_scalar = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False, allow_infinity=False), any_text
)
json_value = st.one_of(
    json_scalar,
    st.lists(json_scalar, max_size=3),
    st.dictionaries(st.text(max_size=5), json_scalar, max_size=3),
)


MISSING = object()


def payloads(value_strategy) -> st.SearchStrategy[dict]:
    """A plausible payload with some of its fields damaged: removed, or replaced by an arbitrary
    value; plus stray keys. Often undamaged, so the write path is exercised too."""
    valid = st.fixed_dictionaries({name: plausible[name] for name in FIELDS})
    damage = st.dictionaries(st.sampled_from(FIELDS), st.one_of(st.just(MISSING), value_strategy), max_size=4)
    stray = st.dictionaries(
        st.text(max_size=10).filter(lambda key: key not in FIELDS), value_strategy, max_size=2
    )
    return st.builds(
        lambda payload, damage, stray: {
            name: value for name, value in {**stray, **payload, **damage}.items() if value is not MISSING
        },
        valid,
        damage,
        stray,
    )


def row_counts() -> tuple[int, int]:
    return MiniAnalysis.objects.count(), Lead.objects.count()


def assert_nothing_written(before: tuple[int, int]) -> None:
    assert row_counts() == before


def assert_one_request_and_its_lead(before: tuple[int, int], mini_analysis: MiniAnalysis) -> None:
    requests, leads = row_counts()
    assert requests == before[0] + 1
    assert leads in (before[1], before[1] + 1)  # a new lead, or the person's existing one
    assert Lead.objects.filter_identity(mini_analysis.email, mini_analysis.brand_name).count() == 1


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


# --- the JSON API ----------------------------------------------------------------------------


@bounded
@given(payload=payloads(json_value))
def test_api_answers_any_json_object_without_a_server_error_or_a_half_write(payload):
    cache.clear()  # the rate limit: each example is a new visitor
    before = row_counts()
    response = APIClient().post(API, payload, format="json")
    event(f"HTTP {response.status_code}")
    assert response.status_code in (202, 400, 429)
    if response.status_code == 202:
        request_id = response.json()["request_id"]
        assert_one_request_and_its_lead(before, MiniAnalysis.objects.get(request_id=request_id))
        assert set(response.json()) == {"request_id", "status", "status_url"}
    else:
        assert_nothing_written(before)


@bounded
@given(
    body=st.one_of(st.binary(max_size=300), json_value.map(lambda value: json.dumps(value).encode())),
    content_type=st.sampled_from(["application/json", "application/x-www-form-urlencoded"]),
)
def test_api_answers_any_body_without_a_server_error_or_a_half_write(body, content_type):
    cache.clear()
    before = row_counts()
    response = APIClient().post(API, body, content_type=content_type)
    # JSON only: any other body is refused for its type (an empty one is no body: a 400).
    assert response.status_code in ((202, 400, 429) if content_type == "application/json" else (400, 415))
    if response.status_code != 202:
        assert_nothing_written(before)


@bounded
@given(query=st.dictionaries(st.sampled_from(["limit", "offset", "status", "source", "other"]), any_text))
def test_leads_api_answers_any_query_string_with_200_or_400(admin_client, query):
    response = admin_client.get("/api/crm/leads", query)
    event(f"HTTP {response.status_code}")
    assert response.status_code in (200, 400)


# --- the HTML form ---------------------------------------------------------------------------

form_value = st.one_of(any_text, st.lists(any_text, min_size=2, max_size=3))  # a list: repeated keys


def as_form_value(value: object) -> str | list[str]:
    """A plausible JSON value as a browser would post it (a ticked checkbox is "on")."""
    if value is True:
        return "on"
    return value if isinstance(value, str | list) else str(value)


@bounded
@given(payload=payloads(form_value))
def test_form_answers_any_post_without_a_server_error_or_a_half_write(client, payload):
    cache.clear()
    before = row_counts()
    response = client.post(FORM, {name: as_form_value(value) for name, value in payload.items()})
    event(f"HTTP {response.status_code}")
    assert response.status_code in (200, 302, 400, 429)
    if response.status_code == 302:
        request_id = response["Location"].rstrip("/").rsplit("/", 1)[-1]
        assert_one_request_and_its_lead(before, MiniAnalysis.objects.get(request_id=request_id))
    else:
        assert_nothing_written(before)


# --- HTML is shown escaped -------------------------------------------------------------------

MARKUP = [
    "<script>alert('x')</script>",
    '<img src=x onerror="alert(1)">',
    '"><svg onload=alert(1)>',
    "<a href='javascript:alert(1)'>link</a>",
    "</textarea><b>bold</b>",
]


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(username="boss", is_superuser=True))
    return client


@bounded
@given(
    # Printable text (a NUL or control character is refused, rightly: see the tests above).
    prefix=st.text(st.characters(exclude_categories=("Cc", "Cs")), max_size=20).filter(str.strip),
    markup=st.sampled_from(MARKUP),
    language=st.sampled_from(["fr", "en", "he"]),
)
@pytest.mark.slow
def test_html_in_a_brand_name_is_escaped_on_the_result_page_and_in_the_admin(
    admin_client, prefix, markup, language
):
    cache.clear()
    Lead.objects.all().delete()  # each example's prospect is the only one on the changelist
    MiniAnalysis.objects.all().delete()
    payload = {
        "email": "ana@example.com",
        "brand_name": f"{prefix}{markup}",
        "sector": "food",
        "consent": True,
        "language": language,
    }
    with run_jobs():
        response = APIClient().post(API, payload, format="json")
    assert response.status_code == 202
    mini_analysis = MiniAnalysis.objects.get(request_id=response.json()["request_id"])
    lead = Lead.objects.filter_identity(mini_analysis.email, mini_analysis.brand_name).get()
    pages = {
        "result": f"/{language}/mini-analysis/{mini_analysis.request_id}/",
        "changelist": reverse("admin:crm_lead_changelist"),
        "change": reverse("admin:crm_lead_change", args=[lead.pk]),
        "request changelist": reverse("admin:mini_analysis_minianalysis_changelist"),
        "request change": reverse("admin:mini_analysis_minianalysis_change", args=[mini_analysis.pk]),
    }
    for name, url in pages.items():
        page = admin_client.get(url)
        assert page.status_code == 200, name
        content = page.content.decode()
        assert markup not in content, name
        assert escape(markup) in content, name
