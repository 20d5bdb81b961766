"""My day's admin page: who may open it, whose rows it shows, and the one-click Done and reschedule
forms (POST, CSRF), which refuse another sales person's task."""

from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone, translation

from crm import services
from crm.models import Activity, ActivityKind
from crm.my_day import rescheduled

from .factories import LeadFactory, SalesPersonFactory, UserFactory

pytestmark = pytest.mark.django_db

MY_DAY = "/admin/crm/my-day/"


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def team():
    return {
        "boss": UserFactory(username="boss", is_superuser=True),
        "alice": SalesPersonFactory(username="alice"),
        "bob": SalesPersonFactory(username="bob"),
    }


def overdue_task(owner, subject: str) -> Activity:
    lead = LeadFactory(assigned_to=owner, brand_name=f"{subject} brand")
    return Activity.objects.create(
        kind=ActivityKind.TASK,
        subject=subject,
        due_at=timezone.now() - timedelta(hours=2),
        owner=owner,
        lead=lead,
    )


def test_my_day_is_at_admin_crm_my_day():
    assert reverse("admin:crm_my_day") == MY_DAY


def test_an_anonymous_visitor_is_sent_to_the_login_page(client):
    response = client.get(MY_DAY)
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")


def test_staff_without_the_crm_view_permission_is_refused(client):
    client.force_login(UserFactory(username="clerk"))
    assert client.get(MY_DAY).status_code == 403


def test_a_sales_person_sees_their_tasks_linked_to_their_records(client, team):
    task = overdue_task(team["alice"], "Call Alice's prospect")
    client.force_login(team["alice"])

    page = client.get(MY_DAY).content.decode()

    assert "Call Alice&#x27;s prospect" in page or "Call Alice's prospect" in page
    assert reverse("admin:crm_lead_change", args=[task.lead_id]) in page
    assert 'class="crm-overdue"' in page
    assert f'action="{reverse("admin:crm_my_day_done")}"' in page
    assert f'name="task" value="{task.pk}"' in page
    assert 'name="csrfmiddlewaretoken"' in page


def test_a_sales_person_asking_for_another_persons_day_gets_their_own(client, team):
    overdue_task(team["alice"], "Alice's task")
    overdue_task(team["bob"], "Bob's task")
    client.force_login(team["alice"])

    response = client.get(MY_DAY, {"owner": team["bob"].pk})

    assert "Alice&#x27;s task" in response.content.decode()
    assert "Bob&#x27;s task" not in response.content.decode()
    assert 'name="owner"' not in response.content.decode().split('id="content-main"')[1].split("<section")[0]


def test_a_manager_picks_a_person_or_everyone(client, team):
    overdue_task(team["alice"], "Alice's task")
    overdue_task(team["bob"], "Bob's task")
    client.force_login(team["boss"])

    bob = client.get(MY_DAY, {"owner": team["bob"].pk}).content.decode()
    everyone = client.get(MY_DAY, {"owner": "all"}).content.decode()

    assert "Bob&#x27;s task" in bob and "Alice&#x27;s task" not in bob
    assert "Bob&#x27;s task" in everyone and "Alice&#x27;s task" in everyone
    assert f'<option value="{team["bob"].pk}" selected>' in bob


def test_done_marks_the_task_done_and_comes_back_to_my_day_with_a_message(client, team):
    task = overdue_task(team["alice"], "Send the quote")
    client.force_login(team["alice"])

    response = client.post(
        reverse("admin:crm_my_day_done"), {"task": task.pk}, headers={"accept-language": "en"}
    )

    assert response.status_code == 302 and response["Location"] == MY_DAY
    task.refresh_from_db()
    assert task.done_at is not None
    task.lead.refresh_from_db()
    assert task.lead.next_action_at is None
    assert [str(message) for message in get_messages(response.wsgi_request)] == ["“Send the quote” is done."]


def test_reschedule_moves_the_task_and_the_prospects_next_action(client, team):
    task = overdue_task(team["alice"], "Call back")
    client.force_login(team["alice"])

    response = client.post(reverse("admin:crm_my_day_reschedule"), {"task": task.pk, "when": "week"})

    assert response.status_code == 302
    expected = rescheduled(task.due_at, days=7)
    task.refresh_from_db()
    task.lead.refresh_from_db()
    assert task.due_at == expected and task.lead.next_action_at == expected
    assert task.done_at is None


def test_a_manager_comes_back_to_the_queue_they_were_looking_at(client, team):
    task = overdue_task(team["bob"], "Bob's task")
    client.force_login(team["boss"])

    response = client.post(reverse("admin:crm_my_day_done"), {"task": task.pk, "owner": "all"})

    assert response["Location"] == f"{MY_DAY}?owner=all"


@pytest.mark.parametrize("route", ["admin:crm_my_day_done", "admin:crm_my_day_reschedule"])
def test_a_sales_person_cannot_complete_or_reschedule_another_persons_task(client, team, route):
    task = overdue_task(team["bob"], "Bob's task")
    due_at = task.due_at
    client.force_login(team["alice"])

    response = client.post(reverse(route), {"task": task.pk, "when": "tomorrow", "owner": team["bob"].pk})

    assert response.status_code == 404
    task.refresh_from_db()
    assert task.done_at is None and task.due_at == due_at


@pytest.mark.parametrize("task", ["", "abc", "999999"])
def test_a_post_naming_no_task_of_the_queue_is_refused(client, team, task):
    client.force_login(team["alice"])
    assert client.post(reverse("admin:crm_my_day_done"), {"task": task}).status_code == 404


@pytest.mark.parametrize("route", ["admin:crm_my_day_done", "admin:crm_my_day_reschedule"])
def test_the_forms_take_a_post_only(client, team, route):
    task = overdue_task(team["alice"], "Mine")
    client.force_login(team["alice"])
    assert client.get(reverse(route), {"task": task.pk}).status_code == 405


def test_the_forms_need_the_csrf_token(team):
    from django.test import Client

    task = overdue_task(team["alice"], "Mine")
    client = Client(enforce_csrf_checks=True)
    client.force_login(team["alice"])

    assert client.post(reverse("admin:crm_my_day_done"), {"task": task.pk}).status_code == 403


def test_a_viewer_without_the_change_permission_sees_no_buttons_and_may_not_post(client, team):
    viewer = UserFactory(username="viewer")
    viewer.user_permissions.add(*_permissions("view_activity"))
    task = overdue_task(viewer, "Viewer's task")
    client.force_login(viewer)

    page = client.get(MY_DAY).content.decode()

    assert "Viewer&#x27;s task" in page and reverse("admin:crm_my_day_done") not in page
    assert client.post(reverse("admin:crm_my_day_done"), {"task": task.pk}).status_code == 403


def test_my_day_is_one_click_from_the_navigation_of_every_admin_page(client, team):
    client.force_login(team["alice"])
    for url in [reverse("admin:index"), reverse("admin:crm_lead_changelist")]:
        assert f'href="{MY_DAY}"' in client.get(url).content.decode(), url


def test_my_day_is_in_the_header_of_every_admin_page_for_who_may_see_it(client, team):
    lead = LeadFactory(assigned_to=team["alice"])
    client.force_login(team["alice"])
    pages = [
        reverse("admin:index"),
        reverse("admin:crm_lead_changelist"),
        reverse("admin:crm_lead_change", args=[lead.pk]),
        reverse("admin:crm_opportunity_board"),
        MY_DAY,
    ]
    for url in pages:
        assert f'<a class="crm-header-my-day" href="{MY_DAY}">' in client.get(url).content.decode(), url

    client.force_login(UserFactory(username="no-tasks"))
    assert "crm-header-my-day" not in client.get(reverse("admin:index")).content.decode()


def _permissions(*codenames):
    from django.contrib.auth.models import Permission

    return Permission.objects.filter(content_type__app_label="crm", codename__in=codenames)


def test_the_prospects_group_links_to_the_list_of_exactly_its_prospects(client, team):
    for _ in range(3):
        LeadFactory(assigned_to=team["alice"])
    planned = overdue_task(team["alice"], "Planned")
    services.refresh_next_action(lead=planned.lead)  # its prospect has a next action
    LeadFactory(assigned_to=team["bob"])
    client.force_login(team["alice"])

    context = client.get(MY_DAY).context
    listed = client.get(context["leads_url"])

    assert listed.status_code == 200
    assert context["day"].no_next_action_count == len(listed.context["cl"].result_list) == 3
