"""`{{ moment|datetime_html }}`, `{{ moment|datetime_html:"crm-overdue" }}`: a date and time in a
template as everywhere else (`crm.display.datetime_html`: one left-to-right run, in Hebrew too)."""

from django import template

from ..display import datetime_html as html_of

register = template.Library()


@register.filter
def datetime_html(moment, css_class: str = "") -> str:
    return html_of(moment, css_class)
