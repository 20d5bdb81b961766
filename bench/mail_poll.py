"""The reply poller: 1 000 new messages in one run, each matched and logged once, under 30 s.

A fresh CRM database (a SQLite file in a temporary directory, or `--database-url`, migrated here)
gets one sales person, `--n` prospects and one email sent to each; the IMAP server (the loopback
Dovecot of `scripts/start_services.sh`, or `--imap-url`) gets, in a folder of its own, one reply to
each: four in five answer the email (In-Reply-To/References), one in five only comes from the
prospect's address. Then `poll_mailbox` is timed over the folder (one run), checked to have logged
each reply once on its prospect, and run again (nothing new). The folder is deleted at the end.

    .venv/bin/python bench/mail_poll.py [--n 1000] [--database-url postgres://…] [--imap-url imap://…]
"""

import argparse
import os
import sys
import tempfile
import time
import uuid
from email.message import EmailMessage as MailMessage
from email.utils import make_msgid
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--imap-url", default="imap://crm:crm@127.0.0.1:1143")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        os.environ["DATABASE_URL"] = options.database_url or f"sqlite:///{directory}/bench.sqlite3"
        os.environ.setdefault("SECRET_KEY", "bench-mail-poll-not-secret")
        os.environ.setdefault("DEBUG", "false")
        os.environ["DJANGO_SETTINGS_MODULE"] = "igv_site.settings"
        import django

        django.setup()
        return run(options.n, options.imap_url)


def run(n: int, imap_url: str) -> int:
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from crm.mailbox import connect, poll_mailbox
    from crm.models import Activity, ActivityKind, DeliveryStatus, EmailDirection, EmailMessage, Lead
    from mini_analysis.keys import normalize_key

    call_command("migrate", verbosity=0)
    seller = get_user_model().objects.create_user("bench-seller", "seller@bench.example", is_staff=True)
    leads = Lead.objects.bulk_create(
        Lead(
            email=f"person{i}@bench.example",
            email_key=f"person{i}@bench.example",
            brand_name=f"Brand {i}",
            brand_key=normalize_key(f"Brand {i}"),
            assigned_to=seller,
        )
        for i in range(n)
    )
    if leads[0].pk is None:
        leads = list(Lead.objects.order_by("pk"))
    sent = Activity.objects.bulk_create(
        Activity(kind=ActivityKind.EMAIL, subject="Hi", lead=lead, owner=seller, done_at=lead.created_at)
        for lead in leads
    )
    if sent[0].pk is None:
        sent = list(Activity.objects.order_by("pk"))
    emails = EmailMessage.objects.bulk_create(
        EmailMessage(
            activity=activity,
            direction=EmailDirection.OUTBOUND,
            message_id=make_msgid(domain="crm.bench"),
            status=DeliveryStatus.SENT,
            sender=seller,
        )
        for activity in sent
    )
    folder = f"bench-{uuid.uuid4().hex}"
    imap = connect(imap_url)
    imap.create(folder)
    try:
        started = time.perf_counter()
        for i, (lead, email) in enumerate(zip(leads, emails, strict=True)):
            reply = MailMessage()
            reply["From"], reply["To"], reply["Subject"] = lead.email, seller.email, f"Re: Hi {i}"
            reply["Message-ID"] = make_msgid(domain="client.bench")
            if i % 5:
                reply["In-Reply-To"] = reply["References"] = email.message_id
            reply.set_content(f"Reply {i}")
            imap.append(folder, "", None, reply.as_bytes())
        print(f"{n} replies appended to {folder} in {time.perf_counter() - started:.1f} s")
        started = time.perf_counter()
        result = poll_mailbox(imap_url, folder)
        elapsed = time.perf_counter() - started
        again = poll_mailbox(imap_url, folder)
    finally:
        imap.delete(folder)
        imap.logout()
    inbound = Activity.objects.filter(email__direction=EmailDirection.INBOUND)
    per_lead = set(inbound.values_list("lead_id", flat=True))
    ok = result.logged == n == inbound.count() == len(per_lead) and again.read == 0
    print(
        f"poll: {result.read} read, {result.logged} logged in {elapsed:.2f} s ({n / elapsed:.0f} messages/s)"
    )
    print(f"second poll: {again.read} read; one reply per prospect: {len(per_lead) == n}")
    print(f"target (each logged once, under 30 s): {'met' if ok and elapsed < 30 else 'MISSED'}")
    return 0 if ok and elapsed < 30 else 1


if __name__ == "__main__":
    sys.exit(main())
