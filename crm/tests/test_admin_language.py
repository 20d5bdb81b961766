"""One language on every admin page: one date format per language, titles without Django's
boilerplate, sectors by their label, people by their name, the internal apps out of a sales person's
sight and grouped apart for an administrator."""

import datetime
import re

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.utils import timezone, translation
from django.utils.translation import gettext

from crm.dashboard import clear_figures_cache
from crm.models import ActivityKind, Company, Lead, Opportunity
from crm.preferences import save_preferences

from .factories import (
    ActivityFactory,
    CompanyFactory,
    ContactFactory,
    LeadFactory,
    OpportunityFactory,
    SalesPersonFactory,
)

pytestmark = pytest.mark.django_db

LANGUAGES = ["fr", "en", "he"]
MOMENT = datetime.datetime(2026, 12, 2, 15, 20, tzinfo=datetime.UTC)  # 17:20 in Jerusalem
# Every CRM list, its title in each language (the plural the model is called by).
CRM_LISTS = {
    "crm/lead": {"fr": "Prospects", "en": "Prospects", "he": "לידים"},
    "crm/activity": {"fr": "Activités", "en": "Activities", "he": "פעילויות"},
    "crm/company": {"fr": "Entreprises", "en": "Companies", "he": "חברות"},
    "crm/contact": {"fr": "Contacts", "en": "Contacts", "he": "אנשי קשר"},
    "crm/opportunity": {"fr": "Opportunités", "en": "Opportunities", "he": "הזדמנויות"},
    "crm/opportunitystage": None,
    "crm/disqualificationreason": None,
    "crm/salesprofile": None,
    "crm/leadsyncfailure": None,
    "mini_analysis/minianalysis": None,
}
NEW_RECORD_TITLES = {
    "crm/lead": {"fr": "Nouveau prospect", "en": "New prospect", "he": "ליד חדש"},
    "crm/activity": {"fr": "Nouvelle activité", "en": "New activity", "he": "פעילות חדשה"},
    "crm/contact": {"fr": "Nouveau contact", "en": "New contact", "he": "איש קשר חדש"},
}


def speaking(language: str) -> dict:
    return {"HTTP_ACCEPT_LANGUAGE": language}


def boilerplate(language: str) -> list[str]:
    """Django's generic titles in `language`, without their model name."""
    with translation.override(language):
        return [
            gettext(pattern).split("%s")[index].strip()
            for pattern in ("Select %s to change", "Select %s to view", "Add %s")
            for index in (0, 1)
            if gettext(pattern).split("%s")[index].strip()
        ]


def title_of(html: str) -> str:
    return re.search(r"<h1>(.*?)</h1>", html, re.S).group(1).strip()


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_crm_list_and_new_record_page_is_titled_without_django_boilerplate(
    client, signed_in_boss, language
):
    for model, titles in CRM_LISTS.items():
        html = client.get(f"/admin/{model}/", **speaking(language)).content.decode()
        title = title_of(html)
        assert not any(word in title for word in boilerplate(language)), (model, title)
        if titles:
            assert title == titles[language]
        response = client.get(f"/admin/{model}/add/", **speaking(language))
        if response.status_code == 403:
            continue  # no form to create one (a request comes from the public form)
        title = title_of(response.content.decode())
        assert not any(word in title for word in boilerplate(language)), (model, title)
        if model in NEW_RECORD_TITLES:
            assert title == NEW_RECORD_TITLES[model][language]


def test_the_inline_adds_a_row_in_plain_french(client, signed_in_boss):
    html = client.get("/admin/crm/contact/add/", **speaking("fr")).content.decode()

    # The inline's script reads its "add" text from a JSON attribute (accents escaped).
    assert "addText&quot;: &quot;Ajouter : Activit\\u00e9&quot;" in html
    assert "Ajouter un objet" not in html


@pytest.mark.parametrize(
    ("language", "shown"),
    [("fr", "02/12/2026 17:20"), ("en", "02/12/2026 17:20"), ("he", "02/12/2026 17:20")],
)
def test_one_date_format_per_language_in_lists_record_pages_and_the_dashboard(
    client, signed_in_boss, language, shown
):
    lead = LeadFactory()
    Lead.objects.filter(pk=lead.pk).update(created_at=MOMENT, next_action_at=MOMENT)
    ActivityFactory(lead=lead, kind=ActivityKind.TASK, done_at=None, due_at=MOMENT, owner=signed_in_boss)
    clear_figures_cache()

    listed = client.get("/admin/crm/lead/", **speaking(language)).content.decode()
    record = client.get(f"/admin/crm/lead/{lead.pk}/change/", **speaking(language)).content.decode()
    tasks = client.get("/admin/crm/activity/", **speaking(language)).content.decode()
    home = client.get("/admin/", **speaking(language)).content.decode()

    assert shown in listed and shown in record and shown in tasks
    for html in (listed, record, tasks):
        assert "p.m." not in html and "2026-12-02 17:20" not in html and "déc." not in html
    since = timezone.localdate() - datetime.timedelta(weeks=11, days=timezone.localdate().weekday())
    assert since.strftime("%d/%m/%Y") in home


def test_a_company_list_shows_the_sector_label_not_its_code(client, signed_in_boss):
    CompanyFactory(sector="food")
    CompanyFactory(sector="Boulangerie artisanale")  # a legacy free-text sector, shown as typed

    html = client.get("/admin/crm/company/", **speaking("en")).content.decode()

    assert "Restaurants / Food" in html and "Boulangerie artisanale" in html
    assert '<td class="field-sector_name">food</td>' not in html
    assert Company.objects.filter(sector="food").exists()  # the code is what is stored


def app_list(client: Client) -> list[dict]:
    return client.get("/admin/").context["app_list"]


def test_a_sales_person_never_sees_the_internal_apps(client, signed_in_seller):
    # Even allowed to read them, a sales person does not find them among their pages.
    signed_in_seller.user_permissions.add(
        *Permission.objects.filter(
            codename__in=["view_accessattempt", "view_leadsyncfailure", "view_dbtaskresult"]
        )
    )

    apps = app_list(client)

    labels = {app["app_label"] for app in apps}
    models = {model["object_name"] for app in apps for model in app["models"]}
    assert labels.isdisjoint({"auth", "axes", "django_tasks_database", "administration"})
    assert "LeadSyncFailure" not in models and "AccessAttempt" not in models
    assert "Lead" in models


def test_an_administrator_finds_the_internal_apps_grouped_last(client, signed_in_boss):
    apps = app_list(client)

    assert [app["app_label"] for app in apps][:2] == ["crm", "mini_analysis"]
    administration = apps[-1]
    assert administration["app_label"] == "administration"
    assert {"User", "Group", "AccessAttempt", "DBTaskResult", "LeadSyncFailure"} <= {
        model["object_name"] for model in administration["models"]
    }
    crm_models = {model["object_name"] for model in apps[0]["models"]}
    assert "LeadSyncFailure" not in crm_models


def test_the_administration_group_has_its_own_page_for_an_administrator_only(client, boss, seller):
    client.force_login(boss)
    page = client.get("/admin/administration/", **speaking("en"))
    assert page.status_code == 200
    assert "<h1>Administration</h1>" in page.content.decode()
    assert 'href="/admin/axes/accessattempt/"' in page.content.decode()

    client.force_login(seller)
    assert client.get("/admin/administration/").status_code == 403


def test_an_apps_own_page_still_lists_it_whole(client, signed_in_boss):
    response = client.get("/admin/axes/")

    assert response.status_code == 200


@pytest.fixture
def yael():
    return SalesPersonFactory(username="sales", first_name="Yael", last_name="Cohen")


def test_a_person_is_named_by_their_full_name_everywhere(client, signed_in_boss, yael):
    lead = LeadFactory(assigned_to=yael)
    contact = ContactFactory(owner=yael, first_name="Dana", last_name="Levi")
    opportunity = OpportunityFactory(owner=yael, contact=contact, company=contact.company)
    ActivityFactory(contact=contact, owner=yael, subject="Call back")
    ActivityFactory(lead=lead, owner=yael, kind=ActivityKind.TASK, done_at=None, due_at=MOMENT)
    clear_figures_cache()
    pages = {
        "prospects": "/admin/crm/lead/",
        "prospects' filter": "/admin/crm/lead/",
        "companies": "/admin/crm/company/",
        "contacts": "/admin/crm/contact/",
        "contact's timeline": f"/admin/crm/contact/{contact.pk}/change/",
        "opportunities": "/admin/crm/opportunity/",
        "activities": "/admin/crm/activity/",
        "board": "/admin/crm/opportunity/board/",
        "dashboard": "/admin/",
        "prospect's owner select": f"/admin/crm/lead/{lead.pk}/change/",
        "history": f"/admin/crm/opportunity/{opportunity.pk}/history/",
        "sales profiles": "/admin/crm/salesprofile/",
    }
    Company.objects.update(owner=yael)
    save_preferences(yael, language="fr")  # her sales profile
    changed = Opportunity.objects.get(pk=opportunity.pk)
    changed._history_user = yael  # a change she made
    changed.save()

    for page, url in pages.items():
        html = client.get(url).content.decode()
        assert "Yael Cohen" in html, page
        assert ">sales<" not in html, page

    contacts = client.get("/admin/crm/contact/").content.decode()
    # The name in its column, the email in its own.
    assert '<th class="field-name"><a href="/admin/crm/contact/' in contacts
    assert '<span dir="auto">Dana Levi</span></a></th>' in contacts


def test_an_account_nobody_named_is_shown_by_its_user_name(client, signed_in_boss):
    LeadFactory(assigned_to=SalesPersonFactory(username="noname"))

    assert "noname" in client.get("/admin/crm/lead/").content.decode()


def test_a_record_page_offers_the_sector_by_its_label_and_keeps_a_legacy_one(client, signed_in_boss):
    food = LeadFactory(sector="food")
    legacy = CompanyFactory(sector="Boulangerie artisanale")

    lead_page = client.get(f"/admin/crm/lead/{food.pk}/change/", **speaking("en")).content.decode()
    company_page = client.get(f"/admin/crm/company/{legacy.pk}/change/", **speaking("en")).content.decode()

    assert '<option value="food" selected>Restaurants / Food</option>' in lead_page
    assert '<option value="Boulangerie artisanale" selected>Boulangerie artisanale</option>' in company_page
