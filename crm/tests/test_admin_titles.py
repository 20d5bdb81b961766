"""Every CRM admin page is titled in plain words, in French, English and Hebrew: a list by what it
lists, a new record's page and the list's add button by what they create, a record's page by the
record; never Django's stock phrasing ("Select prospect to change", "Add prospect", "Change
prospect": in French "Sélectionnez l'objet prospect à changer", "Ajouter prospect", "Modification
de prospect"), nor "Ajouter un objet Activité supplémentaire" under an inline.

The stock phrases are read from Django's own catalogue, so a project translation that happened to
say the same is caught too. Every admin registered for the CRM and the requests is visited.
"""

import gettext as gettext_module
import html
import json
import re
from pathlib import Path

import django.contrib.admin
import pytest
from django.contrib import admin
from django.urls import reverse
from django.utils import translation

from crm.models import EmailOptOut, ImportMapping, LeadSyncFailure, SalesProfile
from mini_analysis.tests.factories import MiniAnalysisFactory

from .factories import ActivityFactory, ContactFactory, LeadFactory, OpportunityFactory, SalesPersonFactory

pytestmark = pytest.mark.django_db

ADMIN_CATALOGUES = Path(django.contrib.admin.__file__).parent / "locale"
STOCK_TITLES = ["Change %s", "View %s", "Add %s", "Select %s to change", "Select %s to view"]
# Where a page says what it is: the window's title, the headings, the buttons above a list or form.
TITLED_PARTS = re.compile(
    r"<title>.*?</title>|<h1[^>]*>.*?</h1>|<h2[^>]*>.*?</h2>|<ul class=\"object-tools\">.*?</ul>", re.S
)


def crm_admins() -> list[admin.ModelAdmin]:
    return [
        model_admin
        for model, model_admin in admin.site._registry.items()
        if model._meta.app_label in {"crm", "mini_analysis"}
    ]


def stock_phrases(language: str, model) -> list[str]:
    """Django's own wording of the generic titles for `model`, in `language` (its catalogue, not ours)."""
    catalogue = gettext_module.translation("django", ADMIN_CATALOGUES, languages=[language], fallback=True)
    with translation.override(language):
        name = str(model._meta.verbose_name)
    return [catalogue.gettext(pattern) % name for pattern in STOCK_TITLES] + [
        catalogue.gettext("Add %(name)s") % {"name": name}  # the list's button
    ]


def titled_text(page: str) -> str:
    """The titled parts of a page, as read: tags dropped, entities decoded, spaces collapsed."""
    text = " ".join(TITLED_PARTS.findall(page))
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", text)).split())


@pytest.fixture
def one_of_each():
    """A row of every CRM model with an admin page (the stages, reasons and templates are seeded)."""
    seller = SalesPersonFactory()
    lead = LeadFactory(assigned_to=seller)
    opportunity = OpportunityFactory(owner=seller)
    ActivityFactory(lead=lead, owner=seller)
    ContactFactory(owner=seller)
    SalesProfile.objects.get_or_create(user=seller)
    EmailOptOut.objects.create(email_key="gone@example.com")
    LeadSyncFailure.objects.create(mini_analysis=MiniAnalysisFactory(), error="no lead")
    ImportMapping.objects.create(name="HubSpot contacts", columns={"email": "email"})
    return opportunity


@pytest.mark.parametrize("language", ["fr", "en", "he"])
def test_every_crm_list_new_record_and_record_page_has_a_natural_title(
    client, signed_in_boss, one_of_each, language
):
    visited = []
    for model_admin in crm_admins():
        model = model_admin.model
        info = (model._meta.app_label, model._meta.model_name)
        record = model._default_manager.order_by("pk").first()
        assert record is not None, f"no {model.__name__} to open: add one to `one_of_each`"
        pages = {
            "list": reverse("admin:{}_{}_changelist".format(*info)),
            "new": reverse("admin:{}_{}_add".format(*info)),
            "record": reverse("admin:{}_{}_change".format(*info), args=[record.pk]),
        }
        for kind, url in pages.items():
            response = client.get(url, HTTP_ACCEPT_LANGUAGE=language)
            if response.status_code == 403:
                continue  # nobody creates one by hand (a request comes from the form)
            assert response.status_code == 200, (url, response.status_code)
            page = response.content.decode()
            titles = titled_text(page)
            stock = [phrase for phrase in stock_phrases(language, model) if phrase.lower() in titles.lower()]
            assert stock == [], (url, titles)
            if kind == "record" and model.__name__ != "Lead":  # the prospect's page: its brand
                heading = re.search(r"<h1[^>]*>(.*?)</h1>", page, re.S).group(1)
                heading_text = re.sub(r"<[^>]+>", "", heading)  # the record page isolates the name (<bdi>)
                # a person by their name (their address is on the page, beside it)
                name = getattr(record, "full_name", "") or str(record)
                assert html.unescape(heading_text.strip()) == name, url
            visited.append(url)
    assert len(visited) >= 3 * 10


def test_the_lists_add_button_says_what_it_creates(client, signed_in_boss):
    page = client.get("/admin/crm/lead/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()

    button = re.search(r'<a href="/admin/crm/lead/add/" class="addlink">(.*?)</a>', page, re.S).group(1)
    assert button.strip() == "Nouveau prospect"


@pytest.mark.parametrize("page", ["/admin/crm/contact/add/", "/admin/crm/opportunity/{}/change/"])
def test_an_inline_adds_a_row_without_djangos_french_boilerplate(client, signed_in_boss, one_of_each, page):
    response = client.get(page.format(one_of_each.pk), HTTP_ACCEPT_LANGUAGE="fr")
    # The inline's script reads its texts from a JSON attribute: read it as the script does.
    formsets = re.findall(r'data-inline-formset="([^"]+)"', response.content.decode())
    assert formsets
    catalogue = gettext_module.translation("django", ADMIN_CATALOGUES, languages=["fr"])
    for formset in formsets:
        add_text = json.loads(html.unescape(formset))["options"]["addText"]
        assert add_text != catalogue.gettext("Add another %(verbose_name)s") % {"verbose_name": "Activité"}
        assert add_text == "Ajouter : Activité"
