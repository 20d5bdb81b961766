"""Sales profiles in the admin (`crm.admin.assignment`): a manager sees the team, a sales person self."""

import pytest
from django.urls import reverse

from crm.models import SalesProfile

from .factories import SalesPersonFactory, UserFactory

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:crm_salesprofile_changelist")
ADD = reverse("admin:crm_salesprofile_add")


def change_url(profile: SalesProfile) -> str:
    return reverse("admin:crm_salesprofile_change", args=[profile.pk])


def profile_form(**fields) -> dict:
    return {"speaks_french": "on", **fields}


@pytest.fixture
def ana():
    return SalesPersonFactory(username="ana")


@pytest.fixture
def ben_profile():
    return SalesProfile.objects.create(user=SalesPersonFactory(username="ben"), speaks_hebrew=True)


def test_a_manager_sees_every_profile(client, ana, ben_profile):
    own = SalesProfile.objects.create(user=ana)
    client.force_login(UserFactory(username="boss", is_superuser=True))

    response = client.get(CHANGELIST)

    assert set(response.context["cl"].result_list) == {own, ben_profile}


def test_a_sales_person_sees_only_their_own_profile(client, ana, ben_profile):
    own = SalesProfile.objects.create(user=ana)
    client.force_login(ana)

    assert set(client.get(CHANGELIST).context["cl"].result_list) == {own}
    assert client.get(change_url(ben_profile)).status_code == 302  # "does not exist": back to the index


def test_a_sales_person_marks_themselves_away(client, ana):
    own = SalesProfile.objects.create(user=ana, speaks_french=True)
    client.force_login(ana)

    response = client.post(change_url(own), profile_form(is_away="on", user=UserFactory().pk))

    assert response.status_code == 302
    own.refresh_from_db()
    assert (own.is_away, own.user) == (True, ana)  # whose profile it is cannot be changed


def test_a_sales_person_creates_their_own_profile_and_nobody_else_s(client, ana, ben_profile):
    other = SalesPersonFactory(username="carl")
    client.force_login(ana)

    refused = client.post(ADD, profile_form(user=other.pk))
    assert refused.status_code == 200
    assert "user" in refused.context["adminform"].form.errors
    assert client.post(ADD, profile_form(user=ana.pk, speaks_english="on")).status_code == 302

    assert SalesProfile.objects.get(user=ana).spoken_languages() == ["fr", "en"]
    assert not SalesProfile.objects.filter(user=other).exists()


def test_only_sales_people_without_a_profile_are_offered_to_a_manager(client, ana, ben_profile):
    UserFactory(username="outsider")
    client.force_login(UserFactory(username="boss", is_superuser=True))

    choices = client.get(ADD).context["adminform"].form.fields["user"].queryset

    assert list(choices) == [ana]
