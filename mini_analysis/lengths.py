"""Every text column has a maximum that the database enforces, not only the forms.

PostgreSQL enforces a `varchar(n)`; SQLite ignores the length of any column, and a `TextField` has
none at all, so a 100 MB cell could be stored (and served back on every API page). Each model
therefore carries one check constraint, `LENGTH(column) <= maximum` for each of its text columns
(`text_length_constraint`), and every free-text field a `max_length` with its validator, so that
forms, the API, `full_clean()` and imports give a field error before the database refuses the row.

One constraint per model rather than one per column: `full_clean()` runs one query per check
constraint, and an import runs it for every row.
"""

from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.db.models.functions import Length, Substr
from django.db.models.lookups import GreaterThan, LessThanOrEqual

# Free text typed by a person: a prospect's notes, an activity's details, a closing reason.
NOTES_MAX_LENGTH = 10_000
# A generated analysis (one page: a few thousand characters; the generator's answer is refused beyond).
ANALYSIS_MAX_LENGTH = 50_000
# An error recorded for an operator (a repr or a message, cut to this length by its writer).
ERROR_MAX_LENGTH = 2_000


def text_length_constraint(name: str, max_lengths: dict[str, int]) -> models.CheckConstraint:
    """`LENGTH(column) <= maximum` for each column of `max_lengths` (a NULL passes, as in SQL)."""
    condition = models.Q()
    for column, maximum in max_lengths.items():
        condition &= models.Q(LessThanOrEqual(Length(column), maximum))
    return models.CheckConstraint(condition=condition, name=name)


def text_max_lengths(model: type[models.Model]) -> dict[str, int]:
    """The `max_length` of each text column of `model` (`CharField`, `TextField` and subclasses)."""
    lengths = {
        field.name: field.max_length
        for field in model._meta.concrete_fields
        if isinstance(field, models.CharField | models.TextField)
    }
    if unbounded := [name for name, maximum in lengths.items() if maximum is None]:
        raise ImproperlyConfigured(f"{model.__name__}: give {', '.join(unbounded)} a max_length.")
    return lengths


def fit_existing_rows(apps, schema_editor, app_label: str) -> None:
    """Make the rows of an app's tables fit their maxima before the constraints are added
    (`RunPython` in the migration that adds them, after the fields got their `max_length`).

    Free text (a `TextField`) is cut to its maximum and the count printed: it identifies nothing,
    and was unbounded until now. A `CharField` always had its length, which PostgreSQL enforced;
    only SQLite can hold a longer value, written by raw SQL. Cutting it could merge two identities,
    so the migration stops and names the rows, to fix by hand.
    """
    check_declared = schema_editor.connection.vendor == "sqlite"
    for model in apps.get_app_config(app_label).get_models():
        rows = model._base_manager.using(schema_editor.connection.alias)
        for column, maximum in text_max_lengths(model).items():
            over = rows.filter(GreaterThan(Length(column), maximum))
            if isinstance(model._meta.get_field(column), models.TextField):
                if cut := over.update(**{column: Substr(column, 1, maximum)}):
                    print(f"  {model._meta.db_table}.{column}: {cut} values cut to {maximum} characters")
            elif check_declared and (ids := list(over.values_list("pk", flat=True)[:20])):
                raise RuntimeError(
                    f"{model._meta.db_table}.{column}: rows longer than {maximum} characters "
                    f"(ids {ids}); shorten them by hand, then migrate again."
                )
