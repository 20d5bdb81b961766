"""Log records as single lines tagged with the request id, so that one `grep` finds a whole request."""

import logging
from contextvars import ContextVar
from datetime import datetime

request_id_var: ContextVar[str] = ContextVar("request_id", default="-")


class RequestIdFilter(logging.Filter):
    """Adds `request_id` to every record ("-" outside a request: commands, start-up).

    Django logs a 4xx or 5xx answer ("Not Found: /x") once the middleware has returned, so the
    context variable is gone by then; such records carry the request itself, which has its id.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        request_id = getattr(getattr(record, "request", None), "request_id", None)
        record.request_id = request_id or request_id_var.get()
        return True


class OneLineFormatter(logging.Formatter):
    """One event, one line: tracebacks and multi-line messages have their line breaks escaped.

    Times are ISO 8601 with their UTC offset: Django sets the process's zone to `TIME_ZONE`, while
    gunicorn's own lines are in UTC, and a bare local time could not be lined up with them.
    """

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        return datetime.fromtimestamp(record.created).astimezone().isoformat(timespec="milliseconds")

    def format(self, record: logging.LogRecord) -> str:
        return super().format(record).replace("\r", "\\r").replace("\n", "\\n")
