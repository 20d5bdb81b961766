import pytest
from django.utils import translation

from mini_analysis.forms import MiniAnalysisForm
from mini_analysis.tests.factories import VALID_FORM_DATA as VALID


def form_with(**changes) -> MiniAnalysisForm:
    data = {**VALID, **changes}
    return MiniAnalysisForm({key: value for key, value in data.items() if value is not None})


def test_valid_form_gives_the_values_the_service_takes():
    form = form_with(brand_name="  Maison Lumière  ")
    assert form.is_valid(), form.errors
    assert form.submission() == {
        "email": "visitor@example.com",
        "phone": "+972525551234",
        "brand_name": "Maison Lumière",
        "sector": "retail",
    }


def test_local_phone_is_read_in_the_default_region_and_stored_in_e164():
    form = form_with(phone="054 765 4321")  # PHONENUMBER_DEFAULT_REGION is IL
    assert form.is_valid(), form.errors
    assert form.submission()["phone"] == "+972547654321"


def test_international_phone_is_stored_in_e164():
    form = form_with(phone="+33 6 12 34 56 78")
    assert form.is_valid(), form.errors
    assert form.submission()["phone"] == "+33612345678"


def test_phone_is_optional():
    form = form_with(phone="")
    assert form.is_valid(), form.errors
    assert form.submission()["phone"] == ""


@pytest.mark.parametrize("phone", ["12", "not a phone", "+972 12"])
def test_invalid_phone_is_refused(phone):
    form = form_with(phone=phone)
    assert not form.is_valid()
    assert list(form.errors) == ["phone"]


@pytest.mark.parametrize("email", [None, "", "not-an-email", "a@"])
def test_missing_or_invalid_email_is_refused(email):
    form = form_with(email=email)
    assert not form.is_valid()
    assert list(form.errors) == ["email"]


@pytest.mark.parametrize("brand_name", [None, "", "   "])
def test_empty_brand_name_is_refused(brand_name):
    form = form_with(brand_name=brand_name)
    assert not form.is_valid()
    assert list(form.errors) == ["brand_name"]


def test_brand_name_of_ten_thousand_characters_is_refused():
    form = form_with(brand_name="x" * 10_000)
    assert not form.is_valid()
    assert list(form.errors) == ["brand_name"]


def test_brand_name_of_two_hundred_characters_is_accepted():
    assert form_with(brand_name="x" * 200).is_valid()


@pytest.mark.parametrize("sector", [None, "", "Restauration / Food", "astrology"])
def test_sector_outside_the_list_is_refused(sector):
    form = form_with(sector=sector)
    assert not form.is_valid()
    assert list(form.errors) == ["sector"]


@pytest.mark.parametrize(
    ("language", "retail", "other"),
    [
        ("fr", "Commerce de détail", "Autre"),
        ("en", "Retail / Commerce", "Other"),
        ("he", "קמעונאות / מסחר", "אחר"),
    ],
)
def test_sector_list_is_translated_and_ends_with_other(language, retail, other):
    with translation.override(language):
        choices = [(value, str(label)) for value, label in MiniAnalysisForm().fields["sector"].choices]
    assert ("retail", retail) in choices
    assert choices[-1] == ("other", other)


def test_missing_consent_is_refused():
    form = form_with(consent=None)
    assert not form.is_valid()
    assert list(form.errors) == ["consent"]


@pytest.mark.parametrize(
    ("language", "consent_error", "email_error"),
    [
        ("fr", "Votre accord est nécessaire", "Saisissez une adresse e-mail valide."),
        ("en", "Your consent is needed", "Enter a valid email address."),
        ("he", "נדרשת הסכמתך", 'נא להזין כתובת דוא"ל חוקית'),
    ],
)
def test_errors_are_in_the_active_language(language, consent_error, email_error):
    with translation.override(language):
        form = form_with(consent=None, email="nope")
        assert not form.is_valid()
        assert consent_error in form.errors["consent"][0]
        assert email_error in form.errors["email"][0]


def test_filled_honeypot_is_spam_even_when_the_rest_is_invalid():
    assert form_with(website="http://spam.example").is_spam()
    assert form_with(website="x", email="").is_spam()
    assert not form_with(website="").is_spam()
    assert not form_with().is_spam()


@pytest.mark.parametrize(
    ("language", "brand_name", "message"),
    [
        ("fr", "Maison\nLumière", "Écrivez le nom de la marque sur une seule ligne."),
        ("en", "Maison\nLumière", "Write the brand name on one line."),
        ("he", "Maison\nLumière", "יש לכתוב את שם המותג בשורה אחת."),
        ("fr", "\u202emoc.elgoog", "Retirez les caractères de contrôle invisibles"),
        ("en", "\u202emoc.elgoog", "Remove the invisible control characters"),
        ("he", "\u202emoc.elgoog", "יש להסיר משם המותג את תווי הבקרה הבלתי נראים"),
        ("fr", "\u200b\u3164", "Saisissez un nom de marque fait de caractères visibles."),
        ("en", "\u200b\u3164", "Enter a brand name with visible characters."),
        ("he", "\u200b\u3164", "יש להזין שם מותג עם תווים נראים."),
    ],
)
def test_a_brand_name_that_is_not_one_line_of_visible_text_is_refused_in_the_visitors_language(
    language, brand_name, message
):
    with translation.override(language):
        form = form_with(brand_name=brand_name)
        assert not form.is_valid()
        assert list(form.errors) == ["brand_name"]
        assert form.errors["brand_name"][0].startswith(message)
