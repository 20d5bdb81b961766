"""At most `MINI_ANALYSIS_EMAILS_PER_RECIPIENT` analysis emails a day to one address.

Anyone may type anyone's address in the form, and the rate limit counts per client address: an
attacker with many client addresses could make the site mail one person again and again, with
their own brand text in it. So each recipient mailbox gets a few analysis emails a day, however
many clients ask; the requests beyond are stored and generated, shown on their page, and not
mailed (`MiniAnalysis.email_withheld`). The place is taken when the request is stored, so its
page can say at once whether the analysis will come by email; the day is `TIME_ZONE`'s.
"""

from datetime import date

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.crypto import salted_hmac

from .keys import normalize_key
from .models import RecipientDailyEmails

# Gmail ignores the dots of the local part, and googlemail.com is the same mailbox.
GMAIL_DOMAINS = {"gmail.com", "googlemail.com"}
# Past days' rows deleted by one request at most: the work of a day's change is shared out.
PAST_ROWS_BATCH = 500


def recipient_key(email: str) -> str:
    """The mailbox an address reaches, as far as the address tells: case-folded and trimmed
    (the identity's `normalize_key`), without its subaddress (`ana+news@` is `ana@`), and for
    Gmail without the dots of the local part."""
    local, _, domain = normalize_key(email).rpartition("@")
    local = local.split("+", 1)[0]
    if domain in GMAIL_DOMAINS:
        local, domain = local.replace(".", ""), "gmail.com"
    return f"{local}@{domain}"


def recipient_digest(email: str) -> str:
    """The key of the counter: an HMAC of the mailbox with `SECRET_KEY`, so the table holds no
    address (nor a plain hash one could look an address up by)."""
    return salted_hmac("mini_analysis.recipients", recipient_key(email), algorithm="sha256").hexdigest()


def reserve_analysis_email(email: str) -> bool:
    """Take one of today's analysis emails of this address; False when none is left.

    Race-safe on SQLite and PostgreSQL alike: the day's row is inserted when missing (a
    conflict with a simultaneous insert is ignored), then one conditional UPDATE takes a place
    only while the count is under the limit. Of two reservations of the last place, the
    second's UPDATE waits for the first's row lock, sees the new count and matches nothing."""
    today = timezone.localdate()
    recipient = recipient_digest(email)
    with transaction.atomic():
        _forget_past_days(today)
        RecipientDailyEmails.objects.bulk_create(
            [RecipientDailyEmails(recipient=recipient, day=today)], ignore_conflicts=True
        )
        taken = RecipientDailyEmails.objects.filter(
            recipient=recipient, day=today, count__lt=settings.MINI_ANALYSIS_EMAILS_PER_RECIPIENT
        ).update(count=F("count") + 1)
    return taken == 1


def _forget_past_days(today: date) -> None:
    """Delete a batch of past days' rows, skipping those another request is deleting: two
    requests never wait on each other's old rows (nor deadlock on them, in PostgreSQL)."""
    past = RecipientDailyEmails.objects.filter(day__lt=today).select_for_update(skip_locked=True)
    RecipientDailyEmails.objects.filter(
        pk__in=list(past.values_list("pk", flat=True)[:PAST_ROWS_BATCH])
    ).delete()
