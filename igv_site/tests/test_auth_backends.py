"""`igv_site.auth_backends`: a person's permissions in one statement, the same set as Django's."""

import pytest
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import AnonymousUser, Group, Permission
from django.contrib.auth.signals import user_login_failed
from django.contrib.sessions.backends.db import SessionStore
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from crm.tests.factories import LeadFactory, SalesPersonFactory, UserFactory
from igv_site.auth_backends import ModelBackendInOneQuery

pytestmark = pytest.mark.django_db


def permission(codename: str) -> Permission:
    return Permission.objects.get(codename=codename)


def holding(kind: str):
    """A person holding permissions in one way (fresh from the database: no cache on it)."""
    user = UserFactory()
    first, second = Group.objects.create(name="first"), Group.objects.create(name="second")
    first.permissions.add(permission("view_lead"), permission("change_lead"))
    second.permissions.add(permission("change_lead"), permission("view_opportunity"))
    if kind in ("own", "own and groups"):
        user.user_permissions.add(permission("view_lead"), permission("add_activity"))
    if kind in ("groups", "own and groups"):
        user.groups.add(first, second)
    if kind == "sales group":
        user.groups.add(Group.objects.get(name="Sales"))
    if kind == "inactive":
        user.user_permissions.add(permission("view_lead"))
        user.is_active = False
    if kind == "superuser":
        user.is_superuser = True
    user.save()
    return get_user_model().objects.get(pk=user.pk)


@pytest.mark.parametrize(
    "kind", ["none", "own", "groups", "own and groups", "sales group", "inactive", "superuser"]
)
def test_the_permissions_are_djangos_whatever_way_they_are_held(kind):
    user = holding(kind)
    expected = ModelBackend().get_all_permissions(get_user_model().objects.get(pk=user.pk))
    assert ModelBackendInOneQuery().get_all_permissions(user) == expected
    if kind in ("own and groups", "sales group"):
        assert expected  # the comparison is of something


def test_an_anonymous_person_and_an_objects_permissions_are_djangos():
    user = holding("own and groups")
    assert ModelBackendInOneQuery().get_all_permissions(AnonymousUser()) == set()
    assert ModelBackendInOneQuery().get_all_permissions(user, obj=LeadFactory()) == set()


def test_a_sales_persons_permissions_are_read_in_one_statement_and_once_per_request():
    user = holding("own and groups")
    with CaptureQueriesContext(connection) as queries:
        assert user.has_perm("crm.view_lead") and user.has_perm("crm.view_opportunity")
        assert not user.has_perm("crm.delete_lead")
    assert len(queries) == 1
    fresh = get_user_model().objects.get(pk=user.pk)
    with CaptureQueriesContext(connection) as django_queries:
        ModelBackend().get_all_permissions(fresh)
    assert len(django_queries) == 2  # Django's own: the person's, then their groups'


def test_ours_is_the_backend_that_reads_the_permissions():
    """Django asks the backends in order: ours before Django's, which then reads ours' result."""
    backends = settings.AUTHENTICATION_BACKENDS
    ours = backends.index("igv_site.auth_backends.ModelBackendInOneQuery")
    assert ours < backends.index("django.contrib.auth.backends.ModelBackend")


def test_a_sales_person_signs_in_and_works_through_it(client):
    SalesPersonFactory(username="ana")
    credentials = {"username": "ana", "password": "correct horse battery staple", "next": "/admin/"}
    signed_in = client.post(reverse("admin:login"), credentials)
    assert signed_in.status_code == 302
    assert client.session[BACKEND_SESSION_KEY] == "igv_site.auth_backends.ModelBackendInOneQuery"
    assert client.get(reverse("admin:crm_lead_changelist")).status_code == 200


def test_a_session_opened_before_it_still_signs_the_person_in(client):
    """Sessions name the backend that signed the person in: a deploy keeps the old ones valid."""
    person = SalesPersonFactory(username="ana")
    session = SessionStore()
    session[SESSION_KEY] = str(person.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = person.get_session_auth_hash()
    session.save()
    client.cookies[settings.SESSION_COOKIE_NAME] = session.session_key
    assert client.get(reverse("admin:crm_lead_changelist")).status_code == 200


def test_a_refused_password_is_checked_once_and_the_failure_reported_once(client, monkeypatch):
    """Django's backend, listed after ours for old sessions, is not asked to check it again."""
    SalesPersonFactory(username="ana")
    checked, failures = [], []
    check_password = get_user_model().check_password
    monkeypatch.setattr(
        get_user_model(), "check_password", lambda user, raw: checked.append(raw) or check_password(user, raw)
    )
    user_login_failed.connect(receiver := lambda **kwargs: failures.append(kwargs["credentials"]["username"]))
    try:
        refused = client.post(
            reverse("admin:login"), {"username": "ana", "password": "wrong", "next": "/admin/"}
        )
    finally:
        user_login_failed.disconnect(receiver)
    assert refused.status_code == 200 and "_auth_user_id" not in client.session
    assert checked == ["wrong"] and failures == ["ana"]
