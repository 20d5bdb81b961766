"""Prospects imported from a spreadsheet (CSV or Excel) in the admin, through django-import-export.

The library gives the flow: upload, a dry-run preview (in a rolled-back transaction: nothing is
written) listing each row's changes and errors with its row number, then a confirmation that
imports for real. This module says how a row becomes a lead:

- a row matches a lead by the identity of person and brand (`mini_analysis.keys`, through
  `Lead.objects.filter_identity`): case and spacing variants update the lead, never duplicate it;
- a row matching a lead the importing user may not see (`Lead.objects.visible_to`) is an error;
- values are checked by the model's own fields (`full_clean`): email, phone, language, status and
  source choices, and the duplicate check of `Lead.clean`;
- cells are trimmed; an empty or missing cell changes nothing: a new lead keeps the model's
  default (source `manual`, status `NEW`, language `fr`), an existing one keeps its value;
- an update keeps the lead's own spelling of its email and brand (the row matched them);
- only the columns below are read: an import never sets `legacy_id`, `migrated_at`, the identity
  keys, the owner or the dates. The header is the one `crm.exports` writes, so an export can be
  edited and imported back (its extra columns are ignored).
"""

import html
import io
import logging
import zipfile

from django.core.cache import caches
from django.core.cache.backends.db import DatabaseCache
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import connections, router
from django.utils.translation import gettext as _
from import_export import resources
from import_export.tmp_storages import CacheStorage

from .models import Lead

logger = logging.getLogger(__name__)

IMPORT_COLUMNS = ["email", "phone", "brand_name", "sector", "language", "status", "source", "notes"]


class LeadResource(resources.ModelResource):
    class Meta:
        model = Lead
        fields = IMPORT_COLUMNS
        import_order = IMPORT_COLUMNS
        # The identity is computed from these two (see `get_instance`); the library also requires
        # them in the file's header.
        import_id_fields = ["email", "brand_name"]
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
            raise ValidationError(
                {NON_FIELD_ERRORS: [_("This prospect is assigned to another sales person.")]}
            )
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


# --- Uploads waiting for their confirmation -------------------------------------------------------


def discard_pending_imports_of(values: set[str], *, dry_run: bool = False) -> int:
    """Delete the uploads kept for an import's confirmation that mention any of `values`
    (compared case-insensitively); returns how many (with `dry_run`, how many it would delete).

    A GDPR erasure calls it (`crm.privacy`): an upload previewed and never confirmed still holds
    its rows. The upload is django-import-export's `CacheStorage` entry in the database cache;
    the cache has no listing, so the entries are found in the cache's table by their key prefix.
    """
    cache = caches["default"]
    if not isinstance(cache, DatabaseCache):
        logger.warning("Pending imports are not searched: the cache is not the database cache.")
        return 0
    prefix = cache.make_and_validate_key(CacheStorage.CACHE_PREFIX)
    connection = connections[router.db_for_read(cache.cache_model_class)]
    table = connection.ops.quote_name(cache._table)
    sql = f"SELECT cache_key FROM {table} WHERE cache_key LIKE %s ESCAPE '\\'"  # noqa: S608 (a quoted name)
    with connection.cursor() as cursor:
        cursor.execute(sql, [_like_prefix(prefix)])
        names = [key.removeprefix(prefix) for (key,) in cursor.fetchall()]
    needles = {value.casefold() for value in values if value}
    count = 0
    for name in names:
        storage = CacheStorage(name=name)
        data = storage.read()
        text = _upload_text(data) if data is not None else ""
        if not any(needle in text for needle in needles):
            continue
        count += 1
        if not dry_run:
            storage.remove()
    return count


def _like_prefix(prefix: str) -> str:
    return prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _upload_text(data: bytes | str) -> str:
    """The text of an uploaded CSV or Excel file, case-folded (an .xlsx is a zip of XML files)."""
    if isinstance(data, str):
        return data.casefold()
    if zipfile.is_zipfile(io.BytesIO(data)):
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            parts = [archive.read(member).decode("utf-8", "replace") for member in archive.namelist()]
        return html.unescape("\n".join(parts)).casefold()
    return data.decode("utf-8", "replace").casefold()
