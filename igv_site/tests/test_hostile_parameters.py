"""Hostile values in every parameter of the admin and the API never answer 500.

The parameters are discovered, not listed by hand, so a filter or an API parameter added later is
fuzzed too: each registered ModelAdmin's changelist filters (`expected_parameters()` of its filter
specs), search (`q`), ordering (`o`), page (`p`), date hierarchy (`__year`, `__month`, `__day`)
and a lookup on each of its model's fields; each autocomplete field's view; and each operation of
the API's OpenAPI schema (its query and path parameters). As a sales person and as a manager:

- every parameter gets a NUL and a whole number beyond 64 bits (refused by one middleware, so
  these requests are cheap);
- then `ADMIN_REQUESTS` admin requests draw a page, one to three of its parameters and a value
  each from the hostile set (and random text), and every API parameter gets `API_VALUES` values.

A changelist takes some 40 ms to draw, so the admin part is a random sample, not every pair: each
run draws a new one (seed printed on failure; `FUZZ_SEED=n` replays a run).
"""

import os
import random
from collections.abc import Iterator
from urllib.parse import quote

import pytest
from django.contrib import admin
from django.db import transaction
from django.test import RequestFactory
from django.urls import reverse
from drf_spectacular.generators import SchemaGenerator
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

SEED = int(os.environ.get("FUZZ_SEED") or random.randrange(2**32))
ADMIN_REQUESTS = 120
API_VALUES = 3
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


def admin_targets() -> Iterator[tuple[str, list[str]]]:
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


def api_targets() -> Iterator[tuple[str, str, list[str], list[str]]]:
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


def random_text(rng: random.Random) -> str:
    """Up to 40 code points from anywhere in Unicode (surrogates and controls included), encoded
    the way a client that does not care would: UTF-8 with `surrogatepass`."""
    text = "".join(chr(rng.randrange(0x110000)) for _ in range(rng.randrange(1, 40)))
    return quote(text.encode("utf-8", "surrogatepass"))


def hostile(rng: random.Random) -> str:
    return random_text(rng) if rng.random() < 0.2 else rng.choice(HOSTILE)


def with_query(url: str, name: str, value: str) -> str:
    return f"{url}{'&' if '?' in url else '?'}{quote(name)}={value}"


def test_hostile_admin_parameters_never_answer_500(client, user):
    client.force_login(user)
    client.raise_request_exception = False
    rng = random.Random(SEED)
    targets = list(admin_targets())
    sent = [with_query(url, name, value) for url, names in targets for name in names for value in REFUSED]
    for _ in range(ADMIN_REQUESTS):
        url, names = rng.choice(targets)
        for name in rng.sample(names, min(len(names), rng.randint(1, 3))):
            url = with_query(url, name, hostile(rng))
        sent.append(url)
    failures = []
    for url in sent:
        with transaction.atomic():  # a database error of one request spoils no other
            status = client.get(url).status_code
        if status >= 500:
            failures.append(f"{status} {url[:200]}")
    assert len(sent) > 500  # the changelists were found
    assert not failures, f"FUZZ_SEED={SEED}: " + "\n".join(failures)


def test_hostile_api_parameters_never_answer_500(user):
    api = APIClient()
    api.force_authenticate(user)
    api.raise_request_exception = False
    rng = random.Random(SEED)
    failures, requests = [], 0
    for method, template, path_names, query_names in api_targets():
        path = template
        for name in path_names:
            path = path.replace(f"{{{name}}}", hostile(rng) or "x")
        values = [*REFUSED, *(hostile(rng) for _ in range(API_VALUES))]
        urls = [path] + [with_query(path, name, value) for name in query_names for value in values]
        for url in urls:
            with transaction.atomic():
                response = api.generic(method.upper(), url, "{}", content_type="application/json")
            requests += 1
            if response.status_code >= 500:
                failures.append(f"{response.status_code} {method.upper()} {url[:200]}")
            elif not response["Content-Type"].startswith("application/json"):
                failures.append(f"{response.status_code} not JSON {method.upper()} {url[:200]}")
    assert requests > 20  # every operation was found
    assert not failures, f"FUZZ_SEED={SEED}: " + "\n".join(failures)
