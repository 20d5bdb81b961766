"""The bridge: the legacy MongoDB's new and changed documents, brought into the CRM until cutover.

While the old backend still takes requests and sales people still work in the old CRM,
`sync_legacy` keeps the CRM in step with its `mini_analyses` and `leads` collections:

- a new request becomes a `MiniAnalysis`, saved like the form's, so it gets its lead through the
  same path (the `post_save` receiver); a changed request updates what the CRM follows (status,
  PDF, analysis), and its lead follows it the usual way;
- a lead of the old CRM comes in with its fields (`crm.legacy.lead_from`): it updates the CRM lead
  of the same legacy id, or the one of the same person and brand that the request created;
- deletions are not mirrored (the CRM keeps what it has; the log says so).

How it follows: a change stream (`watch()`, resumable by its token) where the server offers one,
else polling by a watermark (documents created or updated since the last poll, re-read with a
margin for the clocks of the old backend's machines). The token or watermark is saved in the
CRM's database in the same transaction as the change it follows, and every change is applied
idempotently (by legacy id, unchanged values are not written), so a bridge killed at any moment
resumes where it stopped with nothing missed or doubled. A server that goes away is waited for.
"""

import itertools
import logging
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta

from bson import ObjectId
from django.db import DatabaseError, IntegrityError, close_old_connections, transaction
from django.utils import timezone
from pymongo.change_stream import ChangeStream
from pymongo.database import Database
from pymongo.errors import CursorNotFound, OperationFailure, PyMongoError

from mini_analysis.models import MiniAnalysis

from . import legacy
from .history import acting_as, service_account
from .legacy_server import LEADS, REQUESTS
from .models import Lead, LegacySyncState

logger = logging.getLogger(__name__)

SYNC_ACTOR = "sync_legacy"
WATCHED = (REQUESTS, LEADS)
# How long one wait for a change lasts: the bridge notices a stop request, and says it is in
# step (/healthz), at least this often.
AWAIT_SECONDS = 1.0
POLL_INTERVAL = 2.0
POLL_MARGIN = timedelta(minutes=1)
RETRY_DELAYS = (1, 2, 5, 10)
# Changes applied in one transaction of the CRM's database (each in its own savepoint): a burst
# costs a commit per hundred requests, not one each.
CHANGES_PER_TRANSACTION = 100
# Errors of a server without change streams (a standalone mongod, an emulator): poll instead.
NO_CHANGE_STREAMS = {40573, 40324, 115}
# A resume token the server no longer knows (its oplog moved on): read everything again.
HISTORY_LOST = {280, 286, 136}
# What the CRM follows of a request; the rest of a request never changes once sent.
FOLLOWED_REQUEST_FIELDS = ("status", "pdf_url", "analysis_text")
LEAD_FIELDS = (
    "email",
    "phone",
    "brand_name",
    "sector",
    "language",
    "status",
    "source",
    "assigned_to",
    "notes",
    "pdf_url",
    "analysis_text",
)


class Bridge:
    """Brings one legacy database's changes into the CRM; `run()` once, or until `stop` is set."""

    def __init__(
        self,
        database: Database,
        *,
        log: Callable[[str], None] = logger.info,
        stop: threading.Event | None = None,
        poll_interval: float = POLL_INTERVAL,
        change_streams: bool = True,
    ) -> None:
        self.database = database
        self.log = log
        self.stop = stop or threading.Event()
        self.poll_interval = poll_interval
        self.change_streams = change_streams
        self.counts: Counter[str] = Counter()
        self.rejected: list[tuple[str, str]] = []
        self.state, _ = LegacySyncState.objects.get_or_create(database=database.name)
        self.actor = service_account(SYNC_ACTOR)

    # --- Following --------------------------------------------------------------------------------

    def run(self, *, follow: bool = False) -> None:
        """Catch up; with `follow`, keep going until `stop` is set, waiting out a server that is
        down or restarting (a database error of the CRM is waited out the same way)."""
        attempt = 0
        while not self.stop.is_set():
            try:
                # What was committed, not what a failed transaction left in memory: the change it
                # was applying comes again.
                self.state.refresh_from_db()
                if self.change_streams:
                    self._stream(follow)
                else:
                    self._poll(follow)
                return
            except OperationFailure as error:
                if self.change_streams and error.code in NO_CHANGE_STREAMS:
                    self.log(f"[POLLING] The server offers no change stream ({error.code}): polling instead.")
                    self.change_streams = False
                    continue
                if not follow:
                    raise
                failure = f"MongoDB: {error}"
            except (PyMongoError, DatabaseError) as error:
                if not follow:
                    raise
                failure = f"{'MongoDB' if isinstance(error, PyMongoError) else 'CRM database'}: {error}"
            close_old_connections()  # a broken database connection is opened anew
            delay = RETRY_DELAYS[min(attempt, len(RETRY_DELAYS) - 1)]
            attempt += 1
            self.log(f"[WAITING] {failure}; trying again in {delay} s")
            self.stop.wait(delay)

    def _watch(self, resume_after: dict | None) -> ChangeStream:
        return self.database.watch(
            [{"$match": {"ns.coll": {"$in": list(WATCHED)}}}],
            full_document="updateLookup",
            resume_after=resume_after,
            max_await_time_ms=int(AWAIT_SECONDS * 1000),
        )

    def _stream(self, follow: bool) -> None:
        token = self.state.resume_token
        if token is not None:
            try:
                stream = self._watch(token)
            except OperationFailure as error:
                if error.code not in HISTORY_LOST:
                    raise
                self.log(
                    f"[RESCAN] The server no longer has the changes since the last one read ({error.code})."
                )
                token = None
        if token is None:
            # Opened before the scan: what is written during the scan comes again after it.
            stream = self._watch(None)
            self._scan_everything()
            self._save(resume_token=stream.resume_token, in_step_at=timezone.now())
        with stream:
            while not self.stop.is_set():
                change = stream.try_next()
                if change is None:
                    self._save(resume_token=stream.resume_token, in_step_at=timezone.now())
                    if not follow:
                        return
                    continue
                with transaction.atomic():  # the changes already fetched, with where they lead
                    for count in range(1, CHANGES_PER_TRANSACTION + 1):
                        self._apply_change(change)
                        last = change
                        if count == CHANGES_PER_TRANSACTION or not _buffered(stream):
                            break
                        change = stream.try_next()
                        if change is None:
                            break
                    self._save(resume_token=last["_id"], in_step_at=last.get("wallTime"))

    def _poll(self, follow: bool) -> None:
        while not self.stop.is_set():
            started = timezone.now()
            watermark = self.state.watermark
            since = None if watermark is None else watermark - POLL_MARGIN
            for collection in WATCHED:
                self._apply_all(collection, self._documents(collection, _changed_since(since)))
            self._save(watermark=started, in_step_at=started)
            if not follow:
                return
            self.stop.wait(self.poll_interval)

    def _scan_everything(self) -> None:
        self.log("[SCAN] Reading every request and lead once.")
        for collection in WATCHED:
            self._apply_all(collection, self._documents(collection, {}))

    def _apply_all(self, collection: str, documents: Iterator[dict]) -> None:
        """One transaction per `CHANGES_PER_TRANSACTION` documents (each in its own savepoint)."""
        while batch := list(itertools.islice(documents, CHANGES_PER_TRANSACTION)):
            with transaction.atomic():
                for document in batch:
                    self._apply(collection, document)

    def _documents(self, collection: str, query: dict) -> Iterator[dict]:
        """The documents in `_id` order. A cursor read for longer than the server keeps it (a first
        scan of a large collection) is opened again after the documents already read."""
        done = 0
        while True:
            try:
                for document in self.database[collection].find(query).sort("_id", 1).skip(done):
                    yield document
                    done += 1
                return
            except CursorNotFound:
                self.log(f"[RESCAN] {collection}: the server dropped the cursor after {done} documents")

    def _save(self, *, in_step_at: datetime | None, **fields) -> None:
        for name, value in fields.items():
            setattr(self.state, name, value)
        self.state.in_step_at = in_step_at or timezone.now()
        self.state.save(update_fields=[*fields, "in_step_at"])

    # --- Applying ---------------------------------------------------------------------------------

    def _apply_change(self, change: dict) -> None:
        operation = change["operationType"]
        collection = change.get("ns", {}).get("coll")
        if operation in {"insert", "update", "replace"} and change.get("fullDocument") is not None:
            self._apply(collection, change["fullDocument"])
        elif operation == "delete":
            self.counts["deletions not mirrored"] += 1
            self.log(f"[NOT MIRRORED] {collection} {change['documentKey'].get('_id')} was deleted")
        elif operation == "invalidate":
            raise OperationFailure("the change stream was invalidated", code=286)

    def _apply(self, collection: str, document: dict) -> None:
        """One document, in its own savepoint: a refused one is reported, the others go on."""
        name = str(document.get("_id"))
        try:
            with transaction.atomic(), acting_as(self.actor):
                outcome = apply_request(document) if collection == REQUESTS else apply_lead(document)
        except legacy.LegacyDocumentError as error:
            outcome = self._reject(collection, name, str(error))
        except IntegrityError as error:
            outcome = self._reject(collection, name, f"refused by the database: {str(error).strip()}")
        if outcome == "unchanged":
            self.counts["unchanged"] += 1
            return
        kind = "request" if collection == REQUESTS else "lead"
        if outcome != "rejected":
            self.counts[f"{kind}s {outcome}"] += 1
            self.log(f"[SYNCED] {kind} {name} {outcome}")

    def _reject(self, collection: str, name: str, reason: str) -> str:
        self.rejected.append((f"{collection} {name}", reason))
        self.log(f"[ERROR] {collection} {name}: {reason}")
        return "rejected"


def _buffered(stream: ChangeStream) -> bool:
    """Whether the stream holds changes it fetched already. pymongo keeps them in its cursor's
    buffer with no public accessor; without it, every change is a transaction of its own."""
    return bool(getattr(getattr(stream, "_cursor", None), "_data", None))


def _changed_since(since: datetime | None) -> dict:
    if since is None:
        return {}
    return {
        "$or": [
            {"_id": {"$gte": ObjectId.from_datetime(since)}},
            {"created_at": {"$gte": since}},
            {"updated_at": {"$gte": since}},
        ]
    }


def apply_request(document: dict) -> str:
    """'created', 'updated' or 'unchanged'. A new request is saved as the form saves one, so its
    lead comes from the `post_save` receiver; a known one takes the new status, PDF and analysis."""
    row = legacy.mini_analysis_from(document)
    existing = MiniAnalysis.objects.filter(legacy_id=row.legacy_id).first()
    if existing is None:
        if MiniAnalysis.objects.filter(request_id=row.request_id).exists():
            raise legacy.LegacyDocumentError(f"request_id {row.request_id} is another request's")
        row.save()
        return "created"
    changed = [name for name in FOLLOWED_REQUEST_FIELDS if getattr(existing, name) != getattr(row, name)]
    if not changed:
        return "unchanged"
    for name in changed:
        setattr(existing, name, getattr(row, name))
    existing.save(update_fields=[*changed, "updated_at"])
    return "updated"


def apply_lead(document: dict) -> str:
    """'created', 'updated' or 'unchanged': the old CRM's lead, with the fields it has, into the CRM
    lead of the same legacy id, else into the one of the same person and brand that has none yet."""
    row = legacy.lead_from(document)
    lead = Lead.objects.filter(legacy_id=row.legacy_id).first()
    if lead is None:
        same = Lead.objects.select_for_update().filter_identity(row.email, row.brand_name).first()
        if same is not None and same.legacy_id is not None:
            raise legacy.LegacyDocumentError(
                f"the CRM's lead of this email and brand name came from legacy lead {same.legacy_id}"
            )
        if same is None:
            row.save()
            return "created"
        lead = same
    # A field the old document leaves empty keeps the CRM's value (a sales person may have set it).
    changed = [
        name
        for name in LEAD_FIELDS
        if getattr(row, name) not in ("", None) and getattr(lead, name) != getattr(row, name)
    ]
    if row.mini_analysis_id is not None and lead.mini_analysis_id != row.mini_analysis_id:
        changed.append("mini_analysis")
    if lead.legacy_id != row.legacy_id:
        changed.append("legacy_id")
    if not changed:
        return "unchanged"
    for name in changed:
        setattr(lead, name, getattr(row, name))
    lead.updated_at = timezone.now()
    lead.save()
    return "updated"


def lag_seconds() -> float | None:
    """How far behind the legacy MongoDB the CRM may be: seconds since the bridge last knew it had
    applied every change (the oldest of its databases), or None when no bridge ever ran."""
    oldest = LegacySyncState.objects.order_by("in_step_at").values_list("in_step_at", flat=True).first()
    if oldest is None:
        return None
    return max((timezone.now() - oldest).total_seconds(), 0.0)
