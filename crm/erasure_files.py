"""The files an erasure deletes: a person's generated PDFs, found by the URLs their requests and leads
keep, and deleted from the storage wherever it is."""

from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import SuspiciousFileOperation
from django.core.files.storage import default_storage
from django.db.models import QuerySet
from django.urls import Resolver404, resolve
from django.utils import translation

from mini_analysis.models import MiniAnalysis
from mini_analysis.pdf import pdf_storage_name

from .models import Lead


def existing_files(requests: QuerySet[MiniAnalysis], leads: QuerySet[Lead]) -> list[str]:
    """The stored files these rows own or point to, that exist (a name outside the storage is not)."""
    names = {
        pdf_storage_name(MiniAnalysis(request_id=request_id))
        for request_id in requests.values_list("request_id", flat=True).iterator()
    }
    urls = [*requests.values_list("pdf_url", flat=True), *leads.values_list("pdf_url", flat=True)]
    names.update(name for url in urls if (name := storage_name_of(url)))
    return sorted(name for name in names if _exists(name))


def storage_name_of(url: str) -> str | None:
    """The storage name of the file a stored `pdf_url` serves, or None for a URL outside this site.

    Two forms exist: the public PDF view (`/<lang>/mini-analysis/<uuid>/pdf/`, any language) and a
    legacy media URL (`/media/…`).
    """
    path = urlsplit(url or "").path
    if not path.startswith("/") or urlsplit(url).netloc:
        return None
    media_url = "/" + settings.MEDIA_URL.strip("/") + "/"
    if path.startswith(media_url):
        return path.removeprefix(media_url) or None
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            try:
                match = resolve(path)
            except Resolver404:
                continue
        if match.view_name == "mini_analysis:pdf":
            return pdf_storage_name(MiniAnalysis(request_id=match.kwargs["request_id"]))
    return None


def _exists(name: str) -> bool:
    try:
        return default_storage.exists(name)
    except SuspiciousFileOperation:
        return False


def delete_file(name: str) -> bool:
    """Delete one stored file; True only when it existed."""
    if not _exists(name):
        return False
    default_storage.delete(name)
    return True
