"""The prospects page's sidebar filters that Django's own would make read the whole table."""

from django.contrib import admin
from django.db import connections
from django.db.models import QuerySet
from django.db.models.expressions import RawSQL
from django.utils.translation import gettext_lazy as _

from mini_analysis.sectors import sector_label

from .. import visibility
from ..display import user_name
from ..models import Lead


class SalesPersonFilter(admin.RelatedFieldListFilter):
    """Records by sales person (a prospect's, or any record's owner): the staff accounts by name,
    plus "unassigned".

    Django's `RelatedOnlyFieldListFilter` would read every lead to find who has some.
    """

    def __init__(self, field, request, params, model, model_admin, field_path):
        super().__init__(field, request, params, model, model_admin, field_path)
        self.empty_value_display = _("Unassigned")

    def field_choices(self, field, request, model_admin):
        ordering = self.field_admin_ordering(field, request, model_admin) or ("username",)
        staff = field.related_model._default_manager.filter(is_staff=True).order_by(*ordering)
        return [(user.pk, user_name(user)) for user in staff]


# Each step: the first value after the previous one, `{first}` and `{next}` written by the ORM.
SECTOR_WALK = (
    "SELECT value FROM (WITH RECURSIVE walk(value, position) AS ("
    "SELECT ({first}), 1"
    " UNION ALL SELECT ({next}), position + 1 FROM walk WHERE walk.value IS NOT NULL AND position < %s"
    ") SELECT value FROM walk) AS part"
)
# The walks' values, merged.
SECTORS = "SELECT value FROM ({walks}) AS sectors WHERE value IS NOT NULL ORDER BY value LIMIT %s"


class SectorFilter(admin.AllValuesFieldListFilter):
    """The sectors present among the visible leads, found by walking the sector index.

    `SELECT DISTINCT sector` reads the whole table. A recursive query that jumps from each sector
    to the next one ("the first sector after X", an index probe each) finds them in one round
    trip, so the sidebar costs the same whatever the table's size (SQLite and PostgreSQL alike).
    A sales person's leads are walked part by part (`visibility.visible_lead_parts`: theirs, the
    unassigned ones), each along its own index, and the parts' sectors merged in the same query:
    with the OR, each probe would read and drop every colleague's lead of a sector.
    """

    max_choices = 200

    def __init__(self, field, request, params, model, model_admin, field_path):
        super().__init__(field, request, params, model, model_admin, field_path)
        parts = visibility.visible_lead_parts(request.user, model._default_manager.all())
        sectors = self._sectors(parts, field.name) if parts else []
        self.lookup_choices = sorted(sectors, key=lambda sector: sector_label(sector).casefold())

    def choices(self, changelist):
        for choice in super().choices(changelist):
            yield {**choice, "display": sector_label(choice["display"])}

    def _sectors(self, parts: list[QuerySet[Lead]], name: str) -> list[str]:
        walks, params = [], []
        for leads in parts:
            values = leads.order_by(name).values_list(name)
            # The ORM writes both steps (the visibility rule included); only the recursion is ours.
            first_sql, first_params = values[:1].query.sql_with_params()
            following = values.filter(**{f"{name}__gt": RawSQL("walk.value", [])})[:1]
            next_sql, next_params = following.query.sql_with_params()
            # Only the ORM's own SQL is formatted in; every value is a parameter.
            walks.append(SECTOR_WALK.format(first=first_sql, next=next_sql))
            params += [*first_params, *next_params, self.max_choices]
        with connections[parts[0].db].cursor() as cursor:
            cursor.execute(SECTORS.format(walks=" UNION ".join(walks)), (*params, self.max_choices))
            return [row[0] for row in cursor.fetchall()]
