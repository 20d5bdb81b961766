"""The prospects' display helpers: one-word sources, dates, and the re-exported bidi helpers."""

import contextlib
import datetime
from collections.abc import Iterator
from decimal import Decimal

from django.test import override_settings
from django.utils import formats, timezone, translation

from crm import display
from crm.models import Source


def test_source_label_is_one_word_with_the_full_label_as_tooltip():
    with translation.override("fr"):
        html = display.source_label(Source.MINI_ANALYSIS)
    assert html == '<span title="Formulaire de mini-analyse">Formulaire</span>'


def test_source_label_of_an_unknown_value_shows_it_escaped():
    assert display.source_label("<b>") == "&lt;b&gt;"


def test_short_source_labels_are_translated_in_hebrew():
    with translation.override("he"):
        assert [str(display.SHORT_SOURCE_LABELS[source]) for source in Source] == ["טופס", "העברה", "ידני"]


def test_date_html_shows_the_local_date_and_the_full_time_as_tooltip(settings):
    settings.TIME_ZONE = "Asia/Jerusalem"
    moment = datetime.datetime(2026, 3, 1, 22, 30, tzinfo=datetime.UTC)  # 2 March in Jerusalem
    with timezone.override("Asia/Jerusalem"), translation.override("en"):
        html = display.date_html(moment)
    assert html.startswith('<time datetime="2026-03-02T00:30:00+02:00"')
    assert html.endswith(">02/03/2026</time>")  # the site's one format, day first (igv_site/formats)
    assert 'title="02/03/2026 00:30"' in html


def test_the_same_moment_is_shown_in_each_zone_and_language_of_the_viewer():
    """The formatted dates are kept per moment, zone and language: never another viewer's. The site
    formats dates alike in its three languages, so Django's own formats (which differ) show it."""
    moment = datetime.datetime(2026, 3, 1, 22, 30, tzinfo=datetime.UTC)
    shown = {}
    with django_formats():
        for zone in ["Asia/Jerusalem", "UTC"]:
            for language in ["en", "fr", "he"]:
                with timezone.override(zone), translation.override(language):
                    shown[zone, language] = display.date_html(moment)
    assert shown["UTC", "en"].endswith(">03/01/2026</time>")
    assert shown["Asia/Jerusalem", "en"].endswith(">03/02/2026</time>")
    assert shown["Asia/Jerusalem", "fr"].endswith(">02/03/2026</time>")
    assert 'title="2 mars 2026 00:30"' in shown["Asia/Jerusalem", "fr"]
    assert len(set(shown.values())) == 6


@contextlib.contextmanager
def django_formats() -> Iterator[None]:
    """Django's per-language formats instead of the site's, and no date formatted with either kept."""
    try:
        with override_settings(FORMAT_MODULE_PATH=None):
            formats.reset_format_cache()
            display._date_html.cache_clear()
            yield
    finally:
        formats.reset_format_cache()
        display._date_html.cache_clear()


def test_phone_html_is_reexported_for_the_crm():
    assert display.phone_html("+972502345678") == '<bdi dir="ltr">+972 50-234-5678</bdi>'


def test_amount_html_groups_thousands_and_names_the_currency_in_its_tooltip():
    with translation.override("fr"):
        html = display.amount_html(Decimal("9999999999.99"), "ILS")
    assert html == '<span title="Nouveau shekel israélien">9\u202f999\u202f999\u202f999,99\u00a0₪</span>'


def test_day_html_shows_a_short_date_and_the_long_one_as_tooltip():
    """Under Django's English formats, where the two differ (the site's are one per language)."""
    with django_formats(), translation.override("en"):
        html = display.day_html(datetime.date(2026, 12, 31))
    assert html == '<time datetime="2026-12-31" title="Dec. 31, 2026">12/31/2026</time>'
    assert display.day_html(None) == display.EMPTY
