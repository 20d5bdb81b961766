"""Read the replies of the CRM's mailbox once (the worker runs the same round every
CRM_IMAP_POLL_SECONDS); safe to run any number of times, alongside the worker."""

import imaplib

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from crm.mailbox import poll_mailbox


class Command(BaseCommand):
    help = "Log the new replies of the CRM's IMAP mailbox (CRM_IMAP_URL) on their records' timelines."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--url", default="", help="IMAP URL (default: CRM_IMAP_URL).")
        parser.add_argument("--folder", default="", help="Folder (default: CRM_IMAP_FOLDER).")

    def handle(self, *args, url: str, folder: str, **options) -> None:
        url = url or settings.CRM_IMAP_URL
        if not url:
            raise CommandError("No mailbox: set CRM_IMAP_URL or pass --url.")
        try:
            result = poll_mailbox(url, folder or settings.CRM_IMAP_FOLDER)
        except (imaplib.IMAP4.error, OSError) as error:
            raise CommandError(f"The mailbox could not be read: {error}") from error
        self.stdout.write(
            self.style.SUCCESS(
                f"{result.read} new messages read, {result.logged} logged, {result.skipped} left alone."
            )
        )
