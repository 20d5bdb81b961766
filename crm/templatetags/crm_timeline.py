"""`{{ activity|email_delivery }}`: where an email of a timeline stands (`crm.display.email_delivery`)."""

from django import template

from ..display import email_delivery as delivery_of

register = template.Library()


@register.filter
def email_delivery(activity) -> str:
    return delivery_of(activity)
