"""A timeline's filters: `{{ activity|email_delivery }}`, where an email stands, and
`{{ record|record_label }}`, what an activity is on (`crm.display`)."""

from django import template

from ..display import email_delivery as delivery_of
from ..display import record_label as label_of

register = template.Library()


@register.filter
def email_delivery(activity) -> str:
    return delivery_of(activity)


@register.filter
def record_label(record) -> str:
    return label_of(record)
