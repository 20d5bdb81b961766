"""Each person's language and time zone: read from their profile, applied to each of their requests.

The admin speaks to a signed-in person in the language of their profile and shows times in its time
zone; without one, the site's (`LANGUAGE_CODE`, `TIME_ZONE`). The public pages keep the language of
their URL (`/fr/…`, `i18n_patterns`), which `LocaleMiddleware` has already chosen. A visitor keeps
what `LocaleMiddleware` chose from the language cookie or the browser.

The preferences travel in the session, copied there at sign-in and whenever the person changes them,
so that a page costs no query more; a change made in another browser shows here at the next sign-in.
"""

import zoneinfo
from collections.abc import Callable
from typing import NamedTuple

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.http import HttpRequest, HttpResponse
from django.utils import timezone, translation

from .models import SalesProfile


class Preferences(NamedTuple):
    language: str  # empty: the site's
    time_zone: str  # empty: the site's


NONE = Preferences("", "")
SESSION_KEY = "crm_preferences"


def preferences_of(user: AbstractBaseUser) -> Preferences:
    """What `user` chose on their profile (one indexed query; nothing for a visitor)."""
    if not user.is_authenticated:
        return NONE
    row = SalesProfile.objects.filter(user=user).values_list("language", "time_zone").first()
    return Preferences(*row) if row else NONE


def save_preferences(user: AbstractBaseUser, **changes: str) -> SalesProfile:
    """Store `language` and/or `time_zone` on the user's profile, created if they had none (a profile
    outside the Sales group plays no part in the automatic assignment)."""
    profile, _created = SalesProfile.objects.get_or_create(user=user)
    for name, value in changes.items():
        setattr(profile, name, value)
    profile.full_clean()
    profile.save(update_fields=list(changes))
    return profile


def remember_preferences(request: HttpRequest, preferences: Preferences) -> None:
    """Keep `preferences` in the session, where every request of this person reads them."""
    request.session[SESSION_KEY] = list(preferences)


def remember_at_sign_in(sender, request: HttpRequest | None, user: AbstractBaseUser, **kwargs) -> None:
    """`user_logged_in` receiver: the signed-in person's preferences, into their new session."""
    if request is not None and hasattr(request, "session"):
        remember_preferences(request, preferences_of(user))


def request_preferences(request: HttpRequest) -> Preferences:
    """The signed-in person's preferences, from the session (from the profile for a session opened
    before they were kept there)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return NONE
    kept = request.session.get(SESSION_KEY)
    if kept is None:
        preferences = preferences_of(user)
        remember_preferences(request, preferences)
        return preferences
    return Preferences(*kept)


def _zone(name: str) -> zoneinfo.ZoneInfo | None:
    try:
        return zoneinfo.ZoneInfo(name) if name else None
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return None  # a zone this machine no longer knows: the site's, rather than a 500


class UserPreferencesMiddleware:
    """Activates the signed-in user's language and time zone for the request (after the session,
    the authentication and `LocaleMiddleware`).

    Django's admin compares the browser's UTC offset with the active time zone's and warns "you are
    N hours ahead of the server" beside every date field: with the person's own zone active, the two
    agree and the warning is gone.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        chosen = request_preferences(request)
        if chosen.language and not translation.get_language_from_path(request.path_info):
            translation.activate(chosen.language)
            request.LANGUAGE_CODE = chosen.language
        zone = _zone(chosen.time_zone)
        if zone is not None:
            timezone.activate(zone)
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()


def language_choices() -> list[tuple[str, str]]:
    """The site's languages, each named in its own language (a person who cannot read the current
    one still finds theirs)."""
    return [(code, translation.get_language_info(code)["name_local"]) for code in dict(settings.LANGUAGES)]
