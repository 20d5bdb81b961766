"""The reply poller: new messages of one IMAP folder, each logged once as an inbound email on the
record of the email it answers, the rest left alone.

- Matching: a Message-ID of `In-Reply-To`/`References` that the CRM sent (or received) puts the
  reply on that email's record; else the sender's address, when it is the email of exactly one
  lead or contact visible (`crm.visibility`) to the CRM user the message was sent to (To/Cc);
  else the message is left alone.
- Resumable: `MailboxState` keeps the last UID read for the folder's UIDVALIDITY; a new
  UIDVALIDITY reads the folder again. The folder is opened read-only and fetched with
  `BODY.PEEK[]`: nothing is marked seen, moved or deleted.
- Idempotent: a message is logged once per Message-ID (unique in the database), whatever the
  number of pollers or of runs over the same UIDs; a message without one is named by a hash of
  its bytes.
- Robust: a message that cannot be read or matched is logged and skipped, never a traceback.
"""

import contextlib
import hashlib
import imaplib
import logging
import re
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage as MailMessage
from email.parser import BytesParser
from email.utils import getaddresses, parsedate_to_datetime
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models.functions import Lower
from django.utils import timezone

from mini_analysis.keys import normalize_key

from . import visibility
from .models import EmailMessage, MailboxState
from .services.email import record_inbound

logger = logging.getLogger("crm.mailbox")

BATCH = 200
MESSAGE_ID = re.compile(r"<[^<>\s]+>")


@dataclass
class PollResult:
    read: int = 0
    logged: int = 0
    skipped: int = 0


def connect(url: str) -> imaplib.IMAP4:
    """An IMAP connection logged in from `imap://USER:PASSWORD@HOST:PORT` (or `imaps://`)."""
    parts = urlsplit(url)
    secure = parts.scheme == "imaps"
    connection_class = imaplib.IMAP4_SSL if secure else imaplib.IMAP4
    imap = connection_class(parts.hostname or "localhost", parts.port or (993 if secure else 143), timeout=30)
    imap.login(unquote(parts.username or ""), unquote(parts.password or ""))
    return imap


def poll_mailbox(url: str | None = None, folder: str | None = None) -> PollResult:
    """One round: read the folder's new messages, log the replies. Returns the counts."""
    url = url or settings.CRM_IMAP_URL
    folder = folder or settings.CRM_IMAP_FOLDER
    imap = connect(url)
    try:
        return poll_folder(imap, folder)
    finally:
        with contextlib.suppress(imaplib.IMAP4.error, OSError):
            imap.logout()


def poll_folder(imap: imaplib.IMAP4, folder: str) -> PollResult:
    status, _ = imap.select(_quoted(folder), readonly=True)
    if status != "OK":
        raise imaplib.IMAP4.error(f"cannot open the folder {folder!r}")
    uid_validity = int(imap.response("UIDVALIDITY")[1][0])
    state, _ = MailboxState.objects.get_or_create(folder=folder, defaults={"uid_validity": uid_validity})
    if state.uid_validity != uid_validity:
        logger.warning("Folder %s: UIDVALIDITY changed, reading it again", folder)
        MailboxState.objects.filter(pk=state.pk).update(uid_validity=uid_validity, last_uid=0)
        state.last_uid = 0
    _, data = imap.uid("SEARCH", f"UID {state.last_uid + 1}:*")
    uids = [int(uid) for uid in (data[0] or b"").split() if int(uid) > state.last_uid]
    result = PollResult()
    for start in range(0, len(uids), BATCH):
        batch = uids[start : start + BATCH]
        messages = list(_fetch(imap, batch))
        # One transaction per batch (each message in a savepoint): the replies and the UID they
        # reach are written together, with one commit instead of one per message.
        with transaction.atomic():
            for uid, raw in messages:
                result.read += 1
                if _import(raw, uid, folder):
                    result.logged += 1
                else:
                    result.skipped += 1
            MailboxState.objects.filter(
                pk=state.pk, uid_validity=uid_validity, last_uid__lt=batch[-1]
            ).update(last_uid=batch[-1], polled_at=timezone.now())
    MailboxState.objects.filter(pk=state.pk).update(polled_at=timezone.now())
    return result


def _fetch(imap: imaplib.IMAP4, uids: list[int]):
    """(uid, bytes) of each message of `uids`, without marking any seen."""
    _, data = imap.uid("FETCH", ",".join(map(str, uids)), "(UID BODY.PEEK[])")
    for item in data:
        if not isinstance(item, tuple):
            continue
        match = re.search(rb"UID (\d+)", item[0])
        if match:
            yield int(match.group(1)), item[1]


def _import(raw: bytes, uid: int, folder: str) -> bool:
    """Log one message if it is a reply to a known record; False when it is left alone."""
    try:
        message = BytesParser(policy=policy.default).parsebytes(raw)
        reply = _read(message, raw)
        if EmailMessage.objects.filter(message_id=reply.message_id).exists():
            return False  # imported already (the unique Message-ID still decides under a race)
        original, record = _match(reply)
        if original is None and record is None:
            return False
        return (
            record_inbound(
                original=original,
                record=record,
                message_id=reply.message_id,
                in_reply_to=reply.in_reply_to,
                subject=reply.subject,
                body=reply.body,
                received_at=reply.date,
            )
            is not None
        )
    except Exception as error:  # one bad message must not stop the others
        logger.warning(
            "Folder %s, UID %s: message skipped (%s: %s)", folder, uid, type(error).__name__, error
        )
        return False


@dataclass
class Reply:
    message_id: str
    in_reply_to: str
    answered: list[str]
    sender: str
    recipients: list[str]
    subject: str
    body: str
    date: object


def _read(message: MailMessage, raw: bytes) -> Reply:
    message_id = _ids(message.get("Message-ID"))
    in_reply_to = _ids(message.get("In-Reply-To"))
    answered = in_reply_to + list(reversed(_ids(message.get("References"))))
    part = message.get_body(preferencelist=("plain", "html"))
    body = part.get_content() if part is not None else ""
    if part is not None and part.get_content_type() == "text/html":
        body = re.sub(r"<[^>]*>", " ", body)
    try:
        date = parsedate_to_datetime(str(message.get("Date", "")))
    except (TypeError, ValueError):
        date = None
    if date is not None and timezone.is_naive(date):
        date = None
    return Reply(
        message_id=message_id[0] if message_id else f"<{hashlib.sha256(raw).hexdigest()}@hash.invalid>",
        in_reply_to=in_reply_to[0] if in_reply_to else "",
        answered=answered,
        sender=_addresses(message, "From")[:1][0] if _addresses(message, "From") else "",
        recipients=_addresses(message, "To") + _addresses(message, "Cc"),
        subject=str(message.get("Subject", "")),
        body=body,
        date=date,
    )


def _match(reply: Reply):
    """(the email it answers, None) or (None, the one visible record of the sender) or (None, None)."""
    if reply.answered:
        known = EmailMessage.objects.select_related("activity").filter(message_id__in=reply.answered)
        by_id = {email.message_id: email for email in known}
        for message_id in reply.answered:
            if message_id in by_id:
                return by_id[message_id], None
    if not reply.sender:
        return None, None
    recipients = [address.lower() for address in reply.recipients]
    users = get_user_model().objects.annotate(address=Lower("email")).filter(address__in=recipients)
    user = users.filter(is_active=True).order_by("pk").first() if recipients else None
    if user is None:
        return None, None
    key = normalize_key(reply.sender)
    records = [
        *visibility.visible_leads(user).filter(email_key=key)[:2],
        *visibility.visible_contacts(user).filter(email_key=key)[:2],
    ]
    return (None, records[0]) if len(records) == 1 else (None, None)


def _ids(value) -> list[str]:
    return MESSAGE_ID.findall(str(value)) if value else []


def _addresses(message: MailMessage, header: str) -> list[str]:
    return [
        address
        for _, address in getaddresses([str(value) for value in message.get_all(header, [])])
        if address
    ]


def _quoted(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'
