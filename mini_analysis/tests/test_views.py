import html
import re

import httpx2
import phonenumbers
import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from crm.models import Lead
from mini_analysis.models import MiniAnalysis, Status

from .conftest import FakeGenerator, run_jobs
from .factories import VALID_FORM_DATA as VALID
from .factories import MiniAnalysisFactory

pytestmark = pytest.mark.django_db


def submit_and_open(client, url: str, data: dict):
    """Post the form, let the worker run the job it queued, then open the result page."""
    with run_jobs():
        response = client.post(url, data)
    assert response.status_code == 302
    return client.get(response["Location"])


def form_url(language: str = "fr") -> str:
    with translation.override(language):
        return reverse("mini_analysis:form")


@pytest.mark.parametrize(
    ("language", "direction", "heading"),
    [
        ("fr", "ltr", "Mini-analyse de marché gratuite"),
        ("en", "ltr", "Free market mini-analysis"),
        ("he", "rtl", "מיני-ניתוח שוק חינם"),
    ],
)
def test_form_page_is_in_the_language_of_its_url(client, language, direction, heading):
    response = client.get(f"/{language}/mini-analysis/")
    page = response.content.decode()
    assert response.status_code == 200
    assert f'<html lang="{language}" dir="{direction}">' in page
    assert heading in page
    assert 'name="csrfmiddlewaretoken"' in page


def test_unprefixed_address_redirects_to_the_default_language(client):
    response = client.get("/mini-analysis/")
    assert response.status_code == 302
    assert response["Location"] == "/fr/mini-analysis/"


def test_unprefixed_address_follows_the_browser_language(client):
    response = client.get("/mini-analysis/", headers={"accept-language": "he,en;q=0.8"})
    assert response["Location"] == "/he/mini-analysis/"


def test_page_has_no_inline_style_or_script_under_the_content_security_policy(client):
    response = client.get(form_url())
    page = response.content.decode()
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]
    assert "<script" not in page and "style=" not in page and "<style" not in page


def test_the_form_and_result_pages_load_nothing_from_other_sites(client):
    """The public pages' policy: everything from this site, never framed, forms posted here only."""
    form = client.get(form_url())
    with run_jobs():
        result = client.post(form_url("en"), VALID, follow=True)
    for response in (form, result):
        policy = {
            directive.split()[0]: directive.split()[1:]
            for directive in response["Content-Security-Policy"].split(";")
            if directive.strip()
        }
        assert policy["default-src"] == ["'self'"]
        assert policy["frame-ancestors"] == ["'none'"]
        assert policy["form-action"] == ["'self'"]
        sources = [source for listed in policy.values() for source in listed]
        assert not [source for source in sources if "*" in source or "http" in source]


def test_submission_redirects_at_once_to_a_page_that_waits_for_the_analysis(client):
    response = client.post(form_url("en"), VALID, follow=True)
    mini_analysis = MiniAnalysis.objects.get()
    assert response.redirect_chain == [(f"/en/mini-analysis/{mini_analysis.request_id}/", 302)]
    assert mini_analysis.status == Status.NEW  # the job waits for the commit, then a worker
    page = response.content.decode()
    assert "is being prepared" in page
    assert '<meta http-equiv="refresh" content="3">' in page
    assert "<script" not in page and "style=" not in page
    assert "no-cache" in response["Cache-Control"]


def test_successful_submission_shows_the_analysis_and_the_pdf_link(client):
    response = submit_and_open(client, form_url("en"), VALID)
    mini_analysis = MiniAnalysis.objects.get()
    assert 'http-equiv="refresh"' not in response.content.decode()
    page = response.content.decode()
    assert "Preliminary automatic analysis" in page
    assert mini_analysis.pdf_url in page
    assert mini_analysis.language == "en"
    assert mini_analysis.phone == "+972525551234"
    assert mini_analysis.consent_at is not None
    assert Lead.objects.get().status == Status.GENERATED


def test_submission_in_hebrew_is_stored_as_hebrew_and_answered_right_to_left(client):
    response = submit_and_open(client, form_url("he"), VALID)
    assert MiniAnalysis.objects.get().language == "he"
    assert 'dir="rtl"' in response.content.decode()
    assert "ניתוח אוטומטי ראשוני" in response.content.decode()


def test_html_in_the_brand_name_is_shown_escaped(client):
    brand = '<script>alert("x")</script><b>Brand</b>'
    response = submit_and_open(client, form_url(), {**VALID, "brand_name": brand})
    page = response.content.decode()
    assert MiniAnalysis.objects.get().brand_name == brand
    assert "<script>alert" not in page and "<b>Brand</b>" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&lt;b&gt;Brand&lt;/b&gt;" in page


@pytest.mark.parametrize(
    ("language", "message"),
    [("fr", "Votre accord est nécessaire"), ("en", "Your consent is needed"), ("he", "נדרשת הסכמתך")],
)
def test_invalid_submission_shows_the_errors_in_the_page_language_and_saves_nothing(
    client, language, message
):
    response = client.post(form_url(language), {**VALID, "consent": "", "brand_name": "x" * 10_000})
    page = response.content.decode()
    assert response.status_code == 200
    assert message in page
    assert 'id="id_brand_name_errors"' in page
    assert MiniAnalysis.objects.count() == 0
    assert Lead.objects.count() == 0


def test_invalid_phone_is_shown_as_a_field_error(client):
    response = client.post(form_url("en"), {**VALID, "phone": "12"})
    assert 'id="id_phone_errors"' in response.content.decode()
    assert MiniAnalysis.objects.count() == 0


def test_filled_honeypot_answers_a_neutral_page_and_saves_nothing(client):
    response = client.post(form_url("en"), {**VALID, "website": "http://spam.example"})
    assert response.status_code == 200
    assert "Your request has been received." in response.content.decode()
    assert MiniAnalysis.objects.count() == 0
    assert Lead.objects.count() == 0


def test_submissions_over_the_rate_limit_get_a_friendly_429(client, settings):
    settings.MINI_ANALYSIS_RATE_LIMIT = "2/10m"
    for number in range(2):
        response = client.post(form_url("en"), {**VALID, "brand_name": f"Brand {number}"})
        assert response.status_code == 302
    response = client.post(form_url("en"), {**VALID, "brand_name": "Brand 3"})
    assert response.status_code == 429
    assert "Please wait a few minutes" in response.content.decode()
    assert MiniAnalysis.objects.count() == 2


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("fr", "Vous avez envoyé plusieurs demandes en peu de temps."),
        ("en", "You have sent several requests in a short time."),
        ("he", "שלחתם כמה בקשות בזמן קצר."),
    ],
)
def test_a_rate_limited_visitor_gets_the_form_back_with_what_they_typed_and_a_clear_message(
    client, settings, language, message
):
    settings.MINI_ANALYSIS_RATE_LIMIT = "1/10m"
    client.post(form_url(language), VALID)
    typed = {**VALID, "email": "second@example.com", "brand_name": "Studio <Nord> & Fils", "sector": "food"}
    response = client.post(form_url(language), typed)
    page = response.content.decode()
    assert response.status_code == 429
    assert 'role="alert"' in page and message in page
    assert 'value="second@example.com"' in page
    assert f'value="{html.escape("Studio <Nord> & Fils")}"' in page
    assert '<option value="food" selected>' in page
    assert 'name="consent" required id="id_consent" checked' in page
    assert MiniAnalysis.objects.count() == 1


def test_five_typos_then_a_valid_submission_is_accepted(client, settings):
    settings.MINI_ANALYSIS_RATE_LIMIT = "5/10m"
    typos = [{"email": "visitor@"}, {"phone": "12"}, {"brand_name": ""}, {"sector": "x"}, {"consent": ""}]
    for typo in typos:
        assert client.post(form_url(), {**VALID, **typo}).status_code == 200
    assert client.post(form_url(), VALID).status_code == 302
    assert MiniAnalysis.objects.count() == 1


def test_rate_limit_counts_valid_and_spam_posts_but_not_typos_or_page_views(client, settings):
    settings.MINI_ANALYSIS_RATE_LIMIT = "2/10m"
    for _ in range(5):
        client.get(form_url())
        client.post(form_url(), {**VALID, "email": "bad"})
    client.post(form_url(), VALID)
    client.post(form_url(), {**VALID, "website": "spam"})
    assert client.post(form_url(), VALID).status_code == 429


def test_rate_limit_is_per_client_address(client, settings):
    settings.MINI_ANALYSIS_RATE_LIMIT = "1/10m"
    assert client.post(form_url(), VALID, REMOTE_ADDR="203.0.113.1").status_code == 302
    assert client.post(form_url(), VALID, REMOTE_ADDR="203.0.113.1").status_code == 429
    assert client.post(form_url(), VALID, REMOTE_ADDR="203.0.113.2").status_code == 302


def test_same_person_and_brand_twice_gets_two_analyses_and_stays_one_lead(client):
    with run_jobs():
        client.post(form_url(), VALID)
    client.post(form_url("en"), {**VALID, "email": "VISITOR@example.com", "brand_name": " maison lumière "})
    assert MiniAnalysis.objects.count() == 2
    lead = Lead.objects.get()
    assert lead.mini_analysis == MiniAnalysis.objects.latest("created_at", "id")


@pytest.mark.parametrize(
    ("error", "status", "message"),
    [
        (RuntimeError("generator crashed"), Status.ERROR, "We could not prepare your mini-analysis yet"),
        (httpx2.ReadTimeout("too slow"), Status.ERROR, "We could not prepare your mini-analysis yet"),
    ],
)
def test_generator_failure_shows_a_polite_page_not_a_server_error(
    client, use_generator, error, status, message
):
    use_generator(FakeGenerator(error=error))
    response = submit_and_open(client, form_url("en"), VALID)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert "sent to you by email" in response.content.decode()
    assert 'http-equiv="refresh"' not in response.content.decode()
    assert "Download the PDF" not in response.content.decode()
    assert MiniAnalysis.objects.get().status == status
    assert Lead.objects.get().status == status


def test_quota_blocked_generation_shows_a_polite_page(client, use_generator, quota_generator):
    use_generator(quota_generator)
    response = submit_and_open(client, form_url("en"), VALID)
    assert response.status_code == 200
    assert "very busy right now" in response.content.decode()
    assert MiniAnalysis.objects.get().status == Status.QUOTA_BLOCKED
    assert Lead.objects.get().status == Status.QUOTA_BLOCKED


def test_gemini_timeout_through_the_form_is_an_error_page_not_a_500(client, use_generator, gemini_with):
    def slow(request):
        raise httpx2.ReadTimeout("timed out", request=request)

    use_generator(gemini_with(slow))
    response = submit_and_open(client, form_url("fr"), VALID)
    assert response.status_code == 200
    assert "Nous n'avons pas encore pu préparer" in response.content.decode()
    assert Lead.objects.get().status == Status.ERROR


def test_pdf_link_serves_the_stored_pdf(client):
    with run_jobs():
        client.post(form_url(), VALID)
    response = client.get(MiniAnalysis.objects.get().pdf_url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content).startswith(b"%PDF")


def test_the_result_page_and_the_pdf_are_never_cached_nor_indexed(client):
    with run_jobs():
        response = client.post(form_url(), VALID)
    mini_analysis = MiniAnalysis.objects.get()
    for address in (response["Location"], mini_analysis.pdf_url):
        answer = client.get(address)
        assert answer.status_code == 200
        directives = {directive.strip() for directive in answer["Cache-Control"].split(",")}
        assert {"private", "no-store"} <= directives, address
        assert answer["X-Robots-Tag"] == "noindex", address


@pytest.mark.parametrize(
    ("language", "notice", "pending"),
    [
        ("fr", "cette mini-analyse ne sera pas envoyée par e-mail", "dans quelques instants.</p>"),
        ("en", "this mini-analysis will not be emailed", "in a few moments.</p>"),
        ("he", "המיני-ניתוח הזה לא יישלח בדוא״ל", "בעוד רגעים ספורים.</p>"),
    ],
)
def test_the_result_page_says_when_the_analysis_will_not_be_emailed(
    client, settings, language, notice, pending
):
    settings.MINI_ANALYSIS_EMAILS_PER_RECIPIENT = 1
    first = client.post(form_url(language), VALID, follow=True).content.decode()
    second = client.post(form_url(language), {**VALID, "brand_name": "Autre"}, follow=True).content.decode()
    assert notice not in first
    assert notice in second
    assert pending in second  # "being prepared", without "we will also send it by email"
    assert MiniAnalysis.objects.filter(email_withheld=True).count() == 1


def test_unknown_result_or_pdf_is_a_404(client):
    assert client.get("/fr/mini-analysis/00000000-0000-0000-0000-000000000000/").status_code == 404
    assert client.get("/fr/mini-analysis/00000000-0000-0000-0000-000000000000/pdf/").status_code == 404


@pytest.mark.parametrize(
    ("language", "title", "sentence"),
    [
        ("fr", "Notice de confidentialité", "Qui sommes-nous"),
        ("en", "Privacy notice", "Who we are"),
        ("he", "הודעת פרטיות", "מי אנחנו"),
    ],
)
def test_privacy_notice_is_served_in_each_language_from_its_template(client, language, title, sentence):
    response = client.get(f"/{language}/privacy/")
    page = response.content.decode()
    assert response.status_code == 200
    assert f"<h1>{title}</h1>" in page and sentence in page
    assert [template.name for template in response.templates].count(f"privacy/notice_{language}.html") == 1
    assert "<script" not in page and "style=" not in page


@pytest.mark.parametrize("language", ["fr", "en", "he"])
def test_consent_box_links_to_the_privacy_notice(client, language):
    page = client.get(form_url(language)).content.decode()
    consent_label = page[page.index('<label for="id_consent">') :]
    consent_label = consent_label[: consent_label.index("</label>")]
    assert f'href="/{language}/privacy/"' in consent_label


def test_pages_carry_the_logo_and_the_favicon(client):
    page = client.get(form_url()).content.decode()
    assert 'src="/static/img/logo.svg"' in page
    assert 'rel="icon" href="/static/img/favicon.svg"' in page


def test_result_page_lays_the_analysis_out_in_headed_sections(client):
    page = submit_and_open(client, form_url("en"), VALID).content.decode()
    for heading in ["Overview of the Israeli market", "Opportunities", "Risks", "Next steps"]:
        assert f"<h2>{heading}</h2>" in page
    assert page.count("<li>") == 6
    assert '<p class="analysis-note">Preliminary automatic analysis' in page


def test_result_page_offers_to_book_a_call_only_when_the_setting_is_set(client, settings):
    settings.BOOK_A_CALL_URL = ""
    page = submit_and_open(client, form_url("fr"), VALID).content.decode()
    assert "call-to-action" not in page
    settings.BOOK_A_CALL_URL = "https://calendly.com/igv/intro"
    page = client.get(f"/fr/mini-analysis/{MiniAnalysis.objects.get().request_id}/").content.decode()
    assert 'href="https://calendly.com/igv/intro"' in page
    assert "Prendre rendez-vous avec IGV" in page


def displayed_phone_example(page: str) -> str:
    """The example number the phone field's help text shows."""
    match = re.search(r'<p class="help">[^<]*<bdi dir="ltr">([^<]+)</bdi></p>', page)
    assert match is not None, "no phone example in the page"
    return html.unescape(match.group(1))


@pytest.mark.parametrize("language", ["fr", "en", "he"])
def test_the_phone_example_shown_is_accepted_and_stored_in_e164(client, language):
    example = displayed_phone_example(client.get(form_url(language)).content.decode())
    response = client.post(form_url(language), {**VALID, "phone": example})
    assert response.status_code == 302
    expected = phonenumbers.parse(example, None)
    assert MiniAnalysis.objects.get().phone == phonenumbers.format_number(
        expected, phonenumbers.PhoneNumberFormat.E164
    )


def test_the_phone_example_is_the_mobile_example_of_the_default_region_in_international_format(client):
    example = displayed_phone_example(client.get(form_url("en")).content.decode())
    number = phonenumbers.parse(example, None)
    assert phonenumbers.region_code_for_number(number) == settings.PHONENUMBER_DEFAULT_REGION
    assert phonenumbers.number_type(number) == phonenumbers.PhoneNumberType.MOBILE
    assert example == phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


@pytest.mark.parametrize("typed", ["0502345678", "050-234-5678", "+972502345678"])
def test_a_redisplayed_form_shows_the_phone_in_the_international_format_of_the_example(client, typed):
    response = client.post(form_url("en"), {**VALID, "email": "not-an-email", "phone": typed})
    assert response.status_code == 200
    assert 'value="+972 50-234-5678"' in response.content.decode()


def test_a_redisplayed_form_shows_an_invalid_phone_as_typed(client):
    response = client.post(form_url("en"), {**VALID, "phone": "12"})
    page = response.content.decode()
    assert 'value="12"' in page
    assert f"for example {displayed_phone_example(page)}" in page


@pytest.mark.parametrize("unsafe", ["javascript:alert(1)", "//evil.example/x.pdf", "data:text/html,x"])
def test_result_page_never_links_an_unsafe_stored_pdf_url(client, unsafe):
    """An old row (written before the import refused them) may carry any text as its PDF URL."""
    mini_analysis = MiniAnalysisFactory(status="GENERATED", analysis_text="Analyse.", pdf_url=unsafe)
    page = client.get(f"/fr/mini-analysis/{mini_analysis.request_id}/").content.decode()
    assert unsafe not in page
    assert "Télécharger le PDF" not in page
