"""Amounts as the reader writes them (`crm/money.py`): Babel's CLDR patterns, whole amounts without cents."""

from decimal import Decimal

import pytest
from django.utils import translation

from crm.money import format_money


@pytest.mark.parametrize(
    ("language", "amount", "currency", "written"),
    [
        ("fr", "36000", "ILS", "36\u202f000\xa0₪"),
        ("fr", "12500.5", "EUR", "12\u202f500,50\xa0€"),
        ("en", "12500", "EUR", "€12,500"),
        ("en", "99.99", "USD", "$99.99"),
        ("he", "36000", "ILS", "\u200f36,000\xa0\u200f₪"),
    ],
)
def test_an_amount_is_written_the_readers_way(language, amount, currency, written):
    assert format_money(Decimal(amount), currency, language) == written


def test_the_active_language_is_the_default():
    with translation.override("en"):
        assert format_money(Decimal("1000.00"), "ILS") == "₪1,000"
