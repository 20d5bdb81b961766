"""Right-to-left lines put in drawing order for the PDF, for any Unicode text.

python-bidi's pure-Python algorithm reads each character's bidi class from `unicodedata`, which
knows only Python's Unicode version (14.0 on Python 3.11). For a code point it does not know
(unassigned, or newer, such as U+1FAE8) `unicodedata.bidirectional` returns `''`, and for the
isolates (U+2066-U+2069) it returns `LRI`/`RLI`/`FSI`/`PDI`, which the algorithm does not
implement: both end in its `AssertionError` ("not allowed here"). So the classes are computed here
(`bidi_class`) and the library's steps are run on them (`display_order`):

- a code point `unicodedata` does not know gets its default class from UAX #9 (`R` in the Hebrew
  and other right-to-left blocks, `AL` in the Arabic ones, `ET` for currency symbols, `BN` for
  noncharacters and default-ignorables, `L` elsewhere), as the Unicode Character Database says,
  except in the emoji blocks, where a newer emoji is a neutral (`ON`) like every older one;
- an isolate becomes a neutral (`ON`): the text around it keeps its order, only the isolation
  itself is not honoured, which needs the newer algorithm the library lacks.
"""

import unicodedata

from bidi.algorithm import (
    PARAGRAPH_LEVELS,
    apply_mirroring,
    explicit_embed_and_overrides,
    get_empty_storage,
    reorder_resolved_levels,
    resolve_implicit_levels,
    resolve_neutral_types,
    resolve_weak_types,
)

# DerivedBidiClass.txt's defaults for unassigned code points, as (first, last, class).
_UNASSIGNED_DEFAULTS = [
    (0x0590, 0x05FF, "R"),
    (0x0600, 0x07BF, "AL"),
    (0x07C0, 0x085F, "R"),
    (0x0860, 0x08FF, "AL"),
    (0x20A0, 0x20CF, "ET"),
    (0x2060, 0x206F, "BN"),
    (0xFB1D, 0xFB4F, "R"),
    (0xFB50, 0xFDCF, "AL"),
    (0xFDD0, 0xFDEF, "BN"),
    (0xFDF0, 0xFDFF, "AL"),
    (0xFE70, 0xFEFF, "AL"),
    (0xFFF0, 0xFFF8, "BN"),
    (0x10800, 0x10CFF, "R"),
    (0x10D00, 0x10D3F, "AL"),
    (0x10D40, 0x10EBF, "R"),
    (0x10EC0, 0x10EFF, "AL"),
    (0x10F00, 0x10F2F, "R"),
    (0x10F30, 0x10F6F, "AL"),
    (0x10F70, 0x10FFF, "R"),
    (0x1E800, 0x1EC6F, "R"),
    (0x1EC70, 0x1ECBF, "AL"),
    (0x1ECC0, 0x1ECFF, "R"),
    (0x1ED00, 0x1ED4F, "AL"),
    (0x1ED50, 0x1EDFF, "R"),
    (0x1EE00, 0x1EEFF, "AL"),
    (0x1EF00, 0x1EFFF, "R"),
    # Not in DerivedBidiClass.txt's defaults: every symbol assigned in the emoji blocks is ON, so
    # an emoji newer than Python's database (U+1FAE8 SHAKING FACE) is taken as one.
    (0x1F300, 0x1FAFF, "ON"),
    (0xE0000, 0xE0FFF, "BN"),
]
_ISOLATES = {"LRI", "RLI", "FSI", "PDI"}
# Classes that can make a line anything but left to right as typed.
_RIGHT_TO_LEFT_CLASSES = {"R", "AL", "AN", "RLE", "RLO", "LRE", "LRO", "PDF"}


def bidi_class(character: str) -> str:
    """The bidi class python-bidi can work with, for any code point (see the module docstring)."""
    value = unicodedata.bidirectional(character)
    if value in _ISOLATES:
        return "ON"
    if value:
        return value
    code_point = ord(character)
    if (code_point & 0xFFFE) == 0xFFFE:  # the two noncharacters at the end of every plane
        return "BN"
    for first, last, default in _UNASSIGNED_DEFAULTS:
        if first <= code_point <= last:
            return default
    return "L"


def display_order(line: str, right_to_left: bool) -> str:
    """One line in the order its glyphs are drawn, left to right.

    python-bidi's pure-Python algorithm, not the package's top-level (Rust) `get_display`, which
    does not mirror brackets: with it `(שלום)` would be drawn `)םולש(`. A left-to-right line with
    no right-to-left character is already in display order: the algorithm, a fifth of a French
    PDF's time, is skipped. Explicit embedding marks and boundary neutrals (U+200D…) are dropped,
    as the algorithm's rule X9 says.
    """
    classes = [bidi_class(character) for character in line]
    if not right_to_left and _RIGHT_TO_LEFT_CLASSES.isdisjoint(classes):
        return line
    storage = get_empty_storage()
    base_level = PARAGRAPH_LEVELS["R" if right_to_left else "L"]
    storage["base_level"] = base_level
    storage["base_dir"] = "R" if right_to_left else "L"
    storage["chars"] = [
        {"ch": character, "level": base_level, "type": kind, "orig": kind}
        for character, kind in zip(line, classes, strict=True)
    ]
    explicit_embed_and_overrides(storage)
    resolve_weak_types(storage)
    resolve_neutral_types(storage, False)
    resolve_implicit_levels(storage, False)
    reorder_resolved_levels(storage, False)
    apply_mirroring(storage, False)
    return "".join(character["ch"] for character in storage["chars"])
