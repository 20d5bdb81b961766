"""Who changed what: django-simple-history records leads, companies, contacts and opportunities.

A save in the admin or the API is recorded with the logged-in user (`HistoryRequestMiddleware`).
Services name the actor on the instance (`attribute`), so a change made from a command, a thread
or a test is recorded with its author too. Commands act as a service account named after
themselves (`service_account("backfill")`, an inactive user that cannot log in) for a whole block
with `acting_as`, which is what the middleware does for a request.

Writes that bypass `save()` (`QuerySet.update`, the backfill's `INSERT … SELECT`) record their
history set-based with `insert_history`: one `INSERT … SELECT` into the history table.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from types import SimpleNamespace

from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import BigIntegerField, CharField, DateTimeField, Expression, F, Model, QuerySet, Value
from simple_history.models import HistoricalRecords

from mini_analysis.lengths import text_length_constraint, text_max_lengths

BACKFILL_ACTOR = "backfill"


# The text columns simple_history adds to a history table, and their `max_length` there.
HISTORY_TEXT_LENGTHS = {"history_type": 1, "history_change_reason": 100}


class BoundedHistoricalRecords(HistoricalRecords):
    """simple_history's records, whose table bounds its text columns as the tracked table does.

    The history table copies every column of the tracked one without its constraints: the
    tracked model's maxima (and those of the columns simple_history adds) are its check constraint
    (`mini_analysis.lengths`), so a history row can no more hold 100 MB than the row it copies.
    """

    def fields_included(self, model: type[Model]) -> list:
        """The tracked columns, less the generated ones (the search's folded text): derived from
        the others, so the history keeps what was typed."""
        return [field for field in super().fields_included(model) if not field.generated]

    def get_meta_options(self, model: type[Model]) -> dict:
        options = super().get_meta_options(model)
        maxima = {**text_max_lengths(model), **HISTORY_TEXT_LENGTHS}
        options["constraints"] = [text_length_constraint(f"{self.table_name}_text_lengths", maxima)]
        return options


def service_account(username: str) -> AbstractBaseUser:
    """The inactive account a command's changes are recorded under (created on first use)."""
    user, created = get_user_model().objects.get_or_create(
        username=username, defaults={"is_active": False, "is_staff": False}
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


@contextmanager
def acting_as(user: AbstractBaseUser) -> Iterator[None]:
    """Every save and delete in this block (this thread) is recorded as made by `user`."""
    previous = getattr(HistoricalRecords.context, "request", None)
    HistoricalRecords.context.request = SimpleNamespace(user=user)
    try:
        yield
    finally:
        if previous is None:
            del HistoricalRecords.context.request
        else:
            HistoricalRecords.context.request = previous


def attribute(instance: Model, user: AbstractBaseUser | None, reason: str | None = None) -> Model:
    """Name who makes the next `save()` of `instance` (and why) in its history."""
    instance._history_user = user
    instance._change_reason = reason  # None clears a reason left by an earlier save
    return instance


def insert_history(
    queryset: QuerySet,
    *,
    history_type: str,
    user: AbstractBaseUser | None,
    reason: str,
    date: datetime,
    values: dict[str, Expression] | None = None,
) -> int:
    """One history row per row of `queryset`, in one `INSERT … SELECT`; returns how many.

    `values` overrides columns (by field attname) with the value the rows are about to take, so the
    history of an `update()` can be written before it, from the same queryset.
    """
    model = queryset.model
    history_model = model.history.model
    expressions: dict[str, Expression] = {
        f.attname: F(f.attname) for f in model._meta.concrete_fields if not f.generated
    }
    expressions.update(values or {})
    expressions.update(
        history_date=Value(date, output_field=DateTimeField()),
        history_type=Value(history_type, output_field=CharField()),
        history_change_reason=Value(reason, output_field=CharField()),
        history_user_id=Value(user.pk if user else None, output_field=BigIntegerField()),
    )
    select = queryset.order_by().values(
        **{f"history_{i}": value for i, value in enumerate(expressions.values())}
    )
    try:
        sql, params = select.query.sql_with_params()
    except EmptyResultSet:  # `.none()`, or a filter Django knows matches nothing: no SQL at all
        return 0
    connection = connections[queryset.db]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(history_model._meta.get_field(name).column) for name in expressions)
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {quote(history_model._meta.db_table)} ({columns}) {sql}", params)
        return cursor.rowcount
