"""The order in which writers lock a lead and its activities: the lead first.

A reassignment locks its leads, then (crm 0039's trigger, which copies the new owner onto each
activity) their activities. A writer that took an activity's row first and its lead's next (a
service refreshing the lead's next action after writing the activity, a cascade deleting the
activities before their lead, an erasure anonymising them first) could deadlock with it on
PostgreSQL, which then fails one of the two. Each such writer calls `lock_leads` first.
"""

from collections.abc import Iterable

from .models import Lead


def lock_leads(ids: Iterable[int | None]) -> None:
    """Lock these leads (`FOR UPDATE`, in key order, so two writers of several leads take them in
    the same order) until the end of the caller's transaction. None and repeats are ignored."""
    keys = {key for key in ids if key}
    if keys:
        list(Lead.objects.select_for_update().filter(pk__in=keys).order_by("pk").values_list("pk"))
