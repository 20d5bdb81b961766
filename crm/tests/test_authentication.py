"""API tokens (`crm/authentication.py`, `crm/models/tokens.py`, `create_api_token`): they expire
after `API_TOKEN_TTL_DAYS`, and a read-only one may only read."""

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from rest_framework.test import APIClient

from crm.models import ApiToken, Lead, LeadStage

from .factories import LeadFactory

pytestmark = pytest.mark.django_db

LEADS = "/api/crm/leads"


def client_with(token: ApiToken) -> APIClient:
    """A client of this token, whose answers are in English."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token.key}", HTTP_ACCEPT_LANGUAGE="en")
    return client


def create_api_token(*arguments: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("create_api_token", *arguments, stdout=out, stderr=err)
    return out.getvalue().strip(), err.getvalue()


def aged(token: ApiToken, days: float) -> ApiToken:
    ApiToken.objects.filter(pk=token.pk).update(created_at=timezone.now() - timedelta(days=days))
    return token


# --- expiry ----------------------------------------------------------------------------------


def test_a_token_works_until_its_lifetime_is_over_then_answers_401_in_json(boss, settings):
    settings.API_TOKEN_TTL_DAYS = 30
    token = ApiToken.objects.create(user=boss)
    assert client_with(aged(token, 29.9)).get(LEADS).status_code == 200
    response = client_with(aged(token, 30)).get(LEADS)
    assert response.status_code == 401
    assert response["Content-Type"] == "application/json"
    assert response["WWW-Authenticate"] == "Bearer"
    assert "expired" in response.json()["detail"]


def test_a_shorter_lifetime_also_ends_the_older_tokens(boss, settings):
    token = aged(ApiToken.objects.create(user=boss), 10)
    settings.API_TOKEN_TTL_DAYS = 90
    assert client_with(token).get(LEADS).status_code == 200
    settings.API_TOKEN_TTL_DAYS = 7
    assert client_with(token).get(LEADS).status_code == 401


def test_create_api_token_replaces_an_expired_token(boss, settings):
    settings.API_TOKEN_TTL_DAYS = 30
    old, _ = create_api_token("boss")
    aged(ApiToken.objects.get(key=old), 31)
    new, err = create_api_token("boss")
    assert new != old
    assert not ApiToken.objects.filter(key=old).exists()
    assert client_with(ApiToken.objects.get(key=new)).get(LEADS).status_code == 200
    assert "New full-access token of 'boss', valid until " in err


# --- the read-only scope ---------------------------------------------------------------------


def test_a_read_only_token_lists_and_answers_403_to_any_method_that_writes(boss):
    lead = LeadFactory()
    client = client_with(ApiToken.objects.create(user=boss, read_only=True))
    for path in (LEADS, "/api/crm/contacts", "/api/crm/opportunities"):
        assert client.get(path).status_code == 200
        assert client.head(path).status_code == 200
    convert = f"/api/crm/leads/{lead.pk}/convert"
    for method in ("post", "put", "patch", "delete"):
        for path in (convert, LEADS):
            response = getattr(client, method)(path, {}, format="json")
            assert response.status_code == 403, (method, path)
            assert response["Content-Type"] == "application/json"
            assert "read-only" in response.json()["detail"]
    lead.refresh_from_db()
    assert lead.stage != LeadStage.CONVERTED


def test_a_full_token_of_the_same_user_still_converts(boss):
    lead = LeadFactory()
    ApiToken.objects.create(user=boss, read_only=True)
    client = client_with(ApiToken.objects.create(user=boss))
    assert client.post(f"/api/crm/leads/{lead.pk}/convert", {}, format="json").status_code == 201
    assert Lead.objects.get(pk=lead.pk).stage == LeadStage.CONVERTED


def test_create_api_token_read_only_prints_a_second_token_that_only_reads(boss):
    full, _ = create_api_token("boss")
    read_only, err = create_api_token("boss", "--read-only")
    assert read_only != full
    assert ApiToken.objects.get(key=read_only).read_only
    assert not ApiToken.objects.get(key=full).read_only
    assert create_api_token("boss", "--read-only")[0] == read_only  # created once
    assert "read-only token of 'boss'" in err


def test_create_api_token_reset_replaces_only_the_token_of_that_scope(boss):
    full, _ = create_api_token("boss")
    read_only, _ = create_api_token("boss", "--read-only")
    new_read_only, _ = create_api_token("boss", "--read-only", "--reset")
    assert new_read_only != read_only
    assert set(ApiToken.objects.values_list("key", flat=True)) == {full, new_read_only}
