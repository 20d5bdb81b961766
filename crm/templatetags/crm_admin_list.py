"""`{% crm_result_list cl %}`: Django's `{% result_list cl %}` with the rows of `crm.admin.rows`.

Same template (`change_list_results.html`, per-model overrides included), same headers; only
the rows are drawn in one pass.
"""

from django import template
from django.contrib.admin.templatetags import admin_list
from django.contrib.admin.templatetags.base import InclusionAdminNode

from crm.admin import rows

register = template.Library()


def result_list(cl) -> dict:
    headers = list(admin_list.result_headers(cl))
    return {
        "cl": cl,
        "result_hidden_fields": list(admin_list.result_hidden_fields(cl)),
        "result_headers": headers,
        "num_sorted_fields": sum(1 for header in headers if header["sortable"] and header["sorted"]),
        "results": rows.results(cl),
    }


@register.tag(name="crm_result_list")
def result_list_tag(parser, token):
    return InclusionAdminNode(
        parser, token, func=result_list, template_name="change_list_results.html", takes_context=False
    )
