"""`{{ user|user_name }}`: a person named in a template as everywhere else (`crm.display.user_name`)."""

from django import template

from ..display import user_name as name_of

register = template.Library()


@register.filter
def user_name(user) -> str:
    return name_of(user)
