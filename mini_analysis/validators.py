"""What a brand name may be: one line of visible text.

The brand goes into the email's subject and body, the result page, the PDF and the CRM. A line
break there splits a subject or forges lines of the email; a bidi override or isolate
(U+202A to U+202E, U+2066 to U+2069) reorders what the reader sees (U+202E then `moc.elgoog`
reads `google.com`); a brand of invisible characters only looks empty everywhere it is shown. The form
validates with this, and the JSON API with the form, so both refuse the same brands.
"""

import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# Python's line boundaries (`str.splitlines`): LF, CR, VT, FF, FS, GS, RS, NEL, U+2028, U+2029.
LINE_BREAKS = frozenset(chr(code) for code in range(0x3000) if len(f"a{chr(code)}b".splitlines()) == 2)
# Embeddings and overrides (LRE, RLE, PDF, LRO, RLO), isolates (LRI, RLI, FSI, PDI).
BIDI_CONTROLS = frozenset(chr(code) for code in [*range(0x202A, 0x202F), *range(0x2066, 0x206A)])
# Unicode categories that draw nothing: controls, format characters (zero-width space and
# joiners, marks of direction, soft hyphen, tags…) and separators (spaces, line, paragraph).
INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Zs", "Zl", "Zp"})
# Letters and marks that draw nothing either (Unicode's Default_Ignorable_Code_Point ones outside
# those categories: Hangul fillers, variation selectors, …) and the blank Braille pattern.
INVISIBLE_CHARACTERS = frozenset(
    chr(code)
    for start, end in [
        (0x034F, 0x034F),
        (0x115F, 0x1160),
        (0x17B4, 0x17B5),
        (0x180B, 0x180F),
        (0x2800, 0x2800),
        (0x3164, 0x3164),
        (0xFE00, 0xFE0F),
        (0xFFA0, 0xFFA0),
        (0xE0100, 0xE01EF),
    ]
    for code in range(start, end + 1)
)


def is_line_break_or_control(character: str) -> bool:
    """A character that has no place inside one line of text: a control (line breaks, tab,
    NUL…), a line or paragraph separator, or a bidi embedding, override or isolate."""
    return unicodedata.category(character) == "Cc" or character in LINE_BREAKS or character in BIDI_CONTROLS


def is_invisible(character: str) -> bool:
    return unicodedata.category(character) in INVISIBLE_CATEGORIES or character in INVISIBLE_CHARACTERS


def validate_one_line_of_visible_text(value: str) -> None:
    """Refuse line breaks, other control characters, bidi embeddings, overrides and isolates,
    and text made only of invisible characters. Marks of direction (U+200E, U+200F) and
    joiners stay allowed inside a visible text: Hebrew and emoji need them."""
    if any(character in LINE_BREAKS for character in value):
        raise ValidationError(_("Write the brand name on one line."), code="line_break")
    if any(is_line_break_or_control(character) for character in value):
        raise ValidationError(
            _("Remove the invisible control characters (tab, text direction…) from the brand name."),
            code="control_character",
        )
    if all(is_invisible(character) for character in value):
        raise ValidationError(_("Enter a brand name with visible characters."), code="invisible")
