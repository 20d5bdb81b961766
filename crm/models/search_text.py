"""The folded text a search reads (`crm.search`): a stored, generated column per searched model.

`search_text` is `crm_fold` (the SQL twin of `crm.search.fold`: case and accents dropped) of the
model's searched text fields, joined by a line break: computed by the database on every write,
whatever writes the row (a form, `update()`, the backfill's `INSERT … SELECT`, an import), and
indexed by a trigram index on PostgreSQL (migration 0033). A search reads one stored column through
one index instead of calling `crm_fold` on each field of each row it considers.
"""

from django.db.models import F, Func, GeneratedField, TextField, Value
from django.db.models.functions import Concat

# Between two fields: a term holding it is searched field by field (`crm.search`), so a match
# never spans two fields.
SEPARATOR = "\n"


def folded_text(*names: str) -> GeneratedField:
    parts = [F(names[0])]
    for name in names[1:]:
        parts += [Value(SEPARATOR), F(name)]
    text = Concat(*parts, output_field=TextField()) if len(parts) > 1 else F(names[0])
    field = GeneratedField(
        expression=Func(text, function="crm_fold", output_field=TextField()),
        output_field=TextField(),
        db_persist=True,
    )
    field.folded_fields = frozenset(names)  # what `crm.search` may read here instead of each field
    return field
