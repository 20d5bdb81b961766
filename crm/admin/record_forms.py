"""The record page's forms: the quick log (what was done, what comes next) and a task's new date."""

import datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mini_analysis.lengths import NOTES_MAX_LENGTH

from .. import services
from ..models import ActivityKind, ActivityOutcome

DATETIME_LOCAL = "%Y-%m-%dT%H:%M"


class QuickLogForm(forms.Form):
    """One submit: a call (the default kind), how it went, a note, and the next action with its day.

    Every field but the kind may stay empty: a call without a note is "Call", dated now.
    """

    kind = forms.ChoiceField(
        label=_("Kind"), choices=ActivityKind.choices, initial=ActivityKind.CALL, widget=forms.RadioSelect
    )
    outcome = forms.ChoiceField(
        label=_("Outcome"), choices=[("", "—"), *ActivityOutcome.choices], required=False
    )
    at = forms.DateTimeField(
        label=_("When, if not now"),
        required=False,
        input_formats=[DATETIME_LOCAL],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_LOCAL),
    )
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=NOTES_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3, "dir": "auto"}),
    )
    next_action = forms.CharField(
        label=_("Next action"), required=False, max_length=200, widget=forms.TextInput(attrs={"dir": "auto"})
    )
    next_action_due = forms.DateField(
        label=_("Due on"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["next_action_due"].initial = timezone.localdate() + datetime.timedelta(days=1)

    def clean_note(self) -> str:
        """A browser posts a textarea's line breaks as CRLF: kept as the user saw them (LF)."""
        return self.cleaned_data["note"].replace("\r\n", "\n")

    def clean(self) -> dict:
        cleaned = super().clean()
        if cleaned.get("kind") == ActivityKind.TASK and not (
            cleaned.get("at") or cleaned.get("next_action_due")
        ):
            self.add_error("next_action_due", _("Give the task a due date."))
        return cleaned

    def log(self, record, user) -> services.LoggedContact:
        """Log on `record`: a prospect, a contact or an opportunity."""
        data = self.cleaned_data
        day = data["next_action_due"]
        return services.log_contact(
            record,
            user=user,
            kind=data["kind"],
            note=data["note"],
            outcome=data["outcome"],
            next_action=data["next_action"],
            next_action_due=services.due_on(day) if day else None,
            at=data["at"],
        )


class RescheduleForm(forms.Form):
    """A task's new day: one of the buttons (tomorrow, next week) or a date typed in."""

    MOVES = {"tomorrow": 1, "next_week": 7}

    move = forms.ChoiceField(choices=[(name, name) for name in ["done", "date", *MOVES]])
    due = forms.DateField(required=False)

    def new_due(self, current: datetime.datetime) -> datetime.datetime | None:
        """The new due moment, the task's own time of day kept; None for "done"."""
        move = self.cleaned_data["move"]
        if move == "done":
            return None
        if move == "date":
            day = self.cleaned_data["due"]
            if day is None:
                raise forms.ValidationError(_("Choose a date."))
        else:
            day = timezone.localdate() + datetime.timedelta(days=self.MOVES[move])
        if current is None:
            return services.due_on(day)
        return timezone.make_aware(datetime.datetime.combine(day, timezone.localtime(current).time()))
