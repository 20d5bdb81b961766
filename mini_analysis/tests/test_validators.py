"""A brand name is one line of visible text (`mini_analysis/validators.py`)."""

import pytest
from django.core.exceptions import ValidationError

from mini_analysis.validators import validate_one_line_of_visible_text


@pytest.mark.parametrize(
    "brand",
    [
        "Maison Lumière",
        "Tom & Jerry's <Bistro>",
        "מעדני \u200fגליל",  # a mark of direction inside Hebrew text
        "👩\u200d💻 Studio",  # a zero-width joiner inside an emoji
        "Café\u00a0Noir",  # a no-break space between words
        "x",
    ],
)
def test_one_line_of_visible_text_is_a_brand(brand):
    validate_one_line_of_visible_text(brand)


@pytest.mark.parametrize(
    "brand",
    [
        "Maison\nLumière",
        "Maison\r\nLumière",
        "Maison\rLumière",
        "Maison\x0bLumière",
        "Maison\x0cLumière",
        "Maison\x85Lumière",
        "Maison\u2028Lumière",
        "Maison\u2029Lumière",
        "Maison\x1cLumière",
    ],
)
def test_a_line_break_anywhere_is_refused(brand):
    with pytest.raises(ValidationError) as error:
        validate_one_line_of_visible_text(brand)
    assert error.value.code == "line_break"


@pytest.mark.parametrize("control", [*map(chr, range(0x202A, 0x202F)), *map(chr, range(0x2066, 0x206A))])
def test_every_bidi_embedding_override_and_isolate_is_refused(control):
    with pytest.raises(ValidationError) as error:
        validate_one_line_of_visible_text(f"{control}moc.elgoog")
    assert error.value.code == "control_character"


@pytest.mark.parametrize("control", ["\t", "\x07", "\x1b", "\x7f", "\x9b"])
def test_other_control_characters_are_refused(control):
    with pytest.raises(ValidationError) as error:
        validate_one_line_of_visible_text(f"Maison{control}Lumière")
    assert error.value.code == "control_character"


@pytest.mark.parametrize(
    "brand",
    [
        "\u200b",  # zero-width space (format)
        "\u200b\u200c\u200d\u2060\ufeff",  # zero-width joiners, word joiner, BOM
        "\u200e\u200f",  # marks of direction
        "\u00ad",  # soft hyphen
        "\u3000\u2003\u00a0",  # spaces of other widths
        "\u3164\u115f",  # Hangul fillers: letters that draw nothing
        "\u2800",  # the blank Braille pattern
        "\ufe0f\U000e0100",  # variation selectors
        "\U000e0041\U000e0042",  # tag characters
    ],
)
def test_text_made_only_of_invisible_characters_is_refused(brand):
    with pytest.raises(ValidationError) as error:
        validate_one_line_of_visible_text(brand)
    assert error.value.code == "invisible"
