"""Hypothesis strategies for text a visitor may type, in any script (shared by the PDF tests)."""

from hypothesis import strategies as st

# Code points that broke the PDF or are easy to get wrong: newer than Python's Unicode database
# (U+1FAE8, U+1FAE9), unassigned inside the right-to-left blocks (U+05FF, U+07FB, U+10FFD) and
# elsewhere (U+0378, U+10FFFF), noncharacters, the isolates and embeddings, bidi marks, mirrored
# brackets, Hebrew, Arabic and Arabic digits, zero-width joiners, combining marks, line breaks.
TRICKY = (
    "\U0001fae8\U0001fae9\u05ff\u07fb\U00010ffd\u0378\U0010ffff\ufdd0\uffff"
    "\u2066\u2067\u2068\u2069\u202a\u202b\u202c\u202d\u202e\u200e\u200f\u061c"
    "()[]{}<>«»שלוםאבגדהוזחטיכךלמםנןסעפףצץקרשתمرحبا٠١٢3٫,.:;-–—!?/%$₪€ "
    "\u200d\u200c\u00ad\u0301\u05b4\u05bc\n\r\t\x0b\x0c\x1c\x85\u2028\u2029\x01\x1f\x7f"
)

tricky_character = st.sampled_from(TRICKY)
# Any code point but the surrogates, which no valid (UTF-8 encodable) text contains.
any_character = st.characters(exclude_categories=["Cs"])
valid_text = st.text(st.one_of(tricky_character, any_character), max_size=120)
