"""What an import would do, row by row, before anything is written: the preview and the
confirmation both plan the file (the confirmation again, in its transaction, with the matched
prospects locked), and only the confirmation writes the plan (`crm.imports.writes`).

A row is refused with its line, column and reason; the others are new, updated or unchanged.
Rows of one person and brand are merged in file order, each later one said in a warning. A row
matches a prospect by the identity of person and brand (`Lead.objects.filter_identity`'s keys):
an update, never a duplicate; a prospect the user may not see (`crm.visibility`) refuses the row,
saying nothing of whose it is.
"""

from dataclasses import dataclass, field

from django.contrib.auth.base_user import AbstractBaseUser
from django.utils.translation import gettext as _

from mini_analysis.keys import identity_key

from .. import visibility
from ..models import Lead, LeadStage
from ..services.stages import lead_stage_error
from ..uploads import Table, UploadRefused
from .fields import FIELDS, REQUIRED_FIELDS
from .values import RowReader, RowValues, cell_text

# Values an import may change on a prospect it matches: not its email and brand (the row matched
# them: the prospect keeps its spelling), nor its creation date.
UPDATED_FIELDS = [
    "first_name", "last_name", "phone", "sector", "language", "status", "source", "stage",
    "disqualification_reason", "assigned_to", "notes",
]  # fmt: skip
MATCH_BATCH = 500


@dataclass
class RefusedRow:
    line: int
    cells: list
    reasons: list[tuple[str, str]]  # (column, reason)

    def reason_text(self) -> str:
        return "; ".join(f"{column}: {reason}" for column, reason in self.reasons)


@dataclass
class PlannedLead:
    line: int
    lead: Lead | None  # the matched one, its values set; None for a new one, and once absorbed
    changed: list[str]
    # A new one's values: its `Lead` is built when written (`writes.new_leads`), not by a preview.
    values: dict | None = None


@dataclass
class ImportPlan:
    headers: list[str]
    mapping: list[str]
    new: list[PlannedLead] = field(default_factory=list)
    updated: list[PlannedLead] = field(default_factory=list)
    unchanged: int = 0
    refused: list[RefusedRow] = field(default_factory=list)
    warnings: list[tuple[int, str]] = field(default_factory=list)  # (line, message)

    def absorb(self, other: "ImportPlan") -> None:
        """Add a chunk's outcome, keeping its lines and changed fields, not its prospects."""
        self.new += [PlannedLead(planned.line, None, planned.changed) for planned in other.new]
        self.updated += [PlannedLead(planned.line, None, planned.changed) for planned in other.updated]
        self.unchanged += other.unchanged
        self.refused += other.refused
        self.warnings += other.warnings

    @property
    def counts(self) -> dict[str, int]:
        return {
            "new": len(self.new),
            "updated": len(self.updated),
            "unchanged": self.unchanged,
            "refused": len(self.refused),
        }


def check_mapping(mapping: list[str]) -> None:
    """`UploadRefused` unless the email and the brand are each one column, and fields are known."""
    missing = [FIELDS[name] for name in REQUIRED_FIELDS if name not in mapping]
    if missing:
        raise UploadRefused(
            _("Choose the columns of %(fields)s: a prospect is found by them.")
            % {"fields": ", ".join(str(name) for name in missing)}
        )
    chosen = [name for name in mapping if name]
    if unknown := [name for name in chosen if name not in FIELDS]:
        raise UploadRefused(_("Unknown field “%(field)s”.") % {"field": unknown[0]})
    if twice := sorted({name for name in chosen if chosen.count(name) > 1}):
        raise UploadRefused(_("Two columns are mapped to %(field)s.") % {"field": FIELDS[twice[0]]})


def plan_import(
    table: Table, mapping: list[str], user: AbstractBaseUser | None, *, lock: bool = False
) -> ImportPlan:
    """What importing `table` with `mapping` (a field or "" per column) would do for `user`;
    None is the operator at the shell (`import_prospects` without `--as`), who sees everything."""
    check_mapping(mapping)
    plan = ImportPlan(headers=table.headers, mapping=mapping)
    reader = RowReader()
    merged: dict[tuple[str, str], tuple[int, list, RowValues]] = {}
    for line, cells in zip(table.lines, table.rows, strict=True):
        read = reader.read(
            {name: (table.headers[index], cells[index]) for index, name in enumerate(mapping) if name}
        )
        for name in REQUIRED_FIELDS:
            if not read.values.get(name) and not any(
                column == _column(table, mapping, name) for column, _reason in read.refusals
            ):
                read.refusals.append((_column(table, mapping, name), _("This cell is required.")))
        if read.refusals:
            plan.refused.append(RefusedRow(line, cells, read.refusals))
            continue
        plan.warnings += [(line, warning) for warning in read.warnings]
        key = identity_key(read.values["email"], read.values["brand_name"])
        if key in merged:
            first_line, _cells, first = merged[key]
            plan.warnings.append(
                (line, _("Same person and brand as line %(line)s: merged into it.") % {"line": first_line})
            )
            first.values.update(read.values)
            if read.invalid_phone is not None:
                first.values.pop("phone", None)
                first.invalid_phone = read.invalid_phone
            elif "phone" in read.values:
                first.invalid_phone = None
            continue
        merged[key] = (line, cells, read)
    existing = _matching_leads(list(merged), user, lock)
    stage_column = next(
        (_column(table, mapping, name) for name in ["stage", "disqualification_reason"] if name in mapping),
        "",
    )
    allowed_to_assign = user is None or user.has_perm("crm.assign_lead")
    for key, (line, cells, read) in merged.items():
        lead = existing.get(key)
        if lead is False:
            plan.refused.append(RefusedRow(line, cells, [("", _("You cannot import this row."))]))
            continue
        if "assigned_to" in read.values and not allowed_to_assign and read.values["assigned_to"] != user:
            del read.values["assigned_to"]
            plan.warnings.append((line, _("You may not assign prospects to others: owner left as it is.")))
        refusals = _plan_lead(plan, line, lead, read, stage_column)
        if refusals:
            plan.refused.append(RefusedRow(line, cells, refusals))
    plan.refused.sort(key=lambda row: row.line)
    return plan


def _plan_lead(
    plan: ImportPlan, line: int, lead: Lead | None, read: RowValues, stage_column: str
) -> list[tuple[str, str]]:
    values = read.values
    if read.invalid_phone is not None:
        column, text, reason = read.invalid_phone
        if lead is None or str(lead.phone or "") != text:
            return [(column, reason)]
    if lead is None:
        if values.get("stage") != LeadStage.DISQUALIFIED:
            values.pop("disqualification_reason", None)
        stage = values.get("stage", LeadStage.NEW)
        if error := _stage_error(LeadStage.NEW, stage, values.get("disqualification_reason")):
            return [(stage_column, error)]
        plan.new.append(PlannedLead(line, None, list(values), values))
        return []
    current_stage = lead.stage
    stage = values.get("stage", lead.stage)
    if stage != LeadStage.DISQUALIFIED:
        values["disqualification_reason"] = None
    changed = [name for name in UPDATED_FIELDS if name in values and _differs(lead, name, values[name])]
    for name in changed:
        setattr(lead, name, values[name])
    if {"stage", "disqualification_reason"} & set(changed) and (
        error := _stage_error(current_stage, lead.stage, lead.disqualification_reason)
    ):
        return [(stage_column, error)]
    if changed:
        plan.updated.append(PlannedLead(line, lead, changed))
    else:
        plan.unchanged += 1
    return []


def _stage_error(current: str, stage: str, reason) -> str | None:
    if stage == current == LeadStage.NEW:
        return None
    return lead_stage_error(current, stage, reason)


def _differs(lead: Lead, name: str, new) -> bool:
    """Whether `new` changes the lead's `name`; a related row by its id (no query)."""
    if name in ("assigned_to", "disqualification_reason"):
        return getattr(lead, f"{name}_id") != (new.pk if new is not None else None)
    current = getattr(lead, name)
    return str(current or "") != new if isinstance(new, str) else (current or None) != (new or None)


def _column(table: Table, mapping: list[str], name: str) -> str:
    return table.headers[mapping.index(name)]


def _matching_leads(keys: list[tuple[str, str]], user: AbstractBaseUser | None, lock: bool) -> dict:
    """The prospect of each key; False for one this user may not see."""
    found: dict = {}
    for start in range(0, len(keys), MATCH_BATCH):
        batch = keys[start : start + MATCH_BATCH]
        wanted = set(batch)
        leads = Lead.objects.filter(email_key__in={email for email, _brand in batch}).order_by("pk")
        if lock:
            leads = leads.select_for_update(of=("self",))
        matched = [lead for lead in leads if (lead.email_key, lead.brand_key) in wanted]
        candidates = Lead.objects.filter(pk__in=[lead.pk for lead in matched])
        if user is not None:
            candidates = visibility.visible_leads(user, candidates)
        visible = set(candidates.values_list("pk", flat=True))
        found.update(
            {(lead.email_key, lead.brand_key): lead if lead.pk in visible else False for lead in matched}
        )
    return found


def refused_rows(plan: ImportPlan) -> tuple[list[str], list[list[str]]]:
    """The refused rows as the file had them, with a last column saying why: fix and import again."""
    header = [*plan.headers, str(_("Reason refused"))]
    return header, [[*(cell_text(cell) for cell in row.cells), row.reason_text()] for row in plan.refused]
