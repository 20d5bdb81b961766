"""An import's chunk written set-based: `crm.services.write_leads_in_bulk`."""

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from phonenumber_field.phonenumber import PhoneNumber

from crm import services
from crm.models import Lead

from .factories import LeadFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_new_and_changed_leads_are_written_with_their_history_by_the_importer():
    importer, owner = UserFactory(), UserFactory()
    kept = LeadFactory(email="kept@example.com", brand_name="Kept", sector="food")
    changed = LeadFactory(email="old@example.com", brand_name="Old", sector="food")
    changed.sector, changed.assigned_to = "tech", owner
    changed.phone = PhoneNumber.from_string("052-345-6789", region="IL")
    new = [Lead(email=f"n{index}@example.com", brand_name=f"N {index}") for index in range(3)]

    services.write_leads_in_bulk(
        new, [changed], ["sector", "assigned_to", "phone"], user=importer, reason="imported"
    )

    changed.refresh_from_db()
    assert (changed.sector, changed.assigned_to, str(changed.phone)) == ("tech", owner, "+972523456789")
    assert Lead.objects.get(email="n1@example.com").brand_key == "n 1"
    assert kept.history.count() == 1  # its creation only
    imported = Lead.history.filter(history_change_reason="imported")
    assert sorted(imported.values_list("history_type", flat=True)) == ["+", "+", "+", "~"]
    assert {entry.history_user for entry in imported} == {importer}
    update = imported.get(history_type="~")
    assert (update.sector, update.assigned_to_id, update.updated_at) == ("tech", owner.pk, changed.updated_at)


def test_a_chunk_is_a_handful_of_statements_whatever_its_rows():
    leads = LeadFactory.create_batch(20)
    for lead in leads:
        lead.sector = f"sector {lead.pk}"
    new = [Lead(email=f"n{index}@example.com", brand_name=f"N {index}") for index in range(20)]

    with CaptureQueriesContext(connection) as queries:
        services.write_leads_in_bulk(new, leads, ["sector"], user=None, reason="imported")

    # The new leads: one INSERT, or on PostgreSQL their ids drawn in one SELECT and a COPY (which
    # goes around Django's cursor); one UPDATE (executed for each row on SQLite); two history INSERTs.
    statements = [next(word for word in query["sql"].split() if word.isupper()) for query in queries]
    first = "SELECT" if connection.vendor == "postgresql" else "INSERT"
    assert statements == [first, "UPDATE", "INSERT", "INSERT"]
    assert Lead.objects.filter(email__in=[lead.email for lead in new]).count() == 20
    assert sorted(set(Lead.objects.values_list("sector", flat=True))) == sorted(
        {f"sector {lead.pk}" for lead in leads} | {""}
    )


def test_each_changed_lead_takes_its_own_values_empty_or_not_in_any_order():
    owner = UserFactory()
    leads = LeadFactory.create_batch(4, sector="food")
    values = [(None, "", ""), (owner, "+972523456789", "tech"), (None, "+33612345678", ""), (owner, "", "x")]
    for lead, (assigned_to, phone, sector) in zip(leads, values, strict=True):
        lead.assigned_to, lead.sector = assigned_to, sector
        lead.phone = PhoneNumber.from_string(phone) if phone else ""

    services.write_leads_in_bulk([], leads, ["assigned_to", "phone", "sector"], user=None, reason="imported")

    written = {lead.pk: lead for lead in Lead.objects.filter(pk__in=[lead.pk for lead in leads])}
    assert [
        (written[lead.pk].assigned_to, str(written[lead.pk].phone or ""), written[lead.pk].sector)
        for lead in leads
    ] == values


def test_new_leads_get_their_ids_and_a_lead_saved_after_them_a_fresh_one():
    new = [Lead(email=f"n{index}@example.com", brand_name=f"N {index}") for index in range(3)]

    services.write_leads_in_bulk(new, [], [], user=None, reason="imported")

    assert all(lead.pk and not lead._state.adding for lead in new)
    assert [Lead.objects.get(pk=lead.pk).email for lead in new] == [lead.email for lead in new]
    assert LeadFactory().pk not in {lead.pk for lead in new}


def test_a_new_lead_given_its_id_keeps_it():
    given = Lead(pk=987_654, email="given@example.com", brand_name="Given")
    other = Lead(email="n@example.com", brand_name="N")

    services.write_leads_in_bulk([given, other], [], [], user=None, reason="imported")

    assert Lead.objects.get(pk=987_654).email == "given@example.com"
    assert Lead.objects.get(email="n@example.com").pk != 987_654


def test_a_new_lead_of_an_existing_person_and_brand_is_refused_by_the_database_and_nothing_written():
    LeadFactory(email="taken@example.com", brand_name="Taken")
    new = [
        Lead(email="other@example.com", brand_name="Other"),
        Lead(email="TAKEN@example.com", brand_name="taken"),
    ]

    with pytest.raises(IntegrityError), transaction.atomic():
        services.write_leads_in_bulk(new, [], [], user=None, reason="imported")

    assert not Lead.objects.filter(email="other@example.com").exists()


def test_the_email_or_the_brand_cannot_be_written_in_bulk():
    lead = LeadFactory()
    lead.email = "other@example.com"

    with pytest.raises(ValueError, match="keys"):
        services.write_leads_in_bulk([], [lead], ["email"], user=None, reason="imported")
