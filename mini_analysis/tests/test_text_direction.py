import unicodedata
from collections import Counter

import pytest
from bidi.mirror import MIRRORED
from hypothesis import given
from hypothesis import strategies as st

from mini_analysis.text_direction import bidi_class, display_order

from .strategies import valid_text

# What the algorithm's rule X9 removes from the drawn line.
REMOVED = {"RLE", "LRE", "RLO", "LRO", "PDF", "BN"}


@pytest.mark.parametrize(
    ("character", "expected"),
    [
        ("\U0001fae8", "ON"),  # an emoji newer than Python 3.11's Unicode 14, unknown to unicodedata
        ("\u0378", "L"),  # unassigned, in the Greek block
        ("\u05ff", "R"),  # unassigned, in the Hebrew block
        ("\u07bf", "AL"),  # unassigned, in the Thaana block (Arabic-like default)
        ("\U00010ffd", "R"),
        ("\u20cf", "ET"),  # unassigned currency symbol
        ("\ufdd0", "BN"),  # noncharacter
        ("\U0010ffff", "BN"),
        ("\u2067", "ON"),  # RIGHT-TO-LEFT ISOLATE, which python-bidi does not implement
        ("\u2069", "ON"),
        ("ש", "R"),
        ("a", "L"),
    ],
)
def test_every_code_point_gets_a_class_the_algorithm_knows(character, expected):
    assert bidi_class(character) == expected


def test_known_code_points_keep_the_unicode_database_class():
    for character in "aש ,1(ب٠\u202b\u200d":
        assert bidi_class(character) == unicodedata.bidirectional(character)


def test_brand_with_a_character_newer_than_python_is_drawn_right_to_left():
    """U+1FAE8 made python-bidi raise AssertionError: the request ended in ERROR for good."""
    assert display_order("שוקו \U0001fae8 (טוב)", right_to_left=True) == "(בוט) \U0001fae8 וקוש"
    assert display_order("Choco \U0001fae8 שוק", right_to_left=False) == "Choco \U0001fae8 קוש"


def test_isolates_no_longer_stop_the_algorithm():
    assert display_order("שלום \u2067abc\u2069", right_to_left=True) == "\u2069abc\u2067 םולש"


def unmirrored(text: str) -> Counter:
    """The characters of `text`, a bracket and its mirror image counted as one."""
    return Counter(min(character, MIRRORED.get(character, character)) for character in text)


@given(line=valid_text, right_to_left=st.booleans())
def test_any_valid_line_is_reordered_without_losing_a_character(line, right_to_left):
    """Each character is kept (mirrored brackets aside), but the invisible ones rule X9 removes
    when the algorithm runs; a left-to-right line with nothing to reorder is drawn as typed."""
    drawn = display_order(line, right_to_left)
    if not right_to_left and drawn == line:
        return
    kept = "".join(character for character in line if bidi_class(character) not in REMOVED)
    assert len(drawn) == len(kept)
    assert unmirrored(drawn) == unmirrored(kept)
