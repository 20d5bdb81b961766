import signal
import sys
import threading

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, no_translations
from pymongo.errors import PyMongoError

from crm import legacy_server, legacy_sync
from crm.legacy_server import LEADS, REQUESTS


class Command(BaseCommand):
    help = (
        "Bring the new and changed documents of the legacy MongoDB (mini_analyses, leads) into the CRM; "
        "with --follow, keep doing it until stopped (the bridge during a cutover)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--mongo-uri", help="The legacy MongoDB server (default: LEGACY_MONGO_URI).")
        parser.add_argument("--db", help="MongoDB database name (default: the one in the URI).")
        parser.add_argument("--follow", action="store_true", help="Keep following the changes until stopped.")
        parser.add_argument(
            "--poll-interval",
            type=float,
            default=legacy_sync.POLL_INTERVAL,
            help="Seconds between two polls when the server offers no change stream.",
        )

    @no_translations
    def handle(
        self, *args, mongo_uri: str | None, db: str | None, follow: bool, poll_interval: float, **options
    ):
        if poll_interval <= 0:
            raise CommandError("--poll-interval must be positive.")
        stop = threading.Event()
        for stop_signal in (signal.SIGTERM, signal.SIGINT):
            signal.signal(stop_signal, lambda *_: stop.set())
        uri = mongo_uri or settings.LEGACY_MONGO_URI
        if not uri:
            if not follow:
                raise CommandError("Give --mongo-uri, or set LEGACY_MONGO_URI.")
            # A process of a Procfile that exits stops the others: stay, doing nothing, until stopped.
            self._say("LEGACY_MONGO_URI is not set: no legacy MongoDB to follow (nothing to do).")
            stop.wait()
            return
        try:
            with legacy_server.opened(uri, db, REQUESTS, LEADS) as database:
                self._say(f"[START] Following {legacy_server.safe_uri(uri)} database {database.name}.")
                bridge = legacy_sync.Bridge(database, log=self._say, stop=stop, poll_interval=poll_interval)
                bridge.run(follow=follow)
        except legacy_server.LegacyServerError as error:
            raise CommandError(str(error)) from error
        except PyMongoError as error:
            raise CommandError(f"MongoDB: {error}") from error
        for name, reason in bridge.rejected:
            self.stdout.write(self.style.ERROR(f"[ERROR] {name}: {reason}"))
        for kind in ("requests", "leads"):
            for outcome in ("created", "updated"):
                self.stdout.write(f"{kind.capitalize()} {outcome}: {bridge.counts[f'{kind} {outcome}']}")
        self.stdout.write(f"Unchanged: {bridge.counts['unchanged']}")
        self.stdout.write(f"Rejected: {len(bridge.rejected)}")
        if bridge.rejected:
            raise CommandError(f"{len(bridge.rejected)} document(s) rejected, see the [ERROR] lines.")

    def _say(self, line: str) -> None:
        """One line of the log, written at once (a process manager reads it from a pipe)."""
        self.stdout.write(line)
        self.stdout.flush()
        sys.stdout.flush()
