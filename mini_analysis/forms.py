"""The public form. The JSON API validates with the same form, so the two cannot drift apart."""

import phonenumbers
from django import forms
from django.conf import settings
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from phonenumber_field.formfields import PhoneNumberField
from phonenumber_field.phonenumber import PhoneNumber, to_python

from .sectors import Sector
from .validators import validate_one_line_of_visible_text

BRAND_NAME_MAX_LENGTH = 200


def phone_example() -> str:
    """The phone example the form shows: a mobile number of `PHONENUMBER_DEFAULT_REGION` in the
    international format the help text asks for. Taken from phonenumbers' own metadata, so it is
    always a number the validator accepts (a hand-written one was refused)."""
    region = settings.PHONENUMBER_DEFAULT_REGION
    number = phonenumbers.example_number_for_type(region, phonenumbers.PhoneNumberType.MOBILE)
    return phonenumbers.format_number(
        number or phonenumbers.example_number(region), phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )


class InternationalPhoneWidget(forms.TextInput):
    """Shows a valid number back in the international format of the help text (`+972 50-234-5678`),
    where django-phonenumber-field's widget would show a local number in the national format;
    anything else is shown as it was typed, so the visitor can correct it."""

    input_type = "tel"

    def format_value(self, value):
        number = (
            to_python(value, region=settings.PHONENUMBER_DEFAULT_REGION) if isinstance(value, str) else value
        )
        if isinstance(number, PhoneNumber) and number.is_valid():
            return number.as_international
        return super().format_value(value)


class MiniAnalysisForm(forms.Form):
    email = forms.EmailField(label=_("Email"), max_length=254)
    # Region from PHONENUMBER_DEFAULT_REGION: a local number is read as Israeli by default.
    phone = PhoneNumberField(
        label=_("Phone"),
        required=False,
        widget=InternationalPhoneWidget(),
        error_messages={
            "invalid": format_lazy(
                _("Enter a valid phone number, for example {example}."), example=phone_example()
            )
        },
    )
    brand_name = forms.CharField(
        label=_("Brand name"),
        min_length=1,
        max_length=BRAND_NAME_MAX_LENGTH,
        validators=[validate_one_line_of_visible_text],
    )
    sector = forms.ChoiceField(label=_("Sector"), choices=[("", "—"), *Sector.choices])
    consent = forms.BooleanField(
        label=_("I agree to be contacted by Israel Growth Ventures about this analysis."),
        error_messages={"required": _("Your consent is needed to send the analysis.")},
    )
    # Honeypot: hidden from people by CSS, filled in by naive bots.
    website = forms.CharField(label=_("Leave this field empty"), required=False)

    @property
    def phone_example(self) -> str:
        return phone_example()

    def is_spam(self) -> bool:
        """True when the honeypot was filled; readable before, and regardless of, validation."""
        return bool(str(self.data.get("website", "")).strip())

    def submission(self) -> dict:
        """The cleaned values `services.submit_mini_analysis` takes (language aside)."""
        data = self.cleaned_data
        return {
            "email": data["email"],
            "phone": str(data["phone"]) if data.get("phone") else "",
            "brand_name": data["brand_name"],
            "sector": data["sector"],
        }
