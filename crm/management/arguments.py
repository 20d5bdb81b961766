"""Argument types of the CRM's management commands: bad input is a clear usage error, never a traceback."""

import argparse
from collections.abc import Callable


def bounded_integer(minimum: int, maximum: int) -> Callable[[str], int]:
    """An argparse `type` taking an integer from `minimum` to `maximum`.

    Unbounded, a huge number reaches the database (a LIMIT beyond 64 bits is an IntegrityError on
    SQLite, a DataError on PostgreSQL) or Python's own limits; argparse turns the refusal into
    `error: argument --limit: …` on the command line and a `CommandError` through `call_command`.
    """

    def integer(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not an integer: {text[:40]!r}") from None
        if not minimum <= value <= maximum:
            raise argparse.ArgumentTypeError(
                f"must be an integer from {minimum} to {maximum}, not {text[:40]}"
            )
        return value

    return integer
