"""Amounts as the reader writes them: `36 000 ₪` in French, `€12,500` in English, `‏36,000 ‏₪` in Hebrew.

Babel's `format_currency` with the CLDR pattern of the active language (digit grouping, decimal
sign, where the symbol goes); a whole amount drops its cents, as people write prices.
"""

from decimal import Decimal

from babel import Locale
from babel.numbers import format_currency
from django.conf import settings
from django.utils.translation import get_language, to_locale


def format_money(amount: Decimal | int, currency: str, language: str | None = None) -> str:
    """`amount` in `currency` for a reader of `language` (default: the active language)."""
    locale = Locale.parse(to_locale(language or get_language() or settings.LANGUAGE_CODE))
    amount = Decimal(amount)
    if amount == amount.to_integral_value():
        whole = locale.currency_formats["standard"].pattern.replace(".00", "")
        return format_currency(amount, currency, format=whole, locale=locale, currency_digits=False)
    return format_currency(amount, currency, locale=locale)
