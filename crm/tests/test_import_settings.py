"""What managers keep for the import (crm/admin/import_settings.py, crm/services/imports.py): the
saved mappings and the lifecycle stages table, edited in the admin, their keys folded, their
rules in the database too."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from crm import services
from crm.imports import guess_mapping, import_table
from crm.models import DisqualificationReason, ImportMapping, Lead, LeadStage, LifecycleStageMapping
from crm.uploads import read_table

from .test_imports import page_of

pytestmark = pytest.mark.django_db


def imported_stage(label: str, user) -> str:
    table = read_table(f"email,brand_name,Lifecycle Stage\nana@example.com,Maison,{label}\n".encode())
    import_table(table, guess_mapping(table.headers), user)
    return Lead.objects.get(email="ana@example.com").stage


def test_a_lifecycle_label_edited_in_the_table_changes_the_next_imports_stage(client, signed_in_boss):
    assert imported_stage("Working", signed_in_boss) == LeadStage.ATTEMPTING
    row = LifecycleStageMapping.objects.get(key="working")

    response = client.post(
        reverse("admin:crm_lifecyclestagemapping_change", args=[row.pk]),
        {"label": "Working", "stage": LeadStage.CONNECTED, "disqualification_reason": ""},
    )

    assert response.status_code == 302
    Lead.objects.all().delete()
    assert imported_stage("Working", signed_in_boss) == LeadStage.CONNECTED


def test_a_label_added_in_the_table_is_found_whatever_its_case_accents_and_punctuation(
    client, signed_in_boss
):
    reason = DisqualificationReason.objects.get(name="Duplicate")
    client.post(
        reverse("admin:crm_lifecyclestagemapping_add"),
        {"label": "Doublon détecté", "stage": LeadStage.DISQUALIFIED, "disqualification_reason": reason.pk},
    )

    row = LifecycleStageMapping.objects.get(label="Doublon détecté")
    assert row.key == "doublon detecte"
    assert imported_stage("DOUBLON - DETECTE", signed_in_boss) == LeadStage.DISQUALIFIED
    assert Lead.objects.get().disqualification_reason == reason


def test_the_table_refuses_a_label_already_there_and_a_reason_without_disqualification(
    client, signed_in_boss
):
    add = reverse("admin:crm_lifecyclestagemapping_add")
    reason = DisqualificationReason.objects.get(name="Duplicate")

    twice = client.post(add, {"label": "WORKING!", "stage": LeadStage.NEW, "disqualification_reason": ""})
    reasoned = client.post(
        add, {"label": "Hot", "stage": LeadStage.NEW, "disqualification_reason": reason.pk}
    )
    blank = client.post(add, {"label": "--", "stage": LeadStage.NEW, "disqualification_reason": ""})

    assert "« Working » est déjà dans la table." in page_of(twice)
    assert "Un motif ne se donne qu’avec l’étape Disqualifié." in page_of(reasoned)
    assert "Un libellé doit contenir une lettre ou un chiffre." in page_of(blank)
    assert not LifecycleStageMapping.objects.filter(label__in=["WORKING!", "Hot", "--"]).exists()


def test_a_conversion_is_no_stage_of_the_table(client, signed_in_boss):
    response = client.post(
        reverse("admin:crm_lifecyclestagemapping_add"),
        {"label": "Won", "stage": LeadStage.CONVERTED, "disqualification_reason": ""},
    )

    assert response.status_code == 200 and not LifecycleStageMapping.objects.filter(label="Won").exists()
    with pytest.raises(IntegrityError), transaction.atomic():
        LifecycleStageMapping.objects.create(label="Won", key="won", stage=LeadStage.CONVERTED)


def test_a_manager_edits_a_saved_mapping_as_lines_of_column_and_field(client, signed_in_boss):
    mapping = ImportMapping.objects.create(name="Zoho", columns={"company": "brand_name"})
    url = reverse("admin:crm_importmapping_change", args=[mapping.pk])
    assert "company = brand_name" in page_of(client.get(url))

    response = client.post(
        url, {"name": "Zoho CRM", "column_lines": "Company = brand_name\nE-mail=email\nFax ="}
    )

    assert response.status_code == 302
    mapping.refresh_from_db()
    assert (mapping.name, mapping.columns) == (
        "Zoho CRM",
        {"company": "brand_name", "e mail": "email", "fax": ""},
    )
    refused = client.post(url, {"name": "Zoho", "column_lines": "Company = company\nFax"})
    assert "Ligne 1 : champ inconnu « company »." in page_of(refused)


def test_the_lists_and_their_pages_open_for_a_manager_and_are_read_only_for_sales_people(
    client, signed_in_boss, seller
):
    mapping = ImportMapping.objects.create(
        name="Zoho", columns={"company": "brand_name"}, created_by=signed_in_boss
    )
    row = LifecycleStageMapping.objects.get(key="lead")
    pages = [
        reverse("admin:crm_importmapping_changelist"),
        reverse("admin:crm_importmapping_change", args=[mapping.pk]),
        reverse("admin:crm_lifecyclestagemapping_changelist"),
        reverse("admin:crm_lifecyclestagemapping_change", args=[row.pk]),
    ]
    assert [client.get(url).status_code for url in pages] == [200] * 4
    assert "Zoho" in page_of(client.get(pages[0])) and "Working - Contacted" in page_of(client.get(pages[2]))

    client.force_login(seller)
    assert [client.get(url).status_code for url in pages] == [200] * 4
    assert client.post(pages[3], {"label": "Lead", "stage": LeadStage.QUALIFIED}).status_code == 403
    assert client.get(reverse("admin:crm_importmapping_add")).status_code == 403
    assert LifecycleStageMapping.objects.get(key="lead").stage == LeadStage.NEW


def test_a_saved_mapping_keeps_known_fields_only_and_its_name_is_never_blank(boss):
    with pytest.raises(ValidationError):
        services.save_import_mapping(ImportMapping(name="X", columns={"a": "nope"}), actor=boss)
    with pytest.raises(IntegrityError), transaction.atomic():
        ImportMapping.objects.create(name="", columns={})
    with pytest.raises(IntegrityError), transaction.atomic():
        LifecycleStageMapping.objects.create(label="?", key="", stage=LeadStage.NEW)

    saved = services.keep_import_mapping(
        name="Mine", headers=["Prénom", "PRENOM", "", "Fax"], fields=["first_name", "", "", ""], actor=boss
    )

    assert (saved.columns, saved.created_by) == ({"prenom": "first_name", "fax": ""}, boss)
