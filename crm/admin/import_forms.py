"""The forms of the prospects' import page: the upload (with a saved mapping to start from), and
the mapping of each column to a field (which a manager may save for the next file)."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from ..imports import FIELDS
from ..models import ImportMapping
from ..uploads import UploadRefused, check_file_size


class ImportUploadForm(forms.Form):
    import_file = forms.FileField(
        label=_("File to import"),
        help_text=_("CSV (any encoding, separated by commas, semicolons or tabs), .xlsx or .xls."),
    )
    saved_mapping = forms.ModelChoiceField(
        label=_("Saved mapping"),
        queryset=ImportMapping.objects.all(),
        required=False,
        empty_label=_("(none: columns matched by their headers)"),
        help_text=_("Columns this mapping does not know are matched by their headers."),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if not ImportMapping.objects.exists():
            del self.fields["saved_mapping"]

    def clean_import_file(self):
        """Refused by its size alone, before anything reads it."""
        upload = self.cleaned_data["import_file"]
        try:
            check_file_size(upload.size)
        except UploadRefused as refusal:
            raise ValidationError(refusal.message) from None
        return upload


class MappingForm(forms.Form):
    """One choice per column of the file: the field it fills, or nothing (the column is ignored)."""

    def __init__(self, headers: list[str], *args, initial_mapping: list[str] | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.headers = headers
        choices = [("", _("(ignored)")), *FIELDS.items()]
        for index, header in enumerate(headers):
            self.fields[f"column_{index}"] = forms.ChoiceField(
                label=header or f"#{index + 1}",
                choices=choices,
                required=False,
                initial=(initial_mapping or [""] * len(headers))[index],
            )

    def mapping(self) -> list[str]:
        return [self.cleaned_data.get(f"column_{index}", "") for index in range(len(self.headers))]

    def columns(self) -> list:
        """The bound fields with their header, for the template."""
        return [self[f"column_{index}"] for index in range(len(self.headers))]


class MappingNameForm(forms.Form):
    """The name a manager saves the preview's mapping under as they confirm (optional)."""

    save_as = forms.CharField(
        label=_("Save this mapping as"),
        max_length=ImportMapping._meta.get_field("name").max_length,
        required=False,
        help_text=_(
            "Optional: a name, to offer these columns for the next file (a mapping of that name is replaced)."
        ),
    )


class SavedMappingChoiceForm(forms.Form):
    """The preview's choice of a saved mapping (a GET form: it only fills the columns' choices)."""

    mapping = forms.ModelChoiceField(
        label=_("Saved mapping"),
        queryset=ImportMapping.objects.all(),
        required=False,
        empty_label=_("(none: columns matched by their headers)"),
    )
