"""`{{ amount|money:currency }}`: an amount formatted for the reader's language (`crm.money`)."""

from decimal import Decimal

from django import template

from ..money import format_money

register = template.Library()


@register.filter
def money(amount: Decimal | int | None, currency: str) -> str:
    return "" if amount is None else format_money(amount, currency)
