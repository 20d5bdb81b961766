"""What managers keep for the import: the saved mappings of columns and the lifecycle stages table.

Who may do what (Django's model permissions; a superuser has them all): a manager given
`add_importmapping` saves a new mapping from the import's preview, `change_importmapping` replaces
one or edits it here, `delete_importmapping` deletes one; whoever may import uses any saved
mapping (it only fills the preview's choices, which they may change). The lifecycle table is
edited with its own `add`/`change`/`delete` permissions. Sales people may view both lists.
Written through `crm.services.imports`, which folds their keys.
"""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .. import display, services
from ..imports.fields import FIELDS, simple_key
from ..models import ImportMapping, LifecycleStageMapping
from .base import PlainTitles


class ImportMappingForm(forms.ModelForm):
    """The columns as lines “column = field” (an empty field ignores the column), as
    `import_prospects --map` takes them."""

    column_lines = forms.CharField(
        label=_("Columns"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 12, "dir": "auto"}),
    )

    class Meta:
        model = ImportMapping
        fields = ["name"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["column_lines"].help_text = gettext(
            "One line per column: its header, “=”, then a field (empty to ignore the column). "
            "Fields: %(fields)s."
        ) % {"fields": ", ".join(FIELDS)}
        self.initial["column_lines"] = "\n".join(
            f"{header} = {field}" for header, field in self.instance.columns.items()
        )

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if not name:
            raise ValidationError(_("Give the mapping a name."))
        return name

    def clean_column_lines(self) -> dict[str, str]:
        columns: dict[str, str] = {}
        for number, line in enumerate(self.cleaned_data["column_lines"].splitlines(), start=1):
            if not line.strip():
                continue
            header, separator, field = line.rpartition("=")
            header, field = header.strip(), field.strip()
            if not separator or not simple_key(header):
                raise ValidationError(
                    _("Line %(number)s: write the column, “=”, then the field.") % {"number": number}
                )
            if field and field not in FIELDS:
                raise ValidationError(
                    _("Line %(number)s: unknown field “%(field)s”.") % {"number": number, "field": field}
                )
            columns.setdefault(simple_key(header), field)
        return columns


@admin.register(ImportMapping)
class ImportMappingAdmin(PlainTitles, admin.ModelAdmin):
    add_title = _("New import mapping")
    form = ImportMappingForm
    list_display = ["name", "column_count", "author", "updated_at"]
    search_fields = ["name"]
    readonly_fields = ["author", "created_at", "updated_at"]
    list_select_related = ["created_by"]

    @admin.display(description=_("columns"))
    def column_count(self, mapping: ImportMapping) -> int:
        return len(mapping.columns)

    @admin.display(description=_("created by"), ordering="created_by__username")
    def author(self, mapping: ImportMapping) -> str:
        return display.user_name(mapping.created_by)

    def save_model(self, request: HttpRequest, obj: ImportMapping, form, change: bool) -> None:
        obj.columns = form.cleaned_data["column_lines"]
        services.save_import_mapping(obj, actor=request.user)


class LifecycleStageForm(forms.ModelForm):
    class Meta:
        model = LifecycleStageMapping
        fields = ["label", "stage", "disqualification_reason"]

    def clean_label(self) -> str:
        """A label is found by its folded form: two labels that fold alike are one row."""
        label = self.cleaned_data["label"].strip()
        key = simple_key(label)
        if not key:
            raise ValidationError(_("A label needs a letter or a digit."))
        other = LifecycleStageMapping.objects.filter(key=key).exclude(pk=self.instance.pk).first()
        if other is not None:
            raise ValidationError(_("“%(label)s” is already in the table.") % {"label": other.label})
        return label


@admin.register(LifecycleStageMapping)
class LifecycleStageMappingAdmin(PlainTitles, admin.ModelAdmin):
    """Another tool's label -> our sales stage; our own stages' codes and names need no row."""

    add_title = _("New lifecycle stage")
    form = LifecycleStageForm
    list_display = ["label", "stage", "disqualification_reason"]
    list_filter = ["stage"]
    search_fields = ["label", "key"]
    list_select_related = ["disqualification_reason"]

    def save_model(self, request: HttpRequest, obj: LifecycleStageMapping, form, change: bool) -> None:
        services.save_lifecycle_stage(obj)
