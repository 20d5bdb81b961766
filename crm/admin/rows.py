"""The prospects' and contacts' list rows in one pass: Django's markup, without its per-cell overhead.

Django's `items_for_result` does generic work for every cell (a field lookup, `display_for_value`,
a `format_html` per cell, a `reverse()` and `add_preserved_filters` per row). On the prospects
page, 50 rows x 10 columns, that was a fifth of the time to draw it (`bench/prospects.py`). When
every column is a ModelAdmin method that returns its own HTML or a foreign key (the prospects and
contacts pages), the row's markup is the same string each time but for the values: the change URL
is reversed once per page, each cell is one f-string, each row one join. The output is byte for byte Django's
(`crm/tests/test_admin_rows.py` compares them); any other changelist (editable columns, model
fields as columns, a popup, `to_field`) goes through Django's own code.

No library does this; it is used by `{% crm_result_list %}` in `admin/crm/lead/change_list.html`
and `admin/crm/contact/change_list.html`. A search makes Django's rows dearer still: each link
then carries the list's filters, which `add_preserved_filters` finds by resolving the URL, per row
and link column (once per page here).
"""

import datetime
from collections.abc import Callable
from operator import attrgetter

from django.contrib.admin.templatetags import admin_list
from django.contrib.admin.templatetags.admin_urls import add_preserved_filters
from django.contrib.admin.utils import display_for_value
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.urls import reverse
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe

# Stands for the primary key in the change URL reversed once per page.
PK_MARKER = "0crm0row0pk0"


def results(cl: ChangeList) -> list:
    """The rows for `change_list_results.html`: one HTML string per row when `cl` qualifies."""
    columns = _method_columns(cl)
    around_pk = _change_url_around_pk(cl) if columns is not None else None
    if columns is None or around_pk is None:
        return list(admin_list.results(cl))
    url_before_pk, url_after_pk = around_pk
    rows = []
    for result in cl.result_list:
        cells = []
        for name, method, empty, boolean, tag, nowrap in columns:
            value = method(result)
            html = _cell_html(value, empty, boolean)
            classes = "action-checkbox" if name == "action_checkbox" else f"field-{name}"
            if nowrap or isinstance(value, datetime.date | datetime.time):
                classes += " nowrap"
            if tag:
                html = f'<a href="{url_before_pk}{result.pk}{url_after_pk}">{html}</a>'
            cells.append(f'<{tag or "td"} class="{classes}">{html}</{tag or "td"}>')
        # Each value went through `_cell_html` (escaped unless already safe), the URL is escaped.
        rows.append(admin_list.ResultList(None, [mark_safe("".join(cells))]))  # noqa: S308
    return rows


def _method_columns(cl: ChangeList) -> list[tuple[str, Callable, str, bool, str, bool]] | None:
    """(name, value of a row, empty display, boolean, link tag, nowrap) per column; the link tag is
    "th" for the first link column, "td" for the others, "" for a column without a link (Django's
    rules). A column is a ModelAdmin method, or a foreign key (the related record's `str`, which
    `list_select_related` fetched with the row: the contacts' company). None when another column
    or the page needs Django's other cases."""
    if cl.formset or cl.is_popup or cl.to_field or not cl.list_display_links:
        return None
    if not isinstance(cl.opts.pk, models.AutoField | models.BigAutoField | models.IntegerField):
        return None  # a non-integer key is quoted into the URL: left to Django's `reverse()`
    model_admin = cl.model_admin
    default_empty = model_admin.get_empty_value_display()
    columns = []
    links = 0
    for name in cl.list_display:
        if not isinstance(name, str):
            return None
        tag = ""
        if name in cl.list_display_links:
            tag = "td" if links else "th"
            links += 1
        if _is_foreign_key(cl.opts, name):
            # Django: the related record, or the admin's empty display; always "nowrap".
            columns.append((name, attrgetter(name), default_empty, False, tag, True))
            continue
        if not _is_admin_method(model_admin, name):
            return None
        method = getattr(model_admin, name)
        empty = getattr(method, "empty_value_display", default_empty)
        columns.append((name, method, empty, getattr(method, "boolean", False), tag, False))
    return columns


def _is_foreign_key(opts, name: str) -> bool:
    try:
        return isinstance(opts.get_field(name), models.ForeignKey)
    except FieldDoesNotExist:
        return False


def _is_admin_method(model_admin, name: str) -> bool:
    """What Django's `lookup_field` calls as the ModelAdmin's method: a name that is no field."""
    try:
        model_admin.model._meta.get_field(name)
    except FieldDoesNotExist:
        return name != "__str__" and callable(getattr(model_admin, name, None))
    return False


def _change_url_around_pk(cl: ChangeList) -> tuple[str, str] | None:
    """A row's change URL, preserved filters included, escaped, split around its primary key (None
    when a filter or a search happens to contain the marker: Django's code draws that page)."""
    opts = cl.opts
    url = reverse(
        f"admin:{opts.app_label}_{opts.model_name}_change",
        args=(PK_MARKER,),
        current_app=cl.model_admin.admin_site.name,
    )
    url = add_preserved_filters({"preserved_filters": cl.preserved_filters, "opts": opts}, url)
    parts = conditional_escape(url).split(PK_MARKER)
    return (parts[0], parts[1]) if len(parts) == 2 else None


def _cell_html(value, empty: str, boolean: bool) -> str:
    """What Django shows for a ModelAdmin method's value (`display_for_value`), escaped."""
    if not boolean and isinstance(value, SafeString):
        return value if value.strip() else conditional_escape(empty)
    if isinstance(value, str) and value.strip() == "":
        value = ""
    return conditional_escape(display_for_value(value, empty, boolean))
