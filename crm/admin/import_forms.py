"""The forms of the prospects' import page: the upload, and the mapping of each column to a field."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from ..imports import FIELDS
from ..uploads import UploadRefused, check_file_size


class ImportUploadForm(forms.Form):
    import_file = forms.FileField(
        label=_("File to import"),
        help_text=_("CSV (any encoding, separated by commas, semicolons or tabs), .xlsx or .xls."),
    )

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
