"""The prospects page: the `Lead` changelist, its filters, actions and per-user rows."""

import csv
import io
from datetime import timedelta

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from crm.admin.leads import MINI_ANALYSES_SHOWN, LeadAdmin
from crm.models import Lead, LeadSyncFailure, Source
from mini_analysis.models import MiniAnalysis, Status
from mini_analysis.tests.factories import MiniAnalysisFactory

from .factories import LeadFactory, SalesPersonFactory, UserFactory

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:crm_lead_changelist")


def shown(response) -> set[Lead]:
    return set(response.context["cl"].result_list)


def test_prospects_url_opens_the_changelist_with_its_query_string(client, signed_in_boss):
    response = client.get("/admin/crm/prospects/?status__exact=GENERATED&source__exact=mini-analysis")
    assert response.status_code == 302
    assert response["Location"] == f"{CHANGELIST}?status__exact=GENERATED&source__exact=mini-analysis"


def test_anonymous_visitor_is_sent_to_the_login(client):
    response = client.get(CHANGELIST, follow=True)
    assert response.redirect_chain[-1][0].startswith(reverse("admin:login"))
    assert "cl" not in response.context


def test_the_page_is_named_prospects(client, signed_in_boss):
    response = client.get(CHANGELIST)
    assert response.status_code == 200
    assert response.context["cl"].opts.verbose_name_plural == "prospects"


@pytest.mark.parametrize(
    ("query", "field", "wanted", "other"),
    [
        ("status__exact=GENERATED", "status", Status.GENERATED, Status.ERROR),
        ("source__exact=mini-analysis-migration", "source", Source.MIGRATION, Source.MANUAL),
        ("language__exact=he", "language", "he", "fr"),
        ("sector=Fashion", "sector", "Fashion", "Retail"),
    ],
)
def test_each_filter_returns_only_its_rows(client, signed_in_boss, query, field, wanted, other):
    match = LeadFactory(**{field: wanted})
    LeadFactory(**{field: other})
    response = client.get(f"{CHANGELIST}?{query}")
    assert shown(response) == {match}


def test_assigned_to_filter_returns_the_leads_of_that_person(client, signed_in_boss):
    seller = UserFactory()
    mine = LeadFactory(assigned_to=seller)
    LeadFactory()
    response = client.get(f"{CHANGELIST}?assigned_to__id__exact={seller.pk}")
    assert shown(response) == {mine}


def filter_choices(response, field_path: str) -> list[str]:
    spec = next(spec for spec in response.context["cl"].filter_specs if spec.field_path == field_path)
    return [str(choice["display"]) for choice in spec.choices(response.context["cl"])]


def test_sector_filter_offers_each_sector_of_the_visible_prospects_once(client):
    seller = SalesPersonFactory()
    LeadFactory(sector="Retail"), LeadFactory(sector="food"), LeadFactory(sector="Retail")
    LeadFactory(sector="Fashion", assigned_to=SalesPersonFactory())
    client.force_login(seller)
    response = client.get(CHANGELIST)
    # A form sector by its label in the page's language; a legacy free-text one as it was typed.
    assert filter_choices(response, "sector")[1:] == ["Restauration / Alimentation", "Retail"]
    assert "Restauration / Alimentation" in response.content.decode()


def test_sector_filter_reads_its_choices_in_one_query_up_to_its_bound(client, signed_in_boss, monkeypatch):
    from crm.admin.lead_filters import SectorFilter

    for sector in ["b", "a", "d", "c", "a", ""]:
        LeadFactory(sector=sector)
    monkeypatch.setattr(SectorFilter, "max_choices", 3)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(CHANGELIST)
    walks = [query["sql"] for query in queries if '"sector"' in query["sql"] and "leads" in query["sql"]]
    assert len([sql for sql in walks if "WITH RECURSIVE" in sql]) == 1
    assert not [sql for sql in walks if "WITH RECURSIVE" not in sql and "DISTINCT" in sql]
    assert filter_choices(response, "sector")[1:] == ["", "a", "b"]


def test_a_sales_persons_sector_choices_are_their_own_and_the_unassigned_in_one_query(client):
    """Their leads and the unassigned ones are walked each along its own index, in one query."""
    seller = SalesPersonFactory()
    LeadFactory(sector="b", assigned_to=seller), LeadFactory(sector="d"), LeadFactory(sector="b")
    LeadFactory(sector="a", assigned_to=SalesPersonFactory()), LeadFactory(sector="c", assigned_to=seller)
    client.force_login(seller)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(CHANGELIST)
    walks = [query["sql"] for query in queries if "WITH RECURSIVE" in query["sql"]]
    assert len(walks) == 1
    assert filter_choices(response, "sector")[1:] == ["b", "c", "d"]


def test_sales_person_filter_offers_staff_accounts_and_unassigned_not_visitors(client, signed_in_boss):
    UserFactory(username="dana")
    UserFactory(username="visitor", is_staff=False)
    choices = filter_choices(client.get(CHANGELIST), "assigned_to")
    assert "dana" in choices and "boss" in choices
    assert "visitor" not in choices
    assert "Non assigné" in choices


def test_date_bar_offers_the_years_from_the_oldest_prospect_to_this_one(client, signed_in_boss):
    LeadFactory(created_at="2023-05-01T12:00Z")
    LeadFactory()
    page = client.get(CHANGELIST).content.decode()
    this_year = timezone.localdate().year
    for year in range(2023, this_year + 1):
        assert f"created_at__year={year}" in page
    assert "created_at__year=2022" not in page


def test_newest_prospect_comes_first(client, signed_in_boss):
    old = LeadFactory(created_at="2024-01-01T00:00Z")
    new = LeadFactory(created_at="2025-01-01T00:00Z")
    response = client.get(CHANGELIST)
    assert list(response.context["cl"].result_list) == [new, old]


def test_search_finds_by_email_brand_or_phone(client, signed_in_boss):
    target = LeadFactory(email="ana@unique.example", brand_name="Zebra Café", phone="+972541112233")
    LeadFactory()
    for term in ["ana@unique", "zebra", "541112233"]:
        assert shown(client.get(CHANGELIST, {"q": term})) == {target}


def test_a_sales_person_sees_only_their_own_and_unassigned_prospects(client):
    seller, colleague = SalesPersonFactory(), SalesPersonFactory()
    mine, unassigned = LeadFactory(assigned_to=seller), LeadFactory()
    theirs = LeadFactory(assigned_to=colleague)
    client.force_login(seller)

    assert shown(client.get(CHANGELIST)) == {mine, unassigned}
    assert client.get(reverse("admin:crm_lead_change", args=[theirs.pk])).status_code == 302


def test_a_sales_person_can_open_and_edit_a_visible_prospect(client):
    seller = SalesPersonFactory()
    lead = LeadFactory()
    client.force_login(seller)
    url = reverse("admin:crm_lead_change", args=[lead.pk])
    assert client.get(url).status_code == 200


def test_assign_to_me_assigns_the_selection(client):
    seller = SalesPersonFactory()
    chosen, other = LeadFactory(), LeadFactory()
    client.force_login(seller)
    response = client.post(
        CHANGELIST, {"action": "assign_to_me", "_selected_action": [chosen.pk]}, follow=True
    )
    assert response.status_code == 200
    chosen.refresh_from_db(), other.refresh_from_db()
    assert (chosen.assigned_to, other.assigned_to) == (seller, None)


def test_assign_to_a_chosen_sales_person_needs_the_assign_permission(client, signed_in_boss):
    seller = SalesPersonFactory()
    lead = LeadFactory()
    data = {"action": "assign_to_sales_person", "_selected_action": [lead.pk], "assignee": seller.pk}
    client.post(CHANGELIST, data)
    lead.refresh_from_db()
    assert lead.assigned_to == seller

    client.force_login(SalesPersonFactory())
    offered = dict(client.get(CHANGELIST).context["action_form"].fields["action"].choices)
    assert "assign_to_me" in offered
    assert "assign_to_sales_person" not in offered
    other = LeadFactory()
    data["_selected_action"] = [other.pk]
    client.post(CHANGELIST, data)
    other.refresh_from_db()
    assert other.assigned_to is None


def test_export_csv_writes_the_selected_prospects(client, signed_in_boss):
    seller = UserFactory(username="dana")
    lead = LeadFactory(
        email="ana@x.com", brand_name="=HYPERLINK(evil)", assigned_to=seller, notes="Call back"
    )
    LeadFactory()
    response = client.post(CHANGELIST, {"action": "export_csv", "_selected_action": [lead.pk]})

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert len(rows) == 1
    assert rows[0]["email"] == "ana@x.com"
    assert rows[0]["brand_name"] == "'=HYPERLINK(evil)"
    assert rows[0]["assigned_to"] == "dana"
    assert rows[0]["status"] == "NEW"
    assert rows[0]["notes"] == "Call back"


def test_the_mini_analysis_admin_links_to_its_prospect_and_back(client, signed_in_boss):
    mini_analysis = MiniAnalysisFactory()
    lead = Lead.objects.get()
    page = client.get(reverse("admin:mini_analysis_minianalysis_change", args=[mini_analysis.pk]))
    assert reverse("admin:crm_lead_change", args=[lead.pk]) in page.content.decode()

    page = client.get(reverse("admin:crm_lead_change", args=[lead.pk]))
    assert (
        reverse("admin:mini_analysis_minianalysis_change", args=[mini_analysis.pk]) in page.content.decode()
    )


def test_a_duplicate_typed_in_the_admin_is_a_form_error_not_a_crash(client, signed_in_boss):
    LeadFactory(email="ana@x.com", brand_name="My Brand")
    response = client.post(
        reverse("admin:crm_lead_add"),
        {"email": "ANA@x.com", "brand_name": "my brand ", "language": "fr", "status": "NEW"},
    )
    assert response.status_code == 200
    assert "brand_name" in response.context["adminform"].form.errors
    assert Lead.objects.count() == 1


def test_list_rows_show_isolated_phone_and_email_status_badge_short_source_owner_and_date(
    client, signed_in_boss
):
    LeadFactory(
        email="ana@example.com",
        phone="+972502345678",
        status=Status.QUOTA_BLOCKED,
        source=Source.MIGRATION,
        assigned_to=UserFactory(username="dana"),
        created_at="2026-03-01T22:30Z",
    )
    page = client.get(CHANGELIST, HTTP_ACCEPT_LANGUAGE="he").content.decode()
    assert '<bdi dir="ltr">+972 50-234-5678</bdi>' in page
    assert '<bdi dir="ltr">ana@example.com</bdi>' in page
    assert '<span class="badge badge-amber">המכסה מוצתה</span>' in page
    assert '<span title="העברת מיני-ניתוחים">העברה</span>' in page
    assert '<td class="field-owner">dana</td>' in page
    assert ">02/03/2026</time>" in page  # the date in Jerusalem, without the time


# --- The requests behind other sales people's prospects ------------------------------------------

REQUESTS = reverse("admin:mini_analysis_minianalysis_changelist")
AUTOCOMPLETE = reverse("admin:autocomplete")


@pytest.fixture
def colleagues(client):
    """Two sales people; a request behind each one's lead, one behind an unassigned lead, one with no lead."""
    seller, colleague = SalesPersonFactory(username="seller"), SalesPersonFactory(username="colleague")
    requests = {
        name: MiniAnalysisFactory(email=f"{name}@shop.example", brand_name=f"{name} shop")
        for name in ["mine", "theirs", "unassigned", "without_lead"]
    }
    Lead.objects.filter(email_key="mine@shop.example").update(assigned_to=seller)
    Lead.objects.filter(email_key="theirs@shop.example").update(assigned_to=colleague)
    Lead.objects.filter(email_key="without_lead@shop.example").delete()
    client.force_login(seller)
    return seller, requests


def test_a_sales_person_lists_only_the_requests_of_prospects_they_may_see(client, colleagues):
    _, requests = colleagues
    listed = set(client.get(REQUESTS).context["cl"].result_list)
    assert listed == {requests["mine"], requests["unassigned"], requests["without_lead"]}


def test_a_sales_person_cannot_find_a_colleagues_request_by_search(client, colleagues):
    assert list(client.get(REQUESTS, {"q": "theirs@shop.example"}).context["cl"].result_list) == []
    assert len(client.get(REQUESTS, {"q": "shop.example"}).context["cl"].result_list) == 3


def test_a_sales_person_cannot_open_a_colleagues_request(client, colleagues):
    _, requests = colleagues
    hidden = client.get(reverse("admin:mini_analysis_minianalysis_change", args=[requests["theirs"].pk]))
    assert hidden.status_code == 302
    assert str(requests["theirs"].request_id) not in hidden.content.decode()
    visible = client.get(reverse("admin:mini_analysis_minianalysis_change", args=[requests["mine"].pk]))
    assert visible.status_code == 200


def test_the_request_linked_to_a_colleagues_prospect_stays_hidden_after_an_email_change(client, colleagues):
    _, requests = colleagues
    lead = Lead.objects.get(email_key="theirs@shop.example")
    lead.email = "renamed@shop.example"
    lead.save()
    assert requests["theirs"] not in set(client.get(REQUESTS).context["cl"].result_list)


def test_the_admin_autocomplete_offers_only_visible_requests(client, colleagues):
    response = client.get(
        AUTOCOMPLETE,
        {"app_label": "crm", "model_name": "lead", "field_name": "mini_analysis", "term": "shop"},
    )
    assert response.status_code == 200
    offered = {result["text"] for result in response.json()["results"]}
    assert offered == {
        "mine shop | mine@shop.example",
        "unassigned shop | unassigned@shop.example",
        "without_lead shop | without_lead@shop.example",
    }


def test_lead_sync_failures_show_only_visible_requests(client, colleagues):
    seller, requests = colleagues
    seller.user_permissions.add(Permission.objects.get(codename="view_leadsyncfailure"))
    for mini_analysis in requests.values():
        LeadSyncFailure.objects.create(mini_analysis=mini_analysis, error="boom")
    listed = client.get(reverse("admin:crm_leadsyncfailure_changelist")).context["cl"].result_list
    assert {failure.mini_analysis for failure in listed} == {
        requests["mine"],
        requests["unassigned"],
        requests["without_lead"],
    }
    hidden = LeadSyncFailure.objects.get(mini_analysis=requests["theirs"])
    assert client.get(reverse("admin:crm_leadsyncfailure_change", args=[hidden.pk])).status_code == 302


def test_a_superuser_sees_every_request(client, colleagues, signed_in_boss):
    assert len(client.get(REQUESTS).context["cl"].result_list) == 4


def test_a_bulk_written_request_links_to_its_own_prospect_not_anothers(client, signed_in_boss):
    [other] = Lead.objects.bulk_create([LeadFactory.build(email="ana@x.com", brand_name="Maison")])
    [request] = MiniAnalysis.objects.bulk_create(
        [MiniAnalysisFactory.build(email="bob@y.com", brand_name="Shop")]
    )
    page = client.get(reverse("admin:mini_analysis_minianalysis_change", args=[request.pk])).content.decode()
    assert reverse("admin:crm_lead_change", args=[other.pk]) not in page


@pytest.mark.parametrize("url", ["javascript:alert(1)", "//evil.example/x.pdf", "data:text/html,x"])
def test_a_pdf_url_that_is_not_safe_is_never_a_link(client, signed_in_boss, url):
    lead = LeadFactory(pdf_url=url)
    page = client.get(reverse("admin:crm_lead_change", args=[lead.pk])).content.decode()
    assert f'href="{url}"' not in page
    assert url in page


def test_a_site_pdf_url_is_a_link(client, signed_in_boss):
    lead = LeadFactory(pdf_url="/fr/mini-analysis/x/pdf/")
    page = client.get(reverse("admin:crm_lead_change", args=[lead.pk])).content.decode()
    assert 'href="/fr/mini-analysis/x/pdf/"' in page


def test_a_sales_person_cannot_export_a_colleagues_prospect(client, colleagues):
    selected = list(Lead.objects.values_list("pk", flat=True))
    response = client.post(CHANGELIST, {"action": "export_csv", "_selected_action": selected})
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert {row["email"] for row in rows} == {"mine@shop.example", "unassigned@shop.example"}


def test_the_prospect_page_lists_every_request_of_its_person_newest_first(client, signed_in_boss):
    now = timezone.now()
    older = MiniAnalysisFactory(
        email="ana@x.com", brand_name="My Brand", phone="+972541234567", created_at=now - timedelta(days=2)
    )
    lead = Lead.objects.get()
    lead.notes = "Typed by sales"
    lead.save()
    newer = MiniAnalysisFactory(
        email=" ANA@x.com", brand_name="my brand", phone="+972502345678", sector="food", created_at=now
    )
    MiniAnalysisFactory(email="someone@else.com", brand_name="My Brand")

    page = client.get(reverse("admin:crm_lead_change", args=[lead.pk])).content.decode()
    newer_url = reverse("admin:mini_analysis_minianalysis_change", args=[newer.pk])
    older_url = reverse("admin:mini_analysis_minianalysis_change", args=[older.pk])
    assert newer_url in page
    assert older_url in page
    assert page.index(newer_url) < page.index(older_url)
    assert "+972502345678" in page  # the newer request's phone, which the lead did not take
    assert "someone@else.com" not in page


def test_the_requests_of_a_prospect_are_read_with_one_query():
    lead = LeadFactory(email="ana@x.com", brand_name="My Brand")
    admin_view = LeadAdmin(Lead, admin.site)
    with CaptureQueriesContext(connection) as one:
        admin_view.mini_analyses_list(lead)
    MiniAnalysisFactory.create_batch(MINI_ANALYSES_SHOWN + 5, email="ana@x.com", brand_name="My Brand")
    lead.refresh_from_db()
    with CaptureQueriesContext(connection) as many:
        html = admin_view.mini_analyses_list(lead)
    assert len(one) == len(many) == 1
    assert html.count("<tr>") == 1 + MINI_ANALYSES_SHOWN  # the header, then the newest requests
    assert "email_key=ana%40x.com&amp;brand_key=my+brand" in html  # the link to every request


def test_the_link_to_every_request_lists_those_of_the_person_and_brand(client, signed_in_boss):
    MiniAnalysisFactory.create_batch(2, email="Ana@x.com", brand_name="My Brand")
    MiniAnalysisFactory(email="someone@else.com", brand_name="My Brand")
    url = reverse("admin:mini_analysis_minianalysis_changelist")
    response = client.get(url, {"email_key": "ana@x.com", "brand_key": "my brand"})
    assert response.status_code == 200
    assert {row.email for row in response.context["cl"].result_list} == {"Ana@x.com"}
