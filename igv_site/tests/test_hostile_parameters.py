"""Hostile values in every parameter of the admin and the API never answer 500.

The parameters are discovered, not listed by hand, so a filter or an API parameter added later is
fuzzed too: each registered ModelAdmin's changelist filters (`expected_parameters()` of its filter
specs), search (`q`), ordering (`o`), page (`p`), date hierarchy (`__year`, `__month`, `__day`)
and a lookup on each of its model's fields; each autocomplete field's view; and each operation of
the API's OpenAPI schema (its query and path parameters). As a sales person and as a manager:

- every parameter gets a NUL and a whole number beyond 64 bits (in the admin, refused by one
  middleware before any view runs, so these requests are cheap);
- then hypothesis draws `EXAMPLES` requests to the admin and to the API, each one to three
  parameters of a page with a value each: invalid UTF-8 (lone surrogates), huge and edge
  numbers, 10 000-character strings, bidi controls, and arbitrary text.

A changelist takes some 40 ms to draw, so the second part is a sample, not every pair: each run
draws a new one, and hypothesis shrinks a failure to its smallest request.
"""

import functools
from collections.abc import Iterator
from urllib.parse import quote

import pytest
from django.contrib import admin
from django.db import transaction
from django.test import RequestFactory
from django.urls import reverse
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from crm.tests.factories import (
    ActivityFactory,
    ContactFactory,
    LeadFactory,
    OpportunityFactory,
    SalesPersonFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

EXAMPLES = 60
bounded = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
REFUSED = ["%00", "a%00b", "9" * 40]
BIDI_CONTROLS = [chr(code) for code in [*range(0x202A, 0x202F), *range(0x2066, 0x206A)]]

# Already percent-encoded: what a client can put in a URL, invalid UTF-8 included.
HOSTILE = [
    "%ED%A0%80",  # a lone surrogate (U+D800) as UTF-8 bytes: invalid UTF-8
    "%ED%B0%80x%F0%9F",  # a low surrogate, then a truncated sequence
    "%C0%80",  # an overlong NUL
    "%FF%FE",
    "9223372036854775807",
    "-9223372036854775808",
    "1e999999",
    "-1",
    "0",
    "NaN",
    quote("x" * 10_000),
    quote("é" * 10_000),
    *(quote(f"{control}brand{control}") for control in BIDI_CONTROLS),
    quote("".join(BIDI_CONTROLS)),
    quote("' OR 1=1 --"),
    quote("%_\\"),
    quote("<script>alert(1)</script>"),
    quote("2026-13-45"),
    quote("[]"),
    quote("__"),
    "",
]


@functools.cache
def admin_targets() -> list[tuple[str, list[str]]]:
    return list(_admin_targets())


def _admin_targets() -> Iterator[tuple[str, list[str]]]:
    """(URL, parameter names) of every changelist and autocomplete field of the admin site."""
    factory = RequestFactory()
    manager = UserFactory(username="fuzz-introspection", is_superuser=True)
    for model, model_admin in admin.site._registry.items():
        options = model._meta
        url = reverse(f"admin:{options.app_label}_{options.model_name}_changelist")
        request = factory.get(url)
        request.user = manager
        changelist = model_admin.get_changelist_instance(request)
        names = {"q", "o", "p", "all", "e", "_to_field", "_popup"}
        names |= {name for spec in changelist.filter_specs for name in spec.expected_parameters()}
        names |= {field.name for field in options.concrete_fields}
        if model_admin.date_hierarchy:
            names |= {f"{model_admin.date_hierarchy}__{part}" for part in ("year", "month", "day")}
        yield url, sorted(names)
        for field_name in model_admin.autocomplete_fields:
            query = f"app_label={options.app_label}&model_name={options.model_name}&field_name={field_name}"
            yield f"{reverse('admin:autocomplete')}?{query}", ["term", "page"]
    yield reverse("admin:autocomplete"), ["app_label", "model_name", "field_name", "term"]


@functools.cache
def api_targets() -> list[tuple[str, str, list[str], list[str]]]:
    return list(_api_targets())


def _api_targets() -> Iterator[tuple[str, str, list[str], list[str]]]:
    """(method, path template, path parameters, query parameters) of every API operation."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            parameters = operation.get("parameters", [])
            path_names = [parameter["name"] for parameter in parameters if parameter["in"] == "path"]
            query_names = [parameter["name"] for parameter in parameters if parameter["in"] == "query"]
            yield method, path, path_names, query_names


@pytest.fixture(params=["sales person", "manager"])
def user(request):
    user = SalesPersonFactory() if request.param == "sales person" else UserFactory(is_superuser=True)
    # A few rows, so that the pages draw rows and not only their empty state.
    lead = LeadFactory(assigned_to=user)
    opportunity = OpportunityFactory(owner=user, contact=ContactFactory(owner=user))
    ActivityFactory(lead=lead, owner=user)
    ActivityFactory(opportunity=opportunity, owner=user)
    return user


# Percent-encoded as a client that does not care would: UTF-8 with lone surrogates let through.
lone_surrogate = st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF, categories=["Cs"])
encoded_text = st.text(st.one_of(st.characters(), lone_surrogate), max_size=40).map(
    lambda text: quote(text.encode("utf-8", "surrogatepass"))
)
hostile = st.one_of(
    st.sampled_from(HOSTILE),
    encoded_text,
    st.integers().map(str),
    st.binary(max_size=20).map(quote),
)


def with_query(url: str, name: str, value: str) -> str:
    return f"{url}{'&' if '?' in url else '?'}{quote(name)}={value}"


def get(client, url: str) -> int:
    with transaction.atomic():  # a database error of one request spoils no other
        return client.get(url).status_code


def test_every_admin_parameter_refuses_what_no_query_can_hold(client, user):
    client.force_login(user)
    client.raise_request_exception = False
    sent = [
        with_query(url, name, value) for url, names in admin_targets() for name in names for value in REFUSED
    ]
    failures = [f"{status} {url[:200]}" for url in sent if (status := get(client, url)) >= 500]
    assert len(sent) > 500  # the changelists were found
    assert not failures, "\n".join(failures)


@bounded
@given(data=st.data())
def test_hostile_admin_parameters_never_answer_500(client, user, data):
    client.force_login(user)
    client.raise_request_exception = False
    url, names = data.draw(st.sampled_from(admin_targets()))
    for name in data.draw(st.lists(st.sampled_from(names), min_size=1, max_size=3, unique=True)):
        url = with_query(url, name, data.draw(hostile))
    assert get(client, url) < 500, url[:300]


def api_request(api, method: str, url: str):
    with transaction.atomic():
        return api.generic(method.upper(), url, "{}", content_type="application/json")


def test_every_api_parameter_takes_what_no_query_can_hold_without_a_500(user):
    api = APIClient()
    api.force_authenticate(user)
    api.raise_request_exception = False
    sent, failures = 0, []
    for method, template, path_names, query_names in api_targets():
        path = template
        for name in path_names:
            path = path.replace(f"{{{name}}}", "1")
        for url in [with_query(path, name, value) for name in query_names for value in REFUSED]:
            response = api_request(api, method, url)
            sent += 1
            if response.status_code >= 500 or not response["Content-Type"].startswith("application/json"):
                failures.append(f"{response.status_code} {response['Content-Type']} {method.upper()} {url}")
    assert sent > 10  # the operations were found
    assert not failures, "\n".join(failures)


@bounded
@given(data=st.data())
def test_hostile_api_parameters_never_answer_500(user, data):
    api = APIClient()
    api.force_authenticate(user)
    api.raise_request_exception = False
    method, path, path_names, query_names = data.draw(st.sampled_from(api_targets()))
    for name in path_names:
        path = path.replace(f"{{{name}}}", data.draw(hostile) or "x")
    for name in (
        data.draw(st.lists(st.sampled_from(query_names), max_size=3, unique=True)) if query_names else []
    ):
        path = with_query(path, name, data.draw(hostile))
    response = api_request(api, method, path)
    assert response.status_code < 500, f"{method.upper()} {path[:300]}"
    assert response["Content-Type"].startswith("application/json"), f"{method.upper()} {path[:300]}"
