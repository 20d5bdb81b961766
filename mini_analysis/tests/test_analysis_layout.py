import pytest

from mini_analysis.analysis_layout import Block, Section, analysis_sections
from mini_analysis.generators import AnalysisRequest
from mini_analysis.generators.offline import TEXTS, OfflineGenerator


@pytest.mark.parametrize("language", ["fr", "en", "he"])
def test_offline_analysis_has_its_four_headed_sections_and_lists(language):
    text = OfflineGenerator().generate(AnalysisRequest("Acme", "food", language))
    sections = analysis_sections(text)
    texts = TEXTS[language]
    assert [section.heading for section in sections] == [
        "",
        "",
        texts["overview"],
        texts["opportunities"],
        texts["risks"],
        texts["next_steps"],
    ]
    assert sections[0].blocks == [Block([texts["label"]])]
    assert sections[4].blocks == [Block(texts["risk_lines"], is_list=True)]
    assert not sections[2].blocks[0].is_list


def test_gemini_style_headings_with_a_colon_and_bullets_are_understood():
    text = (
        "Preliminary automatic analysis.\n\nOpportunities:\nA strong niche.\n• Tel Aviv first\n• Then Haifa"
    )
    assert analysis_sections(text) == [
        Section("", [Block(["Preliminary automatic analysis."])]),
        Section("Opportunities", [Block(["A strong niche."]), Block(["Tel Aviv first", "Then Haifa"], True)]),
    ]


def test_text_of_no_known_shape_comes_out_whole_as_paragraphs():
    text = "One sentence that goes on.\nAnother one, also a sentence.\n\n\n  \nLast words."
    sections = analysis_sections(text)
    assert [section.heading for section in sections] == ["", ""]
    assert [block.items for section in sections for block in section.blocks] == [
        ["One sentence that goes on."],
        ["Another one, also a sentence."],
        ["Last words."],
    ]


def test_empty_text_has_no_section():
    assert analysis_sections("") == []
    assert analysis_sections(" \n\n ") == []
