"""The CRM's search (`crm/search.py`): what people type finds the record, in the header's box and
in each list's own, on SQLite and PostgreSQL alike; nobody finds what they may not see."""

import pytest
from django.urls import reverse

from crm import search
from crm.models import Company, Contact, Lead, Opportunity
from crm.tests.factories import (
    CompanyFactory,
    ContactFactory,
    LeadFactory,
    OpportunityFactory,
    SalesPersonFactory,
)

PHONE = "+972534687204"

# --- Phones, as people type them -------------------------------------------------------------------

PHONE_FORMS = [
    "0534687204",
    "053-468-7204",
    "053 468 7204",
    "053.468.7204",
    "(053) 468-7204",
    "+972534687204",
    "+972 53-468-7204",
    "972534687204",
    "00972534687204",
    "4687",
    "468-7204",
    "0534",
]


@pytest.mark.parametrize("typed", PHONE_FORMS)
def test_every_form_of_a_phone_is_a_fragment_of_its_stored_e164(typed):
    assert any(fragment in PHONE for fragment in search.phone_fragments(typed, "IL"))


def test_a_national_number_means_the_default_regions_country():
    assert "+33612345678" in search.phone_fragments("06 12 34 56 78", "FR")
    assert "+972612345678" not in search.phone_fragments("06 12 34 56 78", "FR")


@pytest.mark.parametrize("typed", ["053", "12-3", "maison 0534", "lumiere", ""])
def test_fewer_than_four_digits_or_letters_are_not_a_phone(typed):
    assert search.phone_fragments(typed, "IL") == set()


# --- Text without case or accents -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("stored", "typed"),
    [
        ("Maison Lumière", "lumiere"),
        ("maison", "MAISON"),
        ("Crème Brûlée", "CREME brulee"),
        ("שָׁלוֹם", "שלום"),  # Hebrew points
        ("Ἀθῆναι", "αθηναι"),  # Greek accents and breathings
        ("ΟΔΟΣ", "οδος"),  # the final sigma
        ("Йогурт", "иогурт"),  # Cyrillic
        ("مُحَمَّد", "محمد"),  # Arabic vowel marks
        ("Ｍａｉｓｏｎ", "maison"),  # full width
    ],
)
def test_fold_compares_without_case_or_accents_in_every_script(stored, typed):
    assert search.fold(typed) in search.fold(stored)


def test_a_phone_typed_with_spaces_is_one_term_and_words_are_several():
    assert search.search_terms(" 053 468 7204 ") == ["053 468 7204"]
    assert search.search_terms('maison "grand cafe" 2024') == ["maison", "grand cafe", "2024"]


# --- The lists' own searches ---------------------------------------------------------------------------


def changelist_rows(client, model, query: str) -> set:
    response = client.get(reverse(f"admin:crm_{model._meta.model_name}_changelist"), {"q": query})
    assert response.status_code == 200
    return set(response.context["cl"].result_list)


@pytest.mark.django_db
@pytest.mark.parametrize("typed", PHONE_FORMS)
def test_the_prospects_list_finds_a_phone_in_every_form(client, signed_in_boss, typed):
    lead = LeadFactory(phone=PHONE)
    LeadFactory(phone="+33612345678")

    assert changelist_rows(client, Lead, typed) == {lead}


@pytest.mark.django_db
@pytest.mark.parametrize("typed", ["0534687204", "053-468-7204", "+972 53 468 7204", "4687"])
def test_the_contacts_list_finds_a_phone_in_every_form(client, signed_in_boss, typed):
    contact = ContactFactory(phone=PHONE)
    ContactFactory(phone="+33612345678")

    assert changelist_rows(client, Contact, typed) == {contact}


@pytest.mark.django_db
def test_bare_digits_also_find_a_brand_and_a_number_written_as_a_phone_only_phones(client, signed_in_boss):
    brand = LeadFactory(brand_name="Maison 2024", phone="+33612345678")
    phone = LeadFactory(brand_name="Other", phone="+972534682024")

    assert changelist_rows(client, Lead, "2024") == {brand, phone}
    assert changelist_rows(client, Lead, "20-24") == {phone}


@pytest.mark.django_db
def test_the_lists_find_text_without_case_or_accents(client, signed_in_boss):
    lead = LeadFactory(brand_name="Maison Lumière")
    LeadFactory(brand_name="Other brand")
    company = CompanyFactory(name="Crème Lumière")
    contact = ContactFactory(first_name="José", last_name="Álvarez", company=company)
    deal = OpportunityFactory(name="Été", company=company, contact=contact)

    assert changelist_rows(client, Lead, "lumiere") == {lead}
    assert changelist_rows(client, Lead, "MAISON lumiere") == {lead}
    assert changelist_rows(client, Company, "CREME") == {company}
    assert changelist_rows(client, Contact, "jose") == {contact}
    assert changelist_rows(client, Contact, "ALVAREZ") == {contact}
    assert changelist_rows(client, Opportunity, "ete") == {deal}
    assert changelist_rows(client, Opportunity, "lumiere") == {deal}  # its company's name


@pytest.mark.django_db
def test_the_lists_find_an_email_by_any_fragment(client, signed_in_boss):
    lead = LeadFactory(email="noa.cohen@walla.co.il")
    contact = ContactFactory(email="Noa.Cohen@Walla.co.il")
    deal = OpportunityFactory(contact=contact, company=contact.company)
    LeadFactory(email="someone@example.com")

    for fragment in ["noa.cohen@walla.co.il", "COHEN@", "walla", "a.co"]:
        assert changelist_rows(client, Lead, fragment) == {lead}
        assert changelist_rows(client, Contact, fragment) == {contact}
        assert changelist_rows(client, Opportunity, fragment) == {deal}


# --- The header's search ---------------------------------------------------------------------------


def header_search(client, query: str):
    response = client.get(reverse("admin:crm_search"), {"q": query})
    assert response.status_code == 200
    return response


def found(response) -> dict[str, list[str]]:
    """{model name: the titles shown}, for groups with matches."""
    return {
        group["model_name"]: [str(title) for _url, title, _details in group["rows"]]
        for group in response.context["groups"]
        if group["count"]
    }


@pytest.mark.django_db
def test_the_header_box_is_on_every_admin_page_for_staff(client, signed_in_seller):
    page = client.get(reverse("admin:index")).content.decode()

    assert f'action="{reverse("admin:crm_search")}"' in page
    assert 'name="q"' in page


@pytest.mark.django_db
def test_the_header_box_is_not_on_the_login_page(client):
    assert reverse("admin:crm_search") not in client.get(reverse("admin:login")).content.decode()


@pytest.mark.django_db
def test_the_header_search_needs_a_signed_in_staff_user(client):
    response = client.get(reverse("admin:crm_search"), {"q": "lumiere"})

    assert response.status_code == 302
    assert reverse("admin:login") in response["Location"]


@pytest.mark.django_db
def test_the_header_search_groups_every_kind_of_record(client, signed_in_boss):
    company = CompanyFactory(name="Maison Lumière")
    contact = ContactFactory(first_name="Léa", last_name="Lumière", phone=PHONE, company=company)
    OpportunityFactory(name="Lumière deal", company=company, contact=contact)
    LeadFactory(brand_name="Lumière Café", phone=PHONE)
    LeadFactory(brand_name="Something else", phone="+33612345678")

    groups = found(header_search(client, "LUMIERE"))

    assert set(groups) == {"lead", "contact", "company", "opportunity"}
    assert "Lumière Café" in groups["lead"][0]
    assert set(found(header_search(client, "053-468-7204"))) == {"lead", "contact"}


@pytest.mark.django_db
def test_each_group_is_limited_counted_and_links_to_its_list(client, signed_in_boss):
    LeadFactory.create_batch(search.GROUP_SIZE + 2, brand_name="Étoile")

    response = header_search(client, "etoile")
    [group] = [group for group in response.context["groups"] if group["count"]]

    assert len(group["rows"]) == search.GROUP_SIZE
    assert group["count"] == search.GROUP_SIZE + 2
    assert group["list_url"] == reverse("admin:crm_lead_changelist") + "?q=etoile"
    assert len(changelist_rows(client, Lead, "etoile")) == search.GROUP_SIZE + 2
    assert f"({search.GROUP_SIZE + 2})" in response.content.decode()


@pytest.mark.django_db
def test_a_count_past_the_limit_says_so(client, signed_in_boss, monkeypatch):
    monkeypatch.setattr(search, "COUNT_LIMIT", 6)
    LeadFactory.create_batch(8, brand_name="Soleil")

    [group] = search.search_everything(signed_in_boss, "soleil", [Lead])

    assert (group.count, group.more) == (6, True)
    assert "(6+)" in header_search(client, "soleil").content.decode()


@pytest.mark.django_db
def test_a_one_character_query_finds_nothing_and_says_why(client, signed_in_boss):
    LeadFactory(brand_name="A")

    response = header_search(client, "a")

    assert found(response) == {}
    assert response.context["too_short"]


@pytest.mark.django_db
def test_a_user_without_a_models_view_permission_gets_no_group_of_it(client):
    user = SalesPersonFactory(username="no-deals")
    user.groups.clear()
    user.user_permissions.set([])
    client.force_login(user)
    LeadFactory(brand_name="Lumière")

    assert header_search(client, "lumiere").context["groups"] == []


# --- Visibility: a sales person never finds another's records ----------------------------------------


@pytest.fixture
def two_sellers(db):
    seller = SalesPersonFactory(username="seller")
    other = SalesPersonFactory(username="other")
    records = {}
    for owner in (seller, other):
        tag = owner.username
        company = CompanyFactory(name=f"Lumière {tag}", owner=owner)
        contact = ContactFactory(
            first_name="Léa",
            last_name=tag,
            email=f"lea@{tag}.example",
            phone=PHONE,
            company=company,
            owner=owner,
        )
        records[tag] = {
            Lead: LeadFactory(brand_name=f"Lumière {tag}", phone=PHONE, assigned_to=owner),
            Contact: contact,
            Company: company,
            Opportunity: OpportunityFactory(
                name=f"Lumière {tag}", company=company, contact=contact, owner=owner
            ),
        }
    return seller, records


QUERIES = ["lumiere", "0534687204", "053-468-7204", "lea@", "LEA"]


@pytest.mark.parametrize("query", QUERIES)
def test_a_sales_persons_header_search_never_shows_anothers_records(client, two_sellers, query):
    seller, records = two_sellers
    client.force_login(seller)

    page = header_search(client, query).content.decode()
    shown = {row for group in search.search_everything(seller, query) for row in group.rows}

    assert not shown & set(records["other"].values())
    assert "other" not in page
    for model, record in records["seller"].items():
        if record in model._default_manager.filter(search.matching(model, query)):
            assert record in shown


@pytest.mark.parametrize("query", QUERIES)
@pytest.mark.parametrize("model", [Lead, Contact, Company, Opportunity])
def test_a_sales_persons_list_search_never_shows_anothers_records(client, two_sellers, query, model):
    seller, records = two_sellers
    client.force_login(seller)

    assert records["other"][model] not in changelist_rows(client, model, query)


# --- The folded text: stored, kept by every write ----------------------------------------------------


@pytest.mark.django_db
def test_the_folded_text_follows_every_write_of_its_fields():
    """A generated column: a form's save, a queryset's `update()`, a `bulk_create` alike."""
    saved = LeadFactory(brand_name="Maison", first_name="Léa")
    [bulk] = Lead.objects.bulk_create(
        [Lead(email="bulk@example.com", brand_name="Crème", email_key="b", brand_key="c")]
    )
    Lead.objects.filter(pk=saved.pk).update(brand_name="Forêt")
    contact = ContactFactory(first_name="José")
    Contact.objects.filter(pk=contact.pk).update(last_name="Müller")

    assert set(Lead.objects.filter(search.matching(Lead, "foret"))) == {saved}
    assert set(Lead.objects.filter(search.matching(Lead, "LEA"))) == {saved}
    assert set(Lead.objects.filter(search.matching(Lead, "creme"))) == {bulk}
    assert not Lead.objects.filter(search.matching(Lead, "maison")).exists()
    assert set(Contact.objects.filter(search.matching(Contact, "muller"))) == {contact}


@pytest.mark.django_db
def test_a_phrase_never_spans_two_fields():
    """The folded fields are stored one after the other; a match is still within one of them."""
    LeadFactory(brand_name="Maison", first_name="Léa", last_name="Cohen")

    for phrase in ['"maison lea"', '"maison\nlea"', '"lea\ncohen"']:
        assert not Lead.objects.filter(search.matching(Lead, phrase)).exists()
    assert Lead.objects.filter(search.matching(Lead, '"lea"')).exists()


@pytest.mark.django_db
def test_the_header_shows_the_newest_matches_past_the_count_limit(signed_in_boss, monkeypatch):
    """Past `COUNT_LIMIT` the first rows are still the newest of all the matches."""
    monkeypatch.setattr(search, "COUNT_LIMIT", 6)
    LeadFactory.create_batch(8, brand_name="Soleil")
    newest = list(Lead.objects.order_by("-created_at", "-id")[: search.GROUP_SIZE])

    [group] = search.search_everything(signed_in_boss, "soleil", [Lead])

    assert group.rows == newest


@pytest.mark.django_db
@pytest.mark.parametrize("related_ids", [1, 200], ids=["past the bound: a subquery", "within it: constants"])
def test_the_header_finds_a_deal_by_its_companys_name_however_many_companies_hold_it(
    signed_in_boss, monkeypatch, related_ids
):
    """The header reads a related record's matches first (`RELATED_IDS`): a list of constants when
    they are few, a subquery past it; the deals found are the list search's either way."""
    monkeypatch.setattr(search, "RELATED_IDS", related_ids)
    deals = {
        OpportunityFactory(name=f"Deal {n}", company=CompanyFactory(name=f"Lumière {n}")) for n in range(3)
    }
    OpportunityFactory(name="Other", company=CompanyFactory(name="Soleil"))

    [group] = search.search_everything(signed_in_boss, "lumiere", [Opportunity])

    assert (
        set(group.rows) == deals == set(Opportunity.objects.filter(search.matching(Opportunity, "lumiere")))
    )
    assert group.count == 3
