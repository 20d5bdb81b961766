"""Prospects imported from a spreadsheet (CSV or Excel) in the admin, through django-import-export.

The library gives the flow: upload, a dry-run preview (in a rolled-back transaction: nothing is
written) listing each row's changes and errors with its row number, then a confirmation that
imports for real. This module says how a file is read and how a row becomes a lead:

- the file is read within the limits of `crm.uploads` (size, unpacked size, rows, cell length),
  and its header must name the `email` and `brand_name` columns, once each (`read_lead_table`);
- a row matches a lead by the identity of person and brand (`mini_analysis.keys`, through
  `Lead.objects.filter_identity`): case and spacing variants update the lead, never duplicate it;
- a row matching a lead the importing user may not see (`Lead.objects.visible_to`) is an error
  that says only that this user cannot import the row, not whose prospect it is;
- values are checked by the model's own fields (`full_clean`): email, phone, language, status and
  source choices, lengths, and the duplicate check of `Lead.clean`;
- cells are trimmed; an empty or missing cell changes nothing: a new lead keeps the model's
  default (source `manual`, status `NEW`, language `fr`), an existing one keeps its value;
- an update keeps the lead's own spelling of its email and brand (the row matched them);
- only the columns below are read: an import never sets `legacy_id`, `migrated_at`, the identity
  keys, the owner or the dates. The header is the one `crm.exports` writes, so an export can be
  edited and imported back (its extra columns are ignored).

Between the preview and the confirmation the file waits in the database (`crm.pending_imports`).
"""

import logging

import tablib
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils.translation import gettext as _
from import_export import resources
from import_export.formats.base_formats import CSV, XLSX

from .models import Lead
from .uploads import UploadRefused, read_table

logger = logging.getLogger(__name__)

IMPORT_COLUMNS = ["email", "phone", "brand_name", "sector", "language", "status", "source", "notes"]
# The identity of a row (see `LeadResource.get_instance`): a file without them cannot be imported.
REQUIRED_COLUMNS = ["email", "brand_name"]


class LeadResource(resources.ModelResource):
    class Meta:
        model = Lead
        fields = IMPORT_COLUMNS
        import_order = IMPORT_COLUMNS
        # The identity is computed from these two (see `get_instance`); the library also requires
        # them in the file's header.
        import_id_fields = REQUIRED_COLUMNS
        clean_model_instances = True
        skip_unchanged = True
        report_skipped = True
        use_transactions = True

    def __init__(self, user=None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.user = user

    def get_instance(self, instance_loader, row: dict) -> Lead | None:
        """The lead of this person and brand, if the importing user may see it."""
        email, brand_name = _text(row.get("email")), _text(row.get("brand_name"))
        if not email or not brand_name:
            return None
        lead = Lead.objects.filter_identity(email, brand_name).first()
        if lead is not None and self.user is not None and not _visible(lead, self.user):
            # Nothing about whose prospect it is: that alone would tell who works with this person.
            raise ValidationError({NON_FIELD_ERRORS: [_("You cannot import this row.")]})
        return lead

    def before_import_row(self, row: dict, **kwargs) -> None:
        for column, value in row.items():
            if isinstance(value, str):
                row[column] = value.strip()

    def import_field(self, field, instance: Lead, row: dict, is_m2m: bool = False, **kwargs) -> None:
        """An empty cell keeps the lead's value (or the model's default for a new lead)."""
        if _text(row.get(field.column_name)) == "":
            return
        if instance.pk is not None and field.column_name in self._meta.import_id_fields:
            return
        super().import_field(field, instance, row, is_m2m, **kwargs)


def _text(value) -> str:
    return "" if value is None else str(value).strip()


def _visible(lead: Lead, user) -> bool:
    return Lead.objects.visible_to(user).filter(pk=lead.pk).exists()


# --- Reading the file -----------------------------------------------------------------------------


def read_lead_table(data: bytes, kind: str) -> tablib.Dataset:
    """The file as a table of prospects, within the upload limits; `UploadRefused` says why not."""
    table = read_table(data, kind)
    headers = table.headers
    missing = [column for column in REQUIRED_COLUMNS if column not in headers]
    if missing:
        raise UploadRefused(
            _("The first line must name the columns %(required)s (missing: %(missing)s).")
            % {"required": ", ".join(REQUIRED_COLUMNS), "missing": ", ".join(missing)}
        )
    if twice := [column for column in IMPORT_COLUMNS if headers.count(column) > 1]:
        raise UploadRefused(
            _("The first line names the column %(column)s more than once.") % {"column": twice[0]}
        )
    return table


class LeadCSV(CSV):
    """django-import-export's CSV format, read by `read_lead_table`."""

    def create_dataset(self, in_stream: bytes | str, **kwargs) -> tablib.Dataset:
        return read_lead_table(_bytes(in_stream), "csv")


class LeadXLSX(XLSX):
    """django-import-export's XLSX format, read by `read_lead_table`."""

    def create_dataset(self, in_stream: bytes, **kwargs) -> tablib.Dataset:
        return read_lead_table(_bytes(in_stream), "xlsx")


def _bytes(data: bytes | str) -> bytes:
    return data.encode() if isinstance(data, str) else bytes(data)
