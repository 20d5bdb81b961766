"""The one-page PDF of a generated analysis (reportlab), saved through Django's default storage.

Hebrew is drawn right to left: each paragraph is wrapped in logical order, then each line is
reordered for display with python-bidi and right-aligned. DejaVu Sans, shipped in `fonts/`, has
the Latin and Hebrew glyphs, so nothing is downloaded at run time.
"""

import io
import re
from pathlib import Path
from urllib.parse import urlsplit

from bidi.algorithm import get_display
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils import formats, translation
from django.utils.translation import gettext as _
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import cm
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

from .models import MiniAnalysis
from .sectors import sector_label

FONT_NAME = "DejaVuSans"
FONT_PATH = Path(__file__).resolve().parent / "fonts" / "DejaVuSans.ttf"
MARGIN = 2 * cm
BODY_SIZES = [10.5, 9.5, 8.5, 7.5]  # the largest that fits on one page wins
TRUNCATION_MARK = "…"
# Hebrew, Arabic, Syriac, Thaana, NKo… and their presentation forms: the strong right-to-left letters.
RIGHT_TO_LEFT_LETTER = re.compile("[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufefc]")


def pdf_storage_name(mini_analysis: MiniAnalysis) -> str:
    return f"mini-analyses/{mini_analysis.request_id}.pdf"


def save_pdf(mini_analysis: MiniAnalysis) -> str:
    """Render and store the PDF (replacing an older one); return the URL that serves it."""
    name = pdf_storage_name(mini_analysis)
    content = render_pdf(mini_analysis)
    if default_storage.exists(name):
        default_storage.delete(name)
    default_storage.save(name, ContentFile(content))
    with translation.override(mini_analysis.language):
        return reverse("mini_analysis:pdf", kwargs={"request_id": mini_analysis.request_id})


def render_pdf(mini_analysis: MiniAnalysis) -> bytes:
    _register_font()
    right_to_left = translation.get_language_info(mini_analysis.language)["bidi"]
    with translation.override(mini_analysis.language):
        title = mini_analysis.brand_name
        subtitle = _("Sector: %(sector)s · Date: %(date)s") % {
            "sector": sector_label(mini_analysis.sector) or "—",
            "date": formats.date_format(mini_analysis.created_at, "DATE_FORMAT"),
        }
        heading = _("Market mini-analysis")

    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pagesize=A4, pageCompression=1)
    page.setTitle(f"{heading} — {mini_analysis.brand_name}")
    page.setAuthor("Israel Growth Ventures")
    width, height = A4
    text_width = width - 2 * MARGIN
    writer = _LineWriter(page, right_to_left, left=MARGIN, right=width - MARGIN)

    y = height - MARGIN
    y = writer.paragraph(heading, 11, y, text_width, leading=15)
    y = writer.paragraph(title, 18, y, text_width, leading=24)
    y = writer.paragraph(subtitle, 10, y, text_width, leading=14)
    y -= 10
    page.setLineWidth(0.5)
    page.line(MARGIN, y + 6, width - MARGIN, y + 6)
    y -= 8

    available = y - MARGIN
    for size in BODY_SIZES:
        lines = _wrap(mini_analysis.analysis_text, size, text_width)
        leading = size * 1.35
        if len(lines) * leading <= available:
            break
    else:
        fitting = int(available // leading)
        lines = [*lines[: fitting - 1], lines[fitting - 1] + " " + TRUNCATION_MARK]
    for line in lines:
        writer.line(line, size, y - size)
        y -= leading
    page.showPage()
    page.save()
    return buffer.getvalue()


class _LineWriter:
    def __init__(self, page: canvas.Canvas, right_to_left: bool, *, left: float, right: float) -> None:
        self.page = page
        self.right_to_left = right_to_left
        self.left = left
        self.right = right

    def line(self, text: str, size: float, baseline: float) -> None:
        self.page.setFont(FONT_NAME, size)
        visual = display_order(text, self.right_to_left)
        if self.right_to_left:
            self.page.drawRightString(self.right, baseline, visual)
        else:
            self.page.drawString(self.left, baseline, visual)

    def paragraph(self, text: str, size: float, y: float, width: float, *, leading: float) -> float:
        for line in _wrap(text, size, width):
            self.line(line, size, y - size)
            y -= leading
        return y


def display_order(line: str, right_to_left: bool) -> str:
    """One line in the order its glyphs are drawn, left to right. python-bidi's pure-Python
    algorithm, not the package's top-level (Rust) `get_display`, which does not mirror brackets:
    with it `(שלום)` would be drawn `)םולש(`. A left-to-right line without a right-to-left letter
    is already in display order: the algorithm, a fifth of a French PDF's time, is skipped."""
    if not right_to_left and not RIGHT_TO_LEFT_LETTER.search(line):
        return line
    return get_display(line, base_dir="R" if right_to_left else "L")


def _wrap(text: str, size: float, width: float) -> list[str]:
    """Lines in logical order; an empty source line stays an empty line (paragraph spacing)."""
    lines: list[str] = []
    for paragraph in text.splitlines() or [""]:
        lines.extend(simpleSplit(paragraph, FONT_NAME, size, width) or [""])
    return lines


def _register_font() -> None:
    if FONT_NAME not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(FONT_NAME, str(FONT_PATH)))


def is_linkable_pdf_url(url: str) -> bool:
    """Whether a stored `pdf_url` may be a link: an absolute http(s) URL, or a path of this site
    (`/…`, not the protocol-relative `//…` or `/\\…`). Never `javascript:`, `data:` and the like,
    which legacy data may carry; the import refuses them and the admin shows them as text."""
    if not url or any(ord(char) < 32 or ord(char) == 127 for char in url):
        return False
    parts = urlsplit(url)
    if parts.scheme in ("http", "https"):
        return bool(parts.netloc)
    return url.startswith("/") and url[1:2] not in ("/", "\\")
