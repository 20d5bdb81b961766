from mini_analysis.generators import AnalysisRequest
from mini_analysis.generators.offline import OfflineGenerator


def generate(brand="Maison Lumière", sector="retail", language="fr") -> str:
    return OfflineGenerator().generate(AnalysisRequest(brand_name=brand, sector=sector, language=language))


def test_same_request_gives_the_same_text():
    assert generate() == generate()


def test_text_is_labelled_preliminary_and_written_in_the_requested_language():
    assert generate(language="fr").startswith("Analyse préliminaire automatique")
    assert generate(language="en").startswith("Preliminary automatic analysis")
    assert generate(language="he").startswith("ניתוח אוטומטי ראשוני")


def test_text_has_the_four_sections_and_names_the_brand():
    text = generate(language="en", brand="Acme")
    for heading in ["Overview of the Israeli market", "Opportunities", "Risks", "Next steps"]:
        assert heading in text
    assert "Acme" in text


def test_text_depends_on_the_sector():
    assert generate(sector="food") != generate(sector="tech")
    assert "franchising" in generate(sector="food", language="en")


def test_unknown_sector_falls_back_to_the_general_text():
    assert generate(sector="Restauration / Food") == generate(sector="other")
