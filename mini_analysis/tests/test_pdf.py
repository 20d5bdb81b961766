import io

import pytest
from bidi.algorithm import get_display
from django.core.files.storage import default_storage
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pypdf import PdfReader

from mini_analysis.generators import AnalysisRequest
from mini_analysis.generators.offline import OfflineGenerator
from mini_analysis.pdf import display_order, pdf_storage_name, render_pdf, save_pdf

from .factories import MiniAnalysisFactory
from .strategies import valid_text

pytestmark = pytest.mark.django_db


def analysed(**fields):
    mini_analysis = MiniAnalysisFactory(sector="food", **fields)
    mini_analysis.analysis_text = OfflineGenerator().generate(
        AnalysisRequest(mini_analysis.brand_name, mini_analysis.sector, mini_analysis.language)
    )
    return mini_analysis


def read(content: bytes) -> PdfReader:
    return PdfReader(io.BytesIO(content))


def test_pdf_opens_is_one_page_and_contains_brand_sector_and_analysis():
    mini_analysis = analysed(brand_name="Maison Lumière", language="en")
    reader = read(render_pdf(mini_analysis))
    assert len(reader.pages) == 1
    text = reader.pages[0].extract_text()
    assert "Maison Lumière" in text
    assert "Restaurants / Food" in text
    assert "Preliminary automatic analysis" in text


def test_french_pdf_has_french_headings():
    text = read(render_pdf(analysed(brand_name="Acme", language="fr"))).pages[0].extract_text()
    assert "Secteur" in text and "Restauration" in text
    assert "Analyse préliminaire automatique" in text


def test_hebrew_pdf_embeds_the_shipped_font_and_draws_hebrew_right_to_left():
    brand = "שוקולד טוב"
    mini_analysis = analysed(brand_name=brand, language="he")
    reader = read(render_pdf(mini_analysis))
    page = reader.pages[0]
    fonts = {font["/BaseFont"] for font in page["/Resources"]["/Font"].values()}
    assert any("DejaVuSans" in name for name in fonts)
    # Drawn in visual order (right to left), which text extraction reads back either way round.
    text = page.extract_text()
    assert brand in text or get_display(brand) in text
    assert "ניתוח" in text or get_display("ניתוח") in text


def test_hebrew_lines_are_reversed_for_drawing_with_brackets_mirrored():
    assert display_order("מזון (ומסעדנות)", right_to_left=True) == "(תונדעסמו) ןוזמ"
    assert display_order("שוק: Acme 2026", right_to_left=True) == "Acme 2026 :קוש"
    assert display_order("Brand (food)", right_to_left=False) == "Brand (food)"
    assert display_order("Brand שוק (food)", right_to_left=False) == "Brand קוש (food)"


def test_very_long_analysis_is_cut_to_one_page():
    mini_analysis = MiniAnalysisFactory(language="en")
    mini_analysis.analysis_text = "A long paragraph of analysis. " * 2000
    reader = read(render_pdf(mini_analysis))
    assert len(reader.pages) == 1
    assert "…" in reader.pages[0].extract_text()


def test_long_brand_without_spaces_still_fits_one_page():
    reader = read(render_pdf(analysed(brand_name="x" * 200, language="en")))
    assert len(reader.pages) == 1


def test_saved_pdf_goes_through_default_storage_and_replaces_an_older_one():
    mini_analysis = analysed(brand_name="First", language="fr")
    url = save_pdf(mini_analysis)
    mini_analysis.brand_name = "Second"
    assert save_pdf(mini_analysis) == url
    assert url == f"/fr/mini-analysis/{mini_analysis.request_id}/pdf/"
    with default_storage.open(pdf_storage_name(mini_analysis), "rb") as stored:
        assert "Second" in read(stored.read()).pages[0].extract_text()
    assert default_storage.listdir("mini-analyses")[1] == [f"{mini_analysis.request_id}.pdf"]


@given(
    language=st.sampled_from(["fr", "en", "he"]),
    brand=valid_text.filter(str.strip),
    analysis=st.lists(valid_text, max_size=6).map("\n".join),
)
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_pdf_is_drawn_for_any_valid_text_in_every_language(language, brand, analysis):
    """Right-to-left and left-to-right mixed, unassigned and newest code points: always one page."""
    mini_analysis = MiniAnalysisFactory.build(
        brand_name=brand, language=language, sector="food", created_at=timezone.now()
    )
    mini_analysis.analysis_text = analysis
    assert len(read(render_pdf(mini_analysis)).pages) == 1


@pytest.mark.parametrize(
    ("language", "heading", "sector"),
    [
        ("fr", "Mini-analyse de marché", "Restauration"),
        ("en", "Market mini-analysis", "Restaurants / Food"),
        ("he", "מיני-ניתוח שוק", "מסעדנות"),
    ],
)
def test_pdf_metadata_names_the_analysis_igv_and_its_language(language, heading, sector):
    """It said `Creator: anonymous` and had no subject nor language."""
    content = render_pdf(analysed(brand_name="Acme", language=language))
    reader = read(content)
    assert reader.metadata.title == f"{heading} — Acme"
    assert reader.metadata.author == "Israel Growth Ventures"
    assert heading in reader.metadata.subject and sector in reader.metadata.subject
    assert reader.metadata.creator == "igv-crm"
    assert reader.trailer["/Root"]["/Lang"] == language


def test_pdf_draws_the_brand_band_and_the_section_headings_bold():
    mini_analysis = analysed(brand_name="Acme", language="en")
    page = read(render_pdf(mini_analysis)).pages[0]
    drawing = page.get_contents().get_data().decode("latin-1")
    assert ".043137 .239216 .431373 rg" in drawing  # the navy band (--brand-navy, #0b3d6e)
    assert ".94902 .662745 0 rg" in drawing  # the gold rule and bullets (--brand-gold, #f2a900)
    assert drawing.count("2 Tr") == 2 + 4  # fake bold: IGV, the brand, the four section headings
    text = page.extract_text()
    for heading in ["Overview of the Israeli market", "Opportunities", "Risks", "Next steps"]:
        assert f"\n{heading}\n" in text


def test_pdf_links_to_book_a_call_when_the_setting_is_set(settings):
    settings.BOOK_A_CALL_URL = "https://calendly.com/igv/intro"
    page = read(render_pdf(analysed(brand_name="Acme", language="fr"))).pages[0]
    assert "\nPrendre rendez-vous avec IGV\n" in page.extract_text()
    links = [annotation.get_object()["/A"]["/URI"] for annotation in page["/Annots"]]
    assert links == ["https://calendly.com/igv/intro"]


def test_pdf_has_no_call_link_when_the_setting_is_empty(settings):
    settings.BOOK_A_CALL_URL = ""
    page = read(render_pdf(analysed(brand_name="Acme", language="fr"))).pages[0]
    assert "/Annots" not in page
    assert "\nPrendre rendez-vous avec IGV\n" not in page.extract_text()


def test_text_no_font_can_draw_is_replaced_not_fatal():
    mini_analysis = MiniAnalysisFactory.build(
        brand_name="Acme\ud800 \x07Co", language="he", sector="food", created_at=timezone.now()
    )
    mini_analysis.analysis_text = "Tab\there\x00, lone \udfff surrogate"
    text = read(render_pdf(mini_analysis)).pages[0].extract_text()
    assert "Acme\ufffd Co" in text
