"""The prospects' forms: a prospect's page, the actions bar's sales person, a conversion's options."""

from django import forms
from django.contrib.admin.helpers import ActionForm
from django.utils.translation import gettext_lazy as _

from .. import services
from ..models import Currency, Lead, LeadStage
from ..selectors import active_staff
from .base import KeptLinksForm, UserChoiceField


class AssignActionForm(ActionForm):
    assignee = UserChoiceField(
        label=_("Sales person"),
        queryset=active_staff(),
        required=False,
    )


class LeadForm(KeptLinksForm):
    """The stage a sales person sets by hand: the rule is `services.lead_stage_error`."""

    class Meta:
        model = Lead
        fields = ["stage", "disqualification_reason"]  # the admin adds the fieldsets' fields

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "stage" in self.fields and self.instance.stage != LeadStage.CONVERTED:
            self.fields["stage"].choices = [
                choice for choice in self.fields["stage"].choices if choice[0] in services.MANUAL_LEAD_STAGES
            ]

    def clean(self):
        cleaned = super().clean()
        stage = cleaned.get("stage", self.instance.stage)
        reason = cleaned.get("disqualification_reason")
        current = self.instance.stage if self.instance.pk else LeadStage.NEW  # not yet the posted one
        if error := services.lead_stage_error(current, stage, reason):
            field = "disqualification_reason" if stage == LeadStage.DISQUALIFIED else "stage"
            self.add_error(field if field in self.fields else None, error)
        elif stage != LeadStage.DISQUALIFIED:
            cleaned["disqualification_reason"] = None
        return cleaned


class ConvertForm(forms.Form):
    """The options of a conversion: the person's name, the opportunity to create, if any."""

    first_name = forms.CharField(label=_("First name"), max_length=200, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=200, required=False)

    create_opportunity = forms.BooleanField(label=_("Create an opportunity"), required=False, initial=True)
    opportunity_name = forms.CharField(label=_("Opportunity name"), max_length=200, required=False)
    amount = forms.DecimalField(
        label=_("Amount"), max_digits=12, decimal_places=2, min_value=0, required=False
    )
    currency = forms.ChoiceField(label=_("Currency"), choices=Currency.choices, initial=Currency.EUR)
    expected_close_date = forms.DateField(
        label=_("Expected close date"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
