"""The pipeline's API (`crm/api_pipeline.py`): contacts, opportunities, conversion; the same
visibility, permissions and schema as the leads endpoint."""

import io
import json

import pytest
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from crm import services
from crm.models import (
    ApiToken,
    Contact,
    DisqualificationReason,
    Lead,
    LeadStage,
    Opportunity,
    OpportunityStage,
)

from .factories import ContactFactory, LeadFactory, OpportunityFactory, UserFactory

pytestmark = pytest.mark.django_db

CONTACTS = "/api/crm/contacts"
OPPORTUNITIES = "/api/crm/opportunities"
LEADS = "/api/crm/leads"


def convert_url(lead: Lead) -> str:
    return f"/api/crm/leads/{lead.pk}/convert"


def bearer(user) -> APIClient:
    client = APIClient()
    token, _ = ApiToken.objects.get_or_create(user=user, read_only=False)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token.key}")
    return client


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def test_converting_through_the_api_answers_201_then_200_with_the_same_records(seller):
    lead = LeadFactory(assigned_to=seller, brand_name="Maison")
    client = bearer(seller)
    first = client.post(convert_url(lead), {"amount": "1500.00", "currency": "USD"}, format="json")
    assert first.status_code == 201
    body = first.json()
    assert body["created"] is True and body["lead_id"] == lead.pk
    opportunity = Opportunity.objects.get(pk=body["opportunity_id"])
    assert (opportunity.name, str(opportunity.amount), opportunity.currency) == ("Maison", "1500.00", "USD")
    assert opportunity.history.get().history_user == seller

    second = client.post(convert_url(lead), {}, format="json")
    assert second.status_code == 200
    assert second.json() == {**body, "created": False}
    assert (Contact.objects.count(), Opportunity.objects.count()) == (1, 1)


def test_converting_without_an_opportunity(seller):
    lead = LeadFactory(assigned_to=seller)
    response = bearer(seller).post(convert_url(lead), {"create_opportunity": False}, format="json")
    assert response.status_code == 201
    assert response.json()["opportunity_id"] is None


def test_converting_a_disqualified_prospect_answers_409(seller):
    lead = LeadFactory(assigned_to=seller)
    services.set_lead_stage(
        lead, LeadStage.DISQUALIFIED, user=None, reason=DisqualificationReason.objects.first()
    )
    response = bearer(seller).post(convert_url(lead), {}, format="json")
    assert response.status_code == 409
    assert "detail" in response.json()


def test_converting_someone_elses_prospect_answers_404(seller):
    lead = LeadFactory(assigned_to=UserFactory())
    assert bearer(seller).post(convert_url(lead), {}, format="json").status_code == 404
    assert not Contact.objects.exists()


@pytest.mark.parametrize("body", [{"currency": "GBP"}, {"amount": "-1"}, {"expected_close_date": "soon"}, []])
def test_an_invalid_conversion_body_answers_400_and_converts_nothing(seller, body):
    lead = LeadFactory(assigned_to=seller)
    assert bearer(seller).post(convert_url(lead), body, format="json").status_code == 400
    lead.refresh_from_db()
    assert lead.stage == LeadStage.NEW


def test_converting_needs_the_convert_permission():
    clerk = UserFactory()
    clerk.user_permissions.add(*Permission.objects.filter(codename__in=["view_lead", "change_lead"]))
    lead = LeadFactory()
    assert bearer(clerk).post(convert_url(lead), {}, format="json").status_code == 403
    assert APIClient().post(convert_url(lead), {}, format="json").status_code == 401


def test_a_session_post_needs_its_csrf_token(seller):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(seller)
    lead = LeadFactory(assigned_to=seller)
    assert client.post(convert_url(lead), {}, format="json").status_code == 403
    assert not Contact.objects.exists()


def test_a_sales_person_lists_only_the_contacts_and_opportunities_they_may_see(seller):
    mine = services.convert_lead(LeadFactory(assigned_to=seller), user=seller)
    services.convert_lead(LeadFactory(assigned_to=UserFactory()), user=None)
    owned = ContactFactory(owner=seller)
    client = bearer(seller)
    assert set(ids(client.get(CONTACTS))) == {mine.contact.pk, owned.pk}
    assert ids(client.get(OPPORTUNITIES)) == [mine.opportunity.pk]


def test_opportunities_filter_by_stage_and_owner():
    boss = UserFactory(is_superuser=True)
    ana, ben = UserFactory(username="ana"), UserFactory(username="ben")
    proposal = OpportunityStage.objects.get(name="Proposal")
    wanted = OpportunityFactory(owner=ana, stage=proposal)
    OpportunityFactory(owner=ana)
    OpportunityFactory(owner=ben, stage=proposal)
    client = bearer(boss)
    assert ids(client.get(OPPORTUNITIES, {"stage": proposal.pk, "owner": "ana"})) == [wanted.pk]
    row = client.get(OPPORTUNITIES, {"stage": proposal.pk, "owner": "ana"}).json()["results"][0]
    assert row["stage"]["probability"] == 50 and row["owner"] == "ana" and row["currency"] == "EUR"
    assert row["won_at"] is None and row["next_step_at"] is None


@pytest.mark.parametrize(
    ("url", "query"),
    [
        (OPPORTUNITIES, {"stage": 999999}),
        (OPPORTUNITIES, {"owner": "nobody"}),
        (OPPORTUNITIES, {"owner": "no\x00body"}),
        (CONTACTS, {"owner": "nobody"}),
    ],
)
def test_an_owner_or_stage_that_matches_nothing_gives_an_empty_list(url, query):
    """The schema cannot list the usernames or stage ids: any well-formed value is a filter."""
    OpportunityFactory(owner=UserFactory(username="ana"))
    answer = bearer(UserFactory(is_superuser=True)).get(url, query)
    assert (answer.status_code, answer.json()["results"]) == (200, [])


@pytest.mark.parametrize(
    "query",
    [{"stage": "abc"}, {"stage": ""}, {"stage": 0}, {"stage": "1.0"}, {"limit": ""}, {"offset": "0.0"}],
)
def test_a_malformed_filter_value_answers_400(query):
    assert bearer(UserFactory(is_superuser=True)).get(OPPORTUNITIES, query).status_code == 400


def test_contacts_filter_by_owner():
    ana = UserFactory(username="ana")
    wanted = ContactFactory(owner=ana)
    ContactFactory()
    assert ids(bearer(UserFactory(is_superuser=True)).get(CONTACTS, {"owner": "ana"})) == [wanted.pk]


@pytest.mark.parametrize("url", [CONTACTS, OPPORTUNITIES])
def test_listing_needs_staff_and_the_view_permission(url):
    assert APIClient().get(url).status_code == 401
    assert bearer(UserFactory(is_staff=False)).get(url).status_code == 403
    assert bearer(UserFactory()).get(url).status_code == 403


@pytest.mark.parametrize("url", [CONTACTS, OPPORTUNITIES])
def test_listing_costs_the_same_queries_for_ten_or_fifty(url):
    client = bearer(UserFactory(is_superuser=True))
    OpportunityFactory.create_batch(10)
    with CaptureQueriesContext(connection) as ten:
        assert client.get(url).status_code == 200
    OpportunityFactory.create_batch(40)
    with CaptureQueriesContext(connection) as fifty:
        assert len(client.get(url).json()["results"]) == 50
    assert len(fifty) == len(ten)


def test_leads_show_their_sales_stage_and_filter_by_it(seller):
    converted = LeadFactory(assigned_to=seller)
    services.convert_lead(converted, user=seller)
    LeadFactory(assigned_to=seller)
    response = bearer(seller).get(LEADS, {"stage": "CONVERTED"})
    assert ids(response) == [converted.pk]
    row = response.json()["results"][0]
    assert row["stage"] == "CONVERTED" and row["contact_id"] is not None and row["converted_at"]
    assert bearer(seller).get(LEADS, {"stage": "WON"}).status_code == 400


def test_the_schema_describes_the_pipeline_endpoints_and_their_errors():
    out = io.StringIO()
    call_command("spectacular", "--validate", "--fail-on-warn", "--format", "openapi-json", stdout=out)
    paths = json.loads(out.getvalue())["paths"]
    convert = paths["/api/crm/leads/{lead_id}/convert"]["post"]
    assert set(convert["responses"]) == {"200", "201", "400", "401", "403", "404", "409", "413", "415"}
    assert {parameter["name"] for parameter in paths[OPPORTUNITIES]["get"]["parameters"]} >= {
        "stage",
        "owner",
    }
    assert {parameter["name"] for parameter in paths[CONTACTS]["get"]["parameters"]} >= {"owner", "limit"}


@pytest.mark.parametrize("lead_id", ["abc", "1.5", "99999999999999999999999", "٣"])
def test_converting_a_malformed_or_impossible_id_is_a_json_404(lead_id):
    client = bearer(UserFactory(is_superuser=True))
    answer = client.post(f"/api/crm/leads/{lead_id}/convert", {}, format="json")
    assert (answer.status_code, answer["Content-Type"]) == (404, "application/json")
