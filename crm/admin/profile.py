"""My profile (the language and time zone the admin speaks to a person in) and the header's language
switcher. Both are admin pages (`igv_site.admin.AdminSite.get_urls`): staff only, CSRF-checked."""

import zoneinfo

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods, require_POST
from django.views.i18n import set_language

from ..models import SalesProfile
from ..preferences import Preferences, language_choices, remember_preferences, save_preferences


def time_zone_choices() -> list[tuple[str, str]]:
    zones = sorted(zoneinfo.available_timezones() - {"localtime"})
    return [
        ("", _("The site's (%(zone)s)") % {"zone": settings.TIME_ZONE}),
        *((zone, zone) for zone in zones),
    ]


class ProfileForm(forms.ModelForm):
    """What a person sets for themselves. Grouped in the page by topic (`SECTIONS`),
    so a later topic (reminders) is one more section, not a new page."""

    class Meta:
        model = SalesProfile
        fields = ["language", "time_zone", "daily_digest", "task_alerts"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["language"] = forms.ChoiceField(
            label=_("language of the interface"),
            choices=[("", _("The site's")), *language_choices()],
            required=False,
        )
        self.fields["time_zone"] = forms.ChoiceField(
            label=_("time zone"),
            choices=time_zone_choices,
            required=False,
            help_text=_("Dates and times are shown in this zone, for example Europe/Paris."),
        )


SECTIONS = [
    (_("Language and time"), ["language", "time_zone"]),
    (_("Reminders"), ["daily_digest", "task_alerts"]),
]


@require_http_methods(["GET", "POST"])
def profile_view(request: HttpRequest, admin_site) -> HttpResponse:
    """My profile: saved, then shown again in the language just chosen."""
    profile = SalesProfile.objects.filter(user=request.user).first() or SalesProfile(user=request.user)
    form = ProfileForm(request.POST or None, instance=profile)
    if request.method == "POST" and form.is_valid():
        saved = save_preferences(
            request.user, **{name: form.cleaned_data[name] for name in ProfileForm.Meta.fields}
        )
        remember_preferences(request, Preferences(saved.language, saved.time_zone))
        language = form.cleaned_data["language"] or settings.LANGUAGE_CODE
        with translation.override(language):
            messages.success(request, gettext("Your profile is saved."))
        response = HttpResponseRedirect(reverse("admin:profile", current_app=admin_site.name))
        _remember_language(response, language)
        return response
    context = {
        **admin_site.each_context(request),
        "title": _("My profile"),
        "form": form,
        "sections": [(title, [form[name] for name in names]) for title, names in SECTIONS],
    }
    return TemplateResponse(request, "admin/crm/profile.html", context)


@require_POST
def switch_language_view(request: HttpRequest) -> HttpResponse:
    """The header's switcher: Django's `set_language` (the cookie, the `next` page, checked), and
    the choice kept on the person's profile, which the admin follows from then on."""
    response = set_language(request)
    language = request.POST.get("language", "")
    if language in dict(settings.LANGUAGES):
        saved = save_preferences(request.user, language=language)
        remember_preferences(request, Preferences(saved.language, saved.time_zone))
    return response


def _remember_language(response: HttpResponse, language: str) -> None:
    """The cookie too, so the login page speaks the person's language once they signed out."""
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )
