"""The import's settings that managers keep: mappings of columns saved for the next file, and the
table of other tools' lifecycle stages. Their keys are folded here (`simple_key`), the one place
that writes them, so the admin, the import's preview and the commands store them alike."""

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from ..imports.fields import FIELDS, simple_key
from ..models import ImportMapping, LifecycleStageMapping


def mapping_columns(headers: list[str], fields: list[str]) -> dict[str, str]:
    """A file's mapping as a saved mapping keeps it: folded header -> field ("" ignores it); the
    first of two columns with one folded header wins, an unnamed column is not kept."""
    columns: dict[str, str] = {}
    for header, field in zip(headers, fields, strict=True):
        if (key := simple_key(header)) and key not in columns:
            columns[key] = field
    return columns


def save_import_mapping(mapping: ImportMapping, *, actor: AbstractBaseUser | None) -> ImportMapping:
    """A mapping edited in the admin or saved at a preview: its headers folded, its fields checked
    (`ValidationError` for an unknown one), its author kept from its first save."""
    columns = {}
    for header, field in mapping.columns.items():
        if field and field not in FIELDS:
            raise ValidationError(_("Unknown field “%(field)s”.") % {"field": field})
        if key := simple_key(header):
            columns.setdefault(key, field)
    mapping.columns = columns
    if mapping.pk is None and mapping.created_by_id is None and actor is not None:
        mapping.created_by = actor
    mapping.full_clean()
    mapping.save()
    return mapping


def keep_import_mapping(
    *, name: str, headers: list[str], fields: list[str], actor: AbstractBaseUser | None
) -> ImportMapping:
    """The preview's mapping saved under `name`: a new one, or the one of that name replaced."""
    mapping = ImportMapping.objects.filter(name=name).first() or ImportMapping(name=name)
    mapping.columns = mapping_columns(headers, fields)
    return save_import_mapping(mapping, actor=actor)


def save_lifecycle_stage(row: LifecycleStageMapping) -> LifecycleStageMapping:
    """A row of the lifecycle table, found by its label folded; a reason only for a disqualification."""
    row.key = simple_key(row.label)
    row.full_clean()
    row.save()
    return row
