"""The public form. The JSON API validates with the same form, so the two cannot drift apart."""

from django import forms
from django.utils.translation import gettext_lazy as _
from phonenumber_field.formfields import PhoneNumberField

from .sectors import Sector

BRAND_NAME_MAX_LENGTH = 200


class MiniAnalysisForm(forms.Form):
    email = forms.EmailField(label=_("Email"), max_length=254)
    # Region from PHONENUMBER_DEFAULT_REGION: a local number is read as Israeli by default.
    phone = PhoneNumberField(label=_("Phone"), required=False)
    brand_name = forms.CharField(label=_("Brand name"), min_length=1, max_length=BRAND_NAME_MAX_LENGTH)
    sector = forms.ChoiceField(label=_("Sector"), choices=[("", "—"), *Sector.choices])
    consent = forms.BooleanField(
        label=_("I agree to be contacted by Israel Growth Ventures about this analysis."),
        error_messages={"required": _("Your consent is needed to send the analysis.")},
    )
    # Honeypot: hidden from people by CSS, filled in by naive bots.
    website = forms.CharField(label=_("Leave this field empty"), required=False)

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
