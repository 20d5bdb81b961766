"""Each person's language and time zone (`crm.preferences`, `crm.admin.profile`): chosen on My profile
or in the header, applied to every admin page they open, refused when the zone does not exist."""

import datetime
import zoneinfo

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from crm.assignment import choose_assignee
from crm.models import Lead, SalesProfile
from crm.preferences import preferences_of, save_preferences

from .factories import LeadFactory

pytestmark = pytest.mark.django_db

PROFILE = "/admin/profile/"
SWITCH = "/admin/language/"
LEADS = "/admin/crm/lead/"
# 17:20 UTC on 2 December: 18:20 in Paris, 19:20 in Jerusalem (the server's zone).
MOMENT = datetime.datetime(2026, 12, 2, 17, 20, tzinfo=datetime.UTC)


def sign_in(client, user, **preferences):
    """`user` with these preferences, signed in (they are read once, at sign-in)."""
    save_preferences(user, **preferences)
    client.force_login(user)
    return user


def created_at(lead: Lead, moment: datetime.datetime) -> Lead:
    Lead.objects.filter(pk=lead.pk).update(created_at=moment)
    return lead


def test_a_french_user_in_paris_sees_paris_times_in_french(client, seller):
    sign_in(client, seller, language="fr", time_zone="Europe/Paris")
    created_at(LeadFactory(assigned_to=seller), MOMENT)

    html = client.get(LEADS).content.decode()

    assert "02/12/2026 18:20" in html  # the tooltip of the "created" column, Paris time
    assert 'lang="fr"' in html


def test_without_a_preference_the_site_language_and_time_zone_apply(client, signed_in_seller):
    created_at(LeadFactory(assigned_to=signed_in_seller), MOMENT)

    html = client.get(LEADS, HTTP_ACCEPT_LANGUAGE="fr").content.decode()

    assert "02/12/2026 19:20" in html  # Asia/Jerusalem, the server's TIME_ZONE


def test_the_preferred_language_wins_over_the_browser_language_in_the_admin(client, seller):
    sign_in(client, seller, language="he")

    response = client.get(LEADS, HTTP_ACCEPT_LANGUAGE="en")

    assert response["Content-Language"] == "he"
    assert 'dir="rtl"' in response.content.decode()


def test_the_public_pages_keep_the_language_of_their_address(client, seller):
    sign_in(client, seller, language="he")

    response = client.get("/en/")

    assert response["Content-Language"] == "en"


def test_the_time_zone_does_not_outlive_the_request(client, seller):
    sign_in(client, seller, time_zone="America/New_York")

    client.get(LEADS)

    assert timezone.get_current_timezone_name() != "America/New_York"


def test_my_profile_saves_language_and_time_zone_and_answers_in_the_new_language(client, signed_in_seller):
    created_at(LeadFactory(assigned_to=signed_in_seller), MOMENT)

    response = client.post(PROFILE, {"language": "en", "time_zone": "Europe/Paris"}, follow=True)

    assert preferences_of(signed_in_seller) == ("en", "Europe/Paris")
    assert "Your profile is saved." in response.content.decode()
    assert "02/12/2026 18:20" in client.get(LEADS).content.decode()  # at once, no new sign-in
    assert client.cookies["django_language"].value == "en"  # the login page speaks it too


def test_my_profile_refuses_an_unknown_time_zone_in_the_users_language(client, seller):
    sign_in(client, seller, language="en")

    response = client.post(PROFILE, {"language": "en", "time_zone": "Mars/Olympus"})

    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert preferences_of(seller).time_zone == ""


def test_my_profile_in_french_refuses_an_unknown_time_zone_in_french(client, signed_in_seller):
    response = client.post(PROFILE, {"language": "", "time_zone": "Mars/Olympus"})

    assert "Sélectionnez un choix valide" in response.content.decode()


def test_the_model_refuses_an_unknown_time_zone_too():
    with pytest.raises(ValidationError, match=r"Unknown time zone|Fuseau horaire inconnu"):
        SalesProfile(user_id=1, time_zone="Mars/Olympus").clean_fields(exclude=["user"])


def test_my_profile_offers_every_zone_of_the_machine(client, signed_in_seller):
    html = client.get(PROFILE).content.decode()

    assert '<option value="Europe/Paris">' in html
    assert html.count("<option") >= len(zoneinfo.available_timezones())


def test_the_header_switcher_changes_the_language_and_keeps_it_on_the_profile(client, signed_in_seller):
    response = client.post(SWITCH, {"language": "he", "next": LEADS})

    assert response.status_code == 302 and response["Location"] == LEADS
    assert preferences_of(signed_in_seller).language == "he"
    assert client.get(LEADS)["Content-Language"] == "he"


def test_the_header_offers_my_profile_and_the_language_switcher(client, signed_in_seller):
    html = client.get(LEADS).content.decode()

    assert f'href="{PROFILE}"' in html
    assert f'action="{SWITCH}"' in html and 'name="csrfmiddlewaretoken"' in html
    assert 'name="next" value="/admin/crm/lead/"' in html


def test_the_switcher_refuses_a_get_and_a_visitor(client):
    assert client.get(SWITCH).status_code in {302, 405}
    assert client.post(SWITCH, {"language": "he"}).status_code == 302  # to the login page
    assert not SalesProfile.objects.exists()


def test_a_profile_made_for_preferences_joins_no_automatic_assignment(boss):
    save_preferences(boss, language="en")

    assert choose_assignee("en") is None


def test_a_session_opened_before_preferences_were_kept_reads_them_from_the_profile(client, seller):
    sign_in(client, seller, language="en")
    session = client.session
    del session["crm_preferences"]
    session.save()

    assert client.get(LEADS)["Content-Language"] == "en"
    assert client.session["crm_preferences"] == ["en", ""]


def test_the_database_refuses_a_language_the_site_does_not_speak(seller):
    with pytest.raises(IntegrityError), transaction.atomic():
        SalesProfile.objects.create(user=seller, language="de")
