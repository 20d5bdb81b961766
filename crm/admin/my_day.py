"""My day's admin page (`/admin/crm/my-day/`) and its two one-click forms: done, and rescheduled.

Registered on the admin site by `igv_site.admin.AdminSite.get_urls` (through `admin_view`, so staff
only) and listed in its navigation (`nav_entry`). The reads are `crm.my_day`, the writes
`services.complete_task` and `services.reschedule_task`; a POST is a plain form with its CSRF
token, answered by a redirect back to My day with a message.
"""

from functools import partial

from django.contrib import messages
from django.contrib.admin import AdminSite
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.http import urlencode
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from .. import display, services, visibility
from ..models import Activity
from ..my_day import (
    EVERYONE,
    NOBODY,
    OPEN_LEAD_STAGES,
    ROWS_PER_GROUP,
    MyDay,
    Owner,
    my_day,
    owner_tasks,
    queue_tasks,
    rescheduled,
    resolve_owner,
)
from ..selectors import active_staff

# The reschedule buttons: how many days after today each one moves a task.
RESCHEDULE_DAYS = {"tomorrow": 1, "week": 7}


def may_view(request: HttpRequest) -> bool:
    return request.user.has_perm("crm.view_activity")


def urls(site: AdminSite) -> list:
    return [
        path("crm/my-day/", site.admin_view(partial(my_day_view, site=site)), name="crm_my_day"),
        path("crm/my-day/done/", site.admin_view(complete_view), name="crm_my_day_done"),
        path("crm/my-day/reschedule/", site.admin_view(reschedule_view), name="crm_my_day_reschedule"),
    ]


def nav_entry(request: HttpRequest) -> dict | None:
    """My day as a row of the CRM's app list (the index and the navigation sidebar)."""
    if not may_view(request):
        return None
    return {
        "model": None,
        "name": gettext("My day"),
        "object_name": "MyDay",
        "perms": {"view": True},
        "admin_url": reverse("admin:crm_my_day"),
        "add_url": None,
        "view_only": True,
    }


def my_day_url(owner: Owner | None = None) -> str:
    url = reverse("admin:crm_my_day")
    return f"{url}?{urlencode({'owner': owner.value})}" if owner is not None else url


def my_day_view(request: HttpRequest, *, site: AdminSite) -> HttpResponse:
    if not may_view(request):
        raise PermissionDenied
    user = request.user
    owner = resolve_owner(user, request.GET.get("owner"))
    day = my_day(user, owner=owner)
    _link_rows(day)
    manager = visibility.sees_everything(user)
    context = {
        **site.each_context(request),
        "title": gettext("My day"),
        "day": day,
        "manager": manager,
        "owner_choices": _owner_choices(user) if manager else [],
        "show_owner": manager and owner.everyone,
        "can_change": user.has_perm("crm.change_activity"),
        "rows_per_group": ROWS_PER_GROUP,
        "done_url": reverse("admin:crm_my_day_done"),
        "reschedule_url": reverse("admin:crm_my_day_reschedule"),
        "leads_url": _leads_url(owner) if user.has_perm("crm.view_lead") else "",
    }
    return TemplateResponse(request, "admin/crm/my_day.html", context)


def _change_url(model_name: str):
    """`pk -> the record's admin page`, reversing the URL once for a page of rows (a reverse per
    row was a fifth of the page's time)."""
    prefix, suffix = reverse(f"admin:crm_{model_name}_change", args=[0]).rsplit("/0/", 1)
    return lambda pk: f"{prefix}/{pk}/{suffix}"


def _link_rows(day: MyDay) -> None:
    """Each row's link to what it is about: a task's opportunity, else contact, else prospect."""
    urls = {name: _change_url(name) for name in ("opportunity", "contact", "lead")}
    for task in [*day.overdue, *day.due_today]:
        name = next(name for name in urls if getattr(task, f"{name}_id"))
        record = getattr(task, name)
        task.about_url = urls[name](record.pk)
        task.about_label = record.brand_name if name == "lead" else str(record)
    for lead in day.no_next_action:
        lead.about_url = urls["lead"](lead.pk)


def _owner_choices(user) -> list[tuple[str, str]]:
    staff = [(str(person.pk), person.get_full_name() or person.get_username()) for person in active_staff()]
    return [
        (str(user.pk), gettext("Me")),
        (EVERYONE, gettext("Everyone")),
        (NOBODY, gettext("Nobody (tasks without an owner)")),
        *((value, label) for value, label in staff if value != str(user.pk)),
    ]


def _leads_url(owner: Owner) -> str:
    """The prospects list showing the third group entirely (the page shows its first rows)."""
    query = [("stage__in", ",".join(OPEN_LEAD_STAGES)), ("next_action_at_when", "none")]
    if owner.everyone:
        query.append(("assigned_to__isnull", "False"))
    elif owner.user is None:
        query.append(("assigned_to__isnull", "True"))
    else:
        query.append(("assigned_to__id__exact", owner.user.pk))
    return f"{reverse('admin:crm_lead_changelist')}?{urlencode(query)}"


def _task_to_change(request: HttpRequest) -> Activity:
    """The task a POST names (`task`) and may change: one of the user's own queue (a manager: any
    queue's), else 404. (One form action for every row: a page of tasks reverses no URL per row.)"""
    user = request.user
    if not user.has_perm("crm.change_activity"):
        raise PermissionDenied
    pk = request.POST.get("task", "")
    if not pk.isdigit():
        raise Http404
    if visibility.sees_everything(user):
        tasks = queue_tasks(visibility.visible_activities(user))
    else:
        tasks = owner_tasks(user, Owner(user))
    task = tasks.filter(pk=int(pk)).first()
    if task is None:
        raise Http404
    return task


def _back(request: HttpRequest) -> HttpResponseRedirect:
    """Back to the queue the form was posted from (as the user may see it)."""
    requested = request.POST.get("owner")
    owner = resolve_owner(request.user, requested) if requested else None
    return HttpResponseRedirect(my_day_url(owner))


@require_POST
def complete_view(request: HttpRequest) -> HttpResponse:
    task = _task_to_change(request)
    services.complete_task(task, user=request.user)
    messages.success(request, gettext("“%(task)s” is done.") % {"task": task.subject})
    return _back(request)


@require_POST
def reschedule_view(request: HttpRequest) -> HttpResponse:
    task = _task_to_change(request)
    days = RESCHEDULE_DAYS.get(request.POST.get("when", ""))
    if days is None:
        messages.error(request, gettext("This date is not one of the choices."))
        return _back(request)
    due_at = rescheduled(task.due_at, days=days)
    services.reschedule_task(task, user=request.user, due_at=due_at)
    when = display.datetime_text(due_at)
    messages.success(request, gettext("“%(task)s” moved to %(when)s.") % {"task": task.subject, "when": when})
    return _back(request)
