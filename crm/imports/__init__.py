"""Prospects imported from a spreadsheet or another CRM's export: the admin's import page, the
`import_prospects` command and the worker all go through `import_table`.

- `crm.uploads` reads the file within its limits (CSV in any usual encoding and separator, .xlsx,
  .xls); `fields` maps each column to a field by its header (the manager may change it);
- `values` reads each cell as a person typed it; `plan` decides, row by row, what the import
  does (new, updated, unchanged, refused with a reason); `writes` writes the plan.
"""

from .fields import FIELDS, guess_mapping
from .plan import ImportPlan, RefusedRow, check_mapping, plan_import, refused_rows
from .writes import import_table

__all__ = [
    "FIELDS",
    "ImportPlan",
    "RefusedRow",
    "check_mapping",
    "guess_mapping",
    "import_table",
    "plan_import",
    "refused_rows",
]
