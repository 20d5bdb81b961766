"""Saved mappings in the import's flow (crm/admin/imports.py): saved under a name as the import is
confirmed, offered at the next upload and on the preview, where they fill the columns' choices
(columns they do not know matched by their headers); who may save one."""

import pytest
from django.contrib.auth.models import Permission

from crm.models import ImportMapping, Lead

from .factories import SalesPersonFactory
from .test_imports import IMPORT_URL, confirm, csv_file, mapping_of, page_of, preview

pytestmark = pytest.mark.django_db

TOOL_HEADER = ["Courriel", "Enseigne", "Remarques", "Fax"]


def test_a_mapping_saved_at_the_confirmation_fills_the_next_files_columns(client, signed_in_boss):
    first = preview(client, csv_file([["ana@example.com", "Maison", "Call", "123"]], TOOL_HEADER))

    response = confirm(client, first, column_1="brand_name", column_2="", save_as="Notre outil")

    assert "La correspondance « Notre outil » a été enregistrée." in page_of(response)
    saved = ImportMapping.objects.get()
    assert (saved.name, saved.created_by) == ("Notre outil", signed_in_boss)
    assert saved.columns == {"courriel": "email", "enseigne": "brand_name", "remarques": "", "fax": ""}
    # The next file of that tool: its headers spelt otherwise, one column the mapping does not know.
    header = ["COURRIEL", "enseigne", "Remarques", "Phone"]
    upload = csv_file([["dov@example.com", "Dov", "Later", "+972502345678"]], header)

    response = client.post(IMPORT_URL, {"import_file": upload, "saved_mapping": saved.pk}, follow=True)

    assert mapping_of(response) == {
        "column_0": "email",
        "column_1": "brand_name",
        "column_2": "",  # ignored, as saved
        "column_3": "phone",  # unknown to the mapping: matched by its header
    }
    confirm(client, response)
    lead = Lead.objects.get(email="dov@example.com")
    assert (lead.brand_name, lead.notes, str(lead.phone)) == ("Dov", "", "+972502345678")


def test_the_preview_offers_the_saved_mappings_and_one_chosen_there_fills_the_columns(client, signed_in_boss):
    ImportMapping.objects.create(name="Zoho", columns={"enseigne": "brand_name", "courriel": "email"})
    response = preview(client, csv_file([["ana@example.com", "Maison", "Call", "1"]], TOOL_HEADER))
    assert mapping_of(response)["column_1"] == ""
    assert 'name="mapping"' in page_of(response) and ">Zoho</option>" in page_of(response)

    url = response.redirect_chain[-1][0]
    chosen = client.get(url, {"mapping": ImportMapping.objects.get().pk})

    assert {name: chosen.context["mapping_form"][name].value() for name in ["column_0", "column_1"]} == {
        "column_0": "email",
        "column_1": "brand_name",
    }
    # A choice that is no mapping is no error: the headers are matched as usual.
    assert client.get(url, {"mapping": "nope"}).status_code == 200


def test_a_field_the_saved_mapping_gives_wins_over_a_column_matched_by_its_header(client, signed_in_boss):
    ImportMapping.objects.create(name="Notes", columns={"remarques": "notes", "fax": "brand_name"})
    header = ["email", "Remarques", "brand_name", "Fax"]  # "brand_name" would be matched by its header
    response = preview(client, csv_file([["ana@example.com", "Hi", "Maison", "Fax Co"]], header))
    url = response.redirect_chain[-1][0]

    chosen = client.get(url, {"mapping": ImportMapping.objects.get().pk})

    form = chosen.context["mapping_form"]
    assert [form[f"column_{index}"].value() for index in range(4)] == ["email", "notes", "", "brand_name"]


def test_saving_under_an_existing_name_replaces_that_mapping(client, signed_in_boss):
    ImportMapping.objects.create(name="Outil", columns={"old": "notes"})
    response = preview(client, csv_file([["ana@example.com", "Maison", "Call", "1"]], TOOL_HEADER))

    confirm(client, response, column_1="brand_name", save_as="Outil")

    assert ImportMapping.objects.get().columns == {
        "courriel": "email",
        "enseigne": "brand_name",
        "remarques": "notes",
        "fax": "",
    }


def importing_sales_person(client, *permissions: str):
    sales = SalesPersonFactory(username="sara")
    sales.user_permissions.add(*Permission.objects.filter(codename__in=["add_lead", *permissions]))
    client.force_login(sales)
    return sales


def test_a_sales_person_uses_saved_mappings_but_is_not_offered_to_save_one(client):
    importing_sales_person(client)
    saved = ImportMapping.objects.create(name="Zoho", columns={"enseigne": "brand_name"})
    upload = csv_file([["ana@example.com", "Maison", "Call", "1"]], TOOL_HEADER)

    response = client.post(IMPORT_URL, {"import_file": upload, "saved_mapping": saved.pk}, follow=True)

    assert mapping_of(response)["column_1"] == "brand_name"
    assert 'name="save_as"' not in page_of(response)
    confirm(client, response, save_as="Mine")  # a name posted anyway is not saved
    assert list(ImportMapping.objects.values_list("name", flat=True)) == ["Zoho"]
    assert Lead.objects.count() == 1


def test_who_may_add_a_mapping_may_not_replace_one_and_the_file_waits_for_another_name(client):
    importing_sales_person(client, "add_importmapping")
    ImportMapping.objects.create(name="Zoho", columns={"enseigne": "brand_name"})
    response = preview(client, csv_file([["ana@example.com", "Maison", "Call", "1"]], TOOL_HEADER))
    assert 'name="save_as"' in page_of(response)

    refused = confirm(client, response, column_1="brand_name", save_as="Zoho")

    assert "Vous ne pouvez pas remplacer cette correspondance : choisissez un autre nom." in page_of(refused)
    assert Lead.objects.count() == 0 and ImportMapping.objects.get().columns == {"enseigne": "brand_name"}
    confirm(client, response, column_1="brand_name", save_as="Mon Zoho")
    assert Lead.objects.count() == 1
    assert ImportMapping.objects.get(name="Mon Zoho").columns["enseigne"] == "brand_name"


def test_the_upload_offers_no_saved_mapping_when_there_is_none(client, signed_in_boss):
    assert 'name="saved_mapping"' not in page_of(client.get(IMPORT_URL))
    ImportMapping.objects.create(name="Zoho", columns={})
    assert 'name="saved_mapping"' in page_of(client.get(IMPORT_URL))
