"""The one-page PDF of a generated analysis (reportlab), saved through Django's default storage.

Laid out like the result page: the IGV band and mark at the top, the brand and its sector, then
the analysis in sections (`analysis_layout`: headings, paragraphs, bullet lists), and the "book a
call" link (`BOOK_A_CALL_URL`) at the foot. The body shrinks through `SCALES` until it fits one
page; past the smallest it is cut with "…" (an analysis is at most 250 words, so that takes
something abnormal).

Hebrew is drawn right to left: each paragraph is wrapped in logical order, then each line is
reordered for display (`text_direction.display_order`) and right-aligned. DejaVu Sans, shipped in
`fonts/`, has the Latin and Hebrew glyphs, so nothing is downloaded at run time; headings are
drawn with a stroked outline (a "fake bold") rather than shipping a second font.
"""

import io
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils import formats, translation
from django.utils.translation import gettext as _
from reportlab.lib.colors import HexColor, white
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import cm
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

from .analysis_layout import analysis_sections
from .models import MiniAnalysis
from .sectors import sector_label
from .text_direction import display_order

FONT_NAME = "DejaVuSans"
FONT_PATH = Path(__file__).resolve().parent / "fonts" / "DejaVuSans.ttf"
AUTHOR = "Israel Growth Ventures"
CREATOR = "igv-crm"
MARGIN = 2 * cm
BAND_HEIGHT = 2.2 * cm
FOOTER_HEIGHT = 2 * cm
SCALES = [1.0, 0.92, 0.84, 0.76, 0.68]  # of the body's sizes; the largest that fits one page wins
TRUNCATION_MARK = "…"
# The brand's colours, as in static/css/site.css (--brand-navy, --brand-gold, --ink, --muted).
NAVY = HexColor("#0b3d6e")
GOLD = HexColor("#f2a900")
INK = HexColor("#1d2433")
MUTED = HexColor("#5b6475")
TINT = HexColor("#eef4fb")
# Lone surrogates cannot be encoded; C0/C1 controls have no glyph (a tab reads as a space).
UNDRAWABLE = re.compile("[\ud800-\udfff]")
CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


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
    language = mini_analysis.language
    right_to_left = translation.get_language_info(language)["bidi"]
    brand = drawable(mini_analysis.brand_name)
    with translation.override(language):
        sector = sector_label(mini_analysis.sector) or "—"
        heading = _("Market mini-analysis")
        subtitle = _("Sector: %(sector)s · Date: %(date)s") % {
            "sector": sector,
            "date": formats.date_format(mini_analysis.created_at, "DATE_FORMAT"),
        }
        call = _("Book a call with IGV") if settings.BOOK_A_CALL_URL else ""
        footer = _("Israel Growth Ventures · a preliminary analysis, to be confirmed with a consultant")

    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pagesize=A4, pageCompression=1, lang=language)
    page.setTitle(f"{heading} — {brand}")
    page.setAuthor(AUTHOR)
    page.setSubject(f"{heading}: {brand} ({sector})")
    page.setCreator(CREATOR)
    page.setKeywords([AUTHOR, sector, language])
    width, height = A4
    writer = _LineWriter(page, right_to_left, left=MARGIN, right=width - MARGIN)

    _draw_band(page, writer, width, height)
    y = height - BAND_HEIGHT - 0.9 * cm
    y = writer.paragraph(heading, 10.5, y, leading=15, color=NAVY)
    y = writer.paragraph(brand, 20, y, leading=26, color=INK, bold=True)
    y = writer.paragraph(subtitle, 9.5, y, leading=14, color=MUTED)
    page.setStrokeColor(GOLD)
    page.setLineWidth(1.5)
    page.line(MARGIN, y - 2, width - MARGIN, y - 2)
    y -= 16

    bottom = MARGIN + FOOTER_HEIGHT
    rows = _fit(drawable(mini_analysis.analysis_text), y - bottom, writer.width)
    for row in rows:
        writer.line(row.text, row.size, y - row.size, color=row.color, bold=row.bold, indent=row.indent)
        if row.bullet:
            writer.bullet(row.size, y - row.size, row.indent)
        if row.rule:
            page.setStrokeColor(TINT)
            page.setLineWidth(1)
            page.line(MARGIN, y - row.leading + 2, width - MARGIN, y - row.leading + 2)
        y -= row.leading

    _draw_footer(page, writer, width, call, footer)
    page.showPage()
    page.save()
    return buffer.getvalue()


def drawable(text: str) -> str:
    """`text` with what no font can draw replaced (a lone surrogate: U+FFFD) or dropped (controls)."""
    return CONTROL.sub("", UNDRAWABLE.sub("\ufffd", text.replace("\t", " ")))


@dataclass
class _Row:
    """One drawn line of the body, with the space it takes (`leading`) below its top."""

    text: str
    size: float
    leading: float
    color: HexColor = INK
    bold: bool = False
    indent: float = 0
    bullet: bool = False
    rule: bool = False


def _body_rows(text: str, width: float, scale: float) -> list[_Row]:
    """The analysis as lines at `scale`: section headings, wrapped paragraphs, bulleted items.
    A first section without a heading (the "preliminary analysis" note) is muted."""
    body, heading_size = 11.5 * scale, 14 * scale
    bullet_indent = 1.3 * body
    rows: list[_Row] = []
    for number, section in enumerate(analysis_sections(text)):
        if number:
            rows.append(_Row("", body, 0.55 * body))
        color = MUTED if number == 0 and not section.heading else INK
        if section.heading:
            for line in _wrap(section.heading, heading_size, width):
                rows.append(_Row(line, heading_size, heading_size * 1.3, NAVY, bold=True))
            rows[-1].rule = True
            rows[-1].leading += 0.35 * body
        for block in section.blocks:
            indent = bullet_indent if block.is_list else 0
            for item in block.items:
                for index, line in enumerate(_wrap(item, body, width - indent)):
                    bullet = block.is_list and index == 0
                    rows.append(_Row(line, body, body * 1.45, color, indent=indent, bullet=bullet))
    return rows


def _fit(text: str, available: float, width: float) -> list[_Row]:
    """The rows at the largest scale that fits `available`; past the smallest, cut with "…"."""
    for scale in SCALES:
        rows = _body_rows(text, width, scale)
        if sum(row.leading for row in rows) <= available:
            return rows
    kept, used = [], 0.0
    for row in rows:
        if used + row.leading > available:
            break
        kept.append(row)
        used += row.leading
    if kept:
        kept[-1].text = f"{kept[-1].text} {TRUNCATION_MARK}".strip()
    return kept


class _LineWriter:
    def __init__(self, page: canvas.Canvas, right_to_left: bool, *, left: float, right: float) -> None:
        self.page = page
        self.right_to_left = right_to_left
        self.left = left
        self.right = right
        self.width = right - left

    def line(
        self,
        text: str,
        size: float,
        baseline: float,
        *,
        color: HexColor = INK,
        bold: bool = False,
        indent: float = 0,
        left: float | None = None,
        right: float | None = None,
    ) -> None:
        """One line, drawn from the start side (left, or right for Hebrew), `indent` in from it."""
        left = self.left if left is None else left
        right = self.right if right is None else right
        text_object = self.page.beginText()
        text_object.setFont(FONT_NAME, size)
        text_object.setFillColor(color)
        self.page.saveState()  # the bold line's render mode and stroke end with the line
        if bold:
            text_object.setTextRenderMode(2)  # fill and stroke: a bolder face from the same font
            self.page.setStrokeColor(color)
            self.page.setLineWidth(size * 0.035)
        visual = display_order(text, self.right_to_left)
        x = left + indent
        if self.right_to_left:
            x = right - indent - pdfmetrics.stringWidth(visual, FONT_NAME, size)
        text_object.setTextOrigin(x, baseline)
        text_object.textOut(visual)
        self.page.drawText(text_object)
        self.page.restoreState()

    def bullet(self, size: float, baseline: float, indent: float) -> None:
        """A gold square in the list item's indent, on the start side."""
        side = size * 0.38
        centre = self.right - indent / 2 if self.right_to_left else self.left + indent / 2
        self.page.setFillColor(GOLD)
        self.page.rect(centre - side / 2, baseline + size * 0.22, side, side, stroke=0, fill=1)

    def paragraph(
        self, text: str, size: float, y: float, *, leading: float, color: HexColor = INK, bold: bool = False
    ) -> float:
        for line in _wrap(text, size, self.width):
            self.line(line, size, y - size, color=color, bold=bold)
            y -= leading
        return y


def _draw_band(page: canvas.Canvas, writer: _LineWriter, width: float, height: float) -> None:
    """The navy band with the IGV mark (static/img/logo.svg's shapes) and name, a gold rule below."""
    page.setFillColor(NAVY)
    page.rect(0, height - BAND_HEIGHT, width, BAND_HEIGHT, stroke=0, fill=1)
    page.setFillColor(GOLD)
    page.rect(0, height - BAND_HEIGHT - 3, width, 3, stroke=0, fill=1)
    mark = 1.2 * cm
    unit = mark / 32
    top = height - (BAND_HEIGHT - mark) / 2
    start = width - MARGIN - mark if writer.right_to_left else MARGIN
    page.setFillColor(white)
    page.setStrokeColor(white)
    page.setLineWidth(1)
    page.roundRect(start, top - mark, mark, mark, 6 * unit, stroke=1, fill=0)
    for x, y, bar_width, bar_height, color in [
        (6, 18, 5, 8, white),
        (13.5, 13, 5, 13, white),
        (21, 7, 5, 19, GOLD),
    ]:
        page.setFillColor(color)
        page.rect(start + x * unit, top - (y + bar_height) * unit, bar_width * unit, bar_height * unit, 0, 1)
    name_left, name_right = MARGIN + mark + 0.4 * cm, width - MARGIN - mark - 0.4 * cm
    # The name is Latin whatever the language: drawn left to right next to the mark.
    names = _LineWriter(page, False, left=name_left, right=name_right)
    if writer.right_to_left:
        names.left = name_right - pdfmetrics.stringWidth("Israel Growth Ventures", FONT_NAME, 11)
    names.line("IGV", 15, top - 15, color=white, bold=True)
    names.line("Israel Growth Ventures", 11, top - mark + 1, color=white)


def _draw_footer(page: canvas.Canvas, writer: _LineWriter, width: float, call: str, footer: str) -> None:
    """The "book a call" link (when `BOOK_A_CALL_URL` is set) and IGV's line, above the margin."""
    y = MARGIN + FOOTER_HEIGHT - 0.5 * cm
    page.setStrokeColor(TINT)
    page.setLineWidth(1)
    page.line(MARGIN, y + 0.35 * cm, width - MARGIN, y + 0.35 * cm)
    if call:
        url = settings.BOOK_A_CALL_URL
        writer.line(call, 11, y - 11, color=NAVY, bold=True)
        if pdfmetrics.stringWidth(url, FONT_NAME, 8.5) <= writer.width:
            writer.line(url, 8.5, y - 24, color=MUTED)
        page.linkURL(url, (MARGIN, y - 28, width - MARGIN, y + 2), relative=0)
    writer.line(footer, 7.5, MARGIN - 0.3 * cm, color=MUTED)


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
