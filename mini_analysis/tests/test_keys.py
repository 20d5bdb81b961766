import json
import uuid

import pytest
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone

from mini_analysis.keys import KEY_MAX_LENGTH, identity_key, normalize_key
from mini_analysis.models import MiniAnalysis

from .factories import MiniAnalysisFactory


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ("  My Brand ", "my brand"),
        ("MY\tBRAND", "my brand"),
        ("My   Brand", "my brand"),
        ("ÉCOLE Café", "école café"),
        ("Ｍｙ Ｂｒａｎｄ", "my brand"),
        ("קפה השדרה ", "קפה השדרה"),
        ("", ""),
        (None, ""),
    ],
)
def test_normalize_key_ignores_case_width_and_surrounding_or_repeated_spaces(raw, key):
    assert normalize_key(raw) == key


def test_identity_key_pairs_the_normalized_email_and_brand():
    assert identity_key("Ana@X.com", "My Brand") == identity_key(" ana@x.com ", "my brand")


@pytest.mark.parametrize("character", ["ß", "ﷺ", "ﬃ"])
def test_a_text_that_folds_longer_than_its_column_gets_a_key_that_fits(character):
    """200 characters that NFKC and case folding lengthen (to 400, to 3 600, to 600)."""
    brand = character * 200
    key = normalize_key(brand)

    assert len(key) <= KEY_MAX_LENGTH
    assert key == normalize_key(f"  {brand.upper()} ")  # the same identity, as for any key
    assert key != normalize_key(character * 199 + "x")  # another identity, another key


@pytest.mark.django_db
def test_a_valid_200_character_brand_that_folds_longer_is_stored_with_its_lead(client):
    """On PostgreSQL the unbounded key overflowed `varchar(200)`: the visitor got a server error."""
    from crm.models import Lead

    from .factories import VALID_FORM_DATA

    response = client.post("/en/mini-analysis/", {**VALID_FORM_DATA, "brand_name": "ß" * 200})

    assert response.status_code == 302
    request, lead = MiniAnalysis.objects.get(), Lead.objects.get()
    assert (request.brand_key, request.brand_name) == (lead.brand_key, "ß" * 200)
    assert len(lead.brand_key) <= MiniAnalysis._meta.get_field("brand_key").max_length


# --- Every writer stores the keys; the database refuses a row without them -----------------------


@pytest.mark.django_db
def test_bulk_create_stores_the_keys():
    [row] = MiniAnalysis.objects.bulk_create(
        [MiniAnalysisFactory.build(email="Ana@X.com", brand_name=" My  Brand")]
    )
    assert MiniAnalysis.objects.filter(pk=row.pk).values_list("email_key", "brand_key").get() == (
        "ana@x.com",
        "my brand",
    )


@pytest.mark.django_db
def test_bulk_update_of_the_email_or_brand_stores_the_new_keys():
    row = MiniAnalysisFactory(email="ana@x.com", brand_name="Old")
    row.brand_name = "New Brand"
    MiniAnalysis.objects.bulk_update([row], ["brand_name"])
    assert MiniAnalysis.objects.get(pk=row.pk).brand_key == "new brand"


@pytest.mark.django_db
def test_update_of_the_email_stores_the_new_key():
    row = MiniAnalysisFactory(email="ana@x.com")
    MiniAnalysis.objects.filter(pk=row.pk).update(email="Bob@Y.com ")
    assert MiniAnalysis.objects.get(pk=row.pk).email_key == "bob@y.com"


@pytest.mark.django_db
def test_update_of_the_brand_from_an_expression_is_refused():
    MiniAnalysisFactory()
    with pytest.raises(TypeError, match="brand_key cannot be computed in SQL"):
        MiniAnalysis.objects.update(brand_name=F("sector"))


@pytest.mark.django_db
def test_loaddata_stores_the_keys(tmp_path):
    fixture = tmp_path / "requests.json"
    fixture.write_text(
        json.dumps(
            [
                {
                    "model": "mini_analysis.minianalysis",
                    "pk": 4242,
                    "fields": {
                        "request_id": "6f1c6f0e-0c1e-4a43-9a70-1f3f6f0e0c1e",
                        "email": "Dana@Example.com",
                        "brand_name": "Dana  Shop",
                        "created_at": "2024-05-01T10:00:00Z",
                        "updated_at": "2024-05-01T10:00:00Z",
                    },
                }
            ]
        )
    )
    call_command("loaddata", str(fixture), verbosity=0)
    row = MiniAnalysis.objects.get(pk=4242)
    assert (row.email_key, row.brand_key) == ("dana@example.com", "dana shop")


@pytest.mark.django_db
def test_full_clean_checks_the_keys_the_row_will_have():
    MiniAnalysis(email="ana@x.com", brand_name="Brand").full_clean()


def _insert_raw(email: str, brand_name: str, email_key: str, brand_key: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO mini_analyses (request_id, email, phone, brand_name, sector, language, status, "
            "analysis_text, pdf_url, email_key, brand_key, created_at, updated_at) "
            "VALUES (%s, %s, '', %s, '', 'fr', 'NEW', '', '', %s, %s, %s, %s)",
            [uuid.uuid4().hex, email, brand_name, email_key, brand_key, timezone.now(), timezone.now()],
        )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("email", "brand_name", "email_key", "brand_key"),
    [
        ("ana@x.com", "Brand", "", "brand"),
        ("ana@x.com", "Brand", "ana@x.com", ""),
        ("ana@x.com", "   ", "ana@x.com", ""),
    ],
)
def test_the_database_refuses_a_raw_row_without_its_keys(email, brand_name, email_key, brand_key):
    with pytest.raises(IntegrityError), transaction.atomic():
        _insert_raw(email, brand_name, email_key, brand_key)


@pytest.mark.django_db
def test_a_row_without_brand_may_have_no_brand_key():
    _insert_raw("ana@x.com", "", "ana@x.com", "")
    assert MiniAnalysis.objects.get(brand_name="").brand_key == ""
