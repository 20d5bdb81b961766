"""Files exported by other CRMs import with their own headers (`crm.imports.fields`): names, owner,
lifecycle stage, creation date; and our own export of the demo data imports back unchanged."""

import io

import pytest
from django.core.management import call_command
from django.db import connection
from django.forms.models import model_to_dict
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from crm.exports import lead_csv_lines
from crm.imports import guess_mapping, import_table, plan_import
from crm.models import Lead, LeadStage, LifecycleStageMapping
from crm.uploads import read_table

from .factories import LeadFactory, UserFactory

pytestmark = pytest.mark.django_db


def csv_content(header: list[str], rows: list[list[str]], separator: str = ",") -> bytes:
    def quoted(cell: str) -> str:
        return f'"{cell}"' if separator in cell or '"' in cell else cell

    lines = [separator.join(quoted(cell) for cell in line) for line in [header, *rows]]
    return ("\r\n".join(lines) + "\r\n").encode()


def import_file(content: bytes, user):
    table = read_table(content)
    return import_table(table, guess_mapping(table.headers), user)


@pytest.fixture
def dana():
    return UserFactory(username="dana", first_name="Dana", last_name="Levi", email="dana@igv.example")


def test_a_hubspot_contacts_export_imports_names_phone_owner_lifecycle_stage_and_creation_date(boss, dana):
    header = [
        "Record ID", "First Name", "Last Name", "Email", "Phone Number", "Company Name",
        "Lifecycle Stage", "Contact owner", "Create Date", "Industry",
    ]  # fmt: skip
    rows = [
        ["101", "Yael", "Cohen", "yael@example.com", "+972 50-234-5678", "Shoko", "Lead", "Dana Levi",
         "2024-03-01 10:15", "Food"],
        ["102", "Marc", "Dupont", "marc@example.com", "", "Lumière", "Unqualified", "nobody@else.example",
         "2024-02-11 09:00", ""],
        ["103", "Ruth", "Ben David", "ruth@example.com", "", "Ruth & Co", "Sales Qualified Lead",
         "dana@igv.example", "", ""],
    ]  # fmt: skip

    plan = import_file(csv_content(header, rows), boss)

    assert plan.counts == {"new": 3, "updated": 0, "unchanged": 0, "refused": 0}
    assert plan.warnings == [(3, "Responsable inconnu « nobody@else.example » : laissé sans responsable.")]
    yael, marc, ruth = (Lead.objects.get(email=f"{name}@example.com") for name in ["yael", "marc", "ruth"])
    assert (yael.first_name, yael.last_name, str(yael.phone), yael.sector) == (
        "Yael",
        "Cohen",
        "+972502345678",
        "Food",
    )
    assert (yael.stage, yael.assigned_to, yael.brand_name) == (LeadStage.NEW, dana, "Shoko")
    assert timezone.localtime(yael.created_at).strftime("%Y-%m-%d %H:%M") == "2024-03-01 10:15"
    assert (marc.stage, marc.disqualification_reason.name, marc.assigned_to) == (
        LeadStage.DISQUALIFIED,
        "Not a fit",
        None,
    )
    assert (ruth.stage, ruth.assigned_to, ruth.last_name) == (LeadStage.QUALIFIED, dana, "Ben David")


def test_a_pipedrive_leads_export_separated_by_semicolons_splits_the_full_name(boss, dana):
    header = [
        "Lead - Title", "Lead - Owner", "Person - Name", "Person - Email", "Person - Phone",
        "Organization - Name", "Lead - Lead created",
    ]  # fmt: skip
    rows = [
        [
            "Shoko lead",
            "dana",
            "Marie de La Tour",
            "marie@example.com",
            "0502345678",
            "Shoko; Paris",
            "25/03/2024",
        ]
    ]

    plan = import_file(csv_content(header, rows, ";"), boss)

    assert plan.mapping == ["", "owner", "full_name", "email", "phone", "brand_name", "created_at"]
    marie = Lead.objects.get()
    assert (marie.first_name, marie.last_name, marie.brand_name) == ("Marie", "de La Tour", "Shoko; Paris")
    assert (marie.assigned_to, timezone.localtime(marie.created_at).date().isoformat()) == (
        dana,
        "2024-03-25",
    )


def test_a_salesforce_leads_report_maps_lead_status_and_company_account(boss, dana):
    header = [
        "First Name", "Last Name", "Title", "Company / Account", "Email", "Mobile", "Lead Status",
        "Lead Owner", "Create Date", "Industry", "Lead Source",
    ]  # fmt: skip
    rows = [
        ["Avi", "Mizrahi", "CEO", "Mizrahi Ltd", "avi@example.com", "972502345678", "Working - Contacted",
         "Dana Levi", "01/02/2024", "Retail", "Web"],
        ["Noa", "Peretz", "", "Peretz", "noa@example.com", "", "Closed - Not Converted", "", "", "", "Web"],
    ]  # fmt: skip

    plan = import_file(csv_content(header, rows), boss)

    assert plan.mapping[-1] == ""  # "Lead Source" ("Web") is not our source: left to the manager
    assert plan.counts["new"] == 2
    avi, noa = Lead.objects.get(email="avi@example.com"), Lead.objects.get(email="noa@example.com")
    assert (avi.stage, str(avi.phone), avi.brand_name, avi.assigned_to) == (
        LeadStage.ATTEMPTING,
        "+972502345678",
        "Mizrahi Ltd",
        dana,
    )
    assert (noa.stage, noa.disqualification_reason.name) == (LeadStage.DISQUALIFIED, "Not interested")


def test_a_zoho_leads_export_in_excels_unicode_text_is_imported(boss):
    header = [
        "First Name",
        "Last Name",
        "Email",
        "Phone",
        "Company",
        "Lead Status",
        "Created Time",
        "Description",
    ]
    rows = [["דנה", "לוי", "dana@example.com", "03-555-0100", "שוקולד", "Contacted", "2024-01-05", "להתקשר"]]
    content = b"\xff\xfe" + "\r\n".join("\t".join(row) for row in [header, *rows]).encode("utf-16-le")

    plan = import_file(content, boss)

    assert plan.counts["new"] == 1
    lead = Lead.objects.get()
    assert (lead.first_name, lead.brand_name, lead.stage, lead.notes) == (
        "דנה",
        "שוקולד",
        LeadStage.CONNECTED,
        "להתקשר",
    )


def test_a_file_of_our_own_export_of_the_demo_data_imports_back_with_nothing_changed(boss):
    call_command("seed_demo", "--force", stdout=io.StringIO())
    before = {lead.pk: (model_to_dict(lead), lead.updated_at, lead.created_at) for lead in Lead.objects.all()}
    history = Lead.history.count()
    exported = "".join(lead_csv_lines(Lead.objects.order_by("pk"))).encode()

    plan = import_file(exported, boss)

    assert plan.counts == {"new": 0, "updated": 0, "unchanged": len(before), "refused": 0}
    assert plan.warnings == []
    after = {lead.pk: (model_to_dict(lead), lead.updated_at, lead.created_at) for lead in Lead.objects.all()}
    assert after == before
    assert Lead.history.count() == history


def test_rows_of_one_person_and_brand_are_merged_in_file_order_with_a_warning(boss):
    LeadFactory(email="ana@example.com", brand_name="Maison", notes="")
    header = ["email", "brand_name", "sector", "notes"]
    rows = [
        ["ana@example.com", "Maison", "Food", "first"],
        ["bob@example.com", "Bob", "", ""],
        ["ANA@example.com ", "maison", "", "second"],
    ]

    plan = import_file(csv_content(header, rows), boss)

    assert plan.counts == {"new": 1, "updated": 1, "unchanged": 0, "refused": 0}
    assert plan.warnings == [(4, "Même personne et même marque que la ligne 2 : fusionnée avec elle.")]
    ana = Lead.objects.get(email="ana@example.com")
    assert (ana.sector, ana.notes) == ("Food", "second")  # an empty later cell keeps the earlier value


def test_a_stage_the_rules_forbid_refuses_the_row_with_the_rules_own_reason(boss):
    header = ["email", "brand_name", "stage"]
    rows = [["ana@example.com", "Maison", "CONVERTED"], ["bob@example.com", "Bob", "Nowhere"]]

    plan = import_file(csv_content(header, rows), boss)

    assert [(row.line, row.reasons) for row in plan.refused] == [
        (2, [("stage", "Utilisez la conversion pour marquer un prospect comme converti.")]),
        (3, [("stage", "Étape commerciale inconnue « Nowhere ».")]),
    ]


def test_the_lifecycle_table_is_read_once_per_import_whatever_the_number_of_rows(boss):
    header = ["email", "brand_name", "Lifecycle Stage"]
    labels = ["Lead", "Working - Contacted", "Contacted", "Customer", "Unqualified", "Lost"]

    def queries_of(count: int) -> list[str]:
        rows = [[f"p{index}@example.com", f"Brand {index}", labels[index % 6]] for index in range(count)]
        table = read_table(csv_content(header, rows))
        with CaptureQueriesContext(connection) as captured:
            plan = plan_import(table, guess_mapping(table.headers), boss)
        assert plan.counts["new"] == count
        return [query["sql"] for query in captured.captured_queries]

    one, sixty = queries_of(1), queries_of(60)

    assert len(sixty) == len(one)
    assert sum(LifecycleStageMapping._meta.db_table in sql for sql in sixty) == 1


def test_a_label_not_in_the_lifecycle_table_refuses_its_row_and_leaves_the_prospects_stage(boss):
    LeadFactory(email="ana@example.com", brand_name="Maison", stage=LeadStage.ATTEMPTING)
    LifecycleStageMapping.objects.filter(key="lost lead").delete()
    header = ["email", "brand_name", "Lead Status"]
    rows = [["ana@example.com", "Maison", "Lost Lead"], ["bob@example.com", "Bob", "Lost"]]

    plan = import_file(csv_content(header, rows), boss)

    assert [(row.line, row.reasons) for row in plan.refused] == [
        (2, [("Lead Status", "Étape commerciale inconnue « Lost Lead ».")])
    ]
    assert Lead.objects.get(email="ana@example.com").stage == LeadStage.ATTEMPTING
    bob = Lead.objects.get(email="bob@example.com")
    assert (bob.stage, bob.disqualification_reason.name) == (LeadStage.DISQUALIFIED, "Not interested")
