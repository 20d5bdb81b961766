"""Writing an import's plan: the one write path of the admin, the command and the worker.

Set-based, in batches: new prospects with `bulk_create` (their keys computed by `KeyedQuerySet`),
changed ones with `bulk_update`, each with its history rows (simple_history's bulk helpers, in the
importing user's name, reason "imported"). Run inside the transaction that planned the file with
the matched prospects locked (`import_table`), so what was planned is what is written.
"""

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from ..history import service_account
from ..models import Lead
from ..uploads import Table
from .plan import ImportPlan, plan_import

BATCH_SIZE = 1000
REASON = "imported"
IMPORT_ACTOR = "import"


def import_table(
    table: Table, mapping: list[str], user: AbstractBaseUser | None, *, dry_run: bool = False
) -> ImportPlan:
    """Plan the file and, unless `dry_run`, write its valid rows; the plan says what was done.
    `user` None is the operator at the shell, recorded in the history as the `import` account."""
    if dry_run:
        return plan_import(table, mapping, user)
    with transaction.atomic():
        plan = plan_import(table, mapping, user, lock=True)
        write_plan(plan, user)
    return plan


def write_plan(plan: ImportPlan, user: AbstractBaseUser | None) -> None:
    user = user or service_account(IMPORT_ACTOR)
    now = timezone.now()
    new = [planned.lead for planned in plan.new]
    for lead in new:
        lead.updated_at = now
    bulk_create_with_history(
        new, Lead, batch_size=BATCH_SIZE, default_user=user, default_change_reason=REASON, default_date=now
    )
    changed = sorted({name for planned in plan.updated for name in planned.changed})
    updated = [planned.lead for planned in plan.updated]
    for lead in updated:
        lead.updated_at = now
    if updated:
        bulk_update_with_history(
            updated,
            Lead,
            [*changed, "updated_at"],
            batch_size=BATCH_SIZE,
            default_user=user,
            default_change_reason=REASON,
            default_date=now,
        )
