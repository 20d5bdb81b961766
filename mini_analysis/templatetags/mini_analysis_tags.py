"""Template helpers of the public pages: the analysis laid out in sections, the brand's links."""

from django import template
from django.conf import settings

from mini_analysis.analysis_layout import Section, analysis_sections

register = template.Library()


@register.filter
def sections(text: str) -> list[Section]:
    """`{% for section in mini_analysis.analysis_text|sections %}`: see `analysis_layout`."""
    return analysis_sections(text or "")


@register.simple_tag
def book_a_call_url() -> str:
    """`BOOK_A_CALL_URL`, or '' when the operator set none (the link is then left out)."""
    return settings.BOOK_A_CALL_URL
