"""The rows the migrations seed (the Sales group and its permissions, the stages, the reasons, the
email templates, the lifecycle stages), written again: a transactional test's flush empties every
table, and Django's `serialized_rollback` restores them only where no earlier test left rows
behind (under xdist a worker's order mixes both, and the restore then collides with rows still
there)."""

import importlib

from django.apps import apps

SEEDS = [
    ("0002_sales_group", "create_sales_group"),
    ("0005_pipeline_reference_rows", "seed"),
    ("0019_loss_reasons", "seed"),
    ("0026_email", "seed_templates"),
    ("0030_import_mappings_and_lifecycle_stages", "seed"),
]


def restore_reference_rows() -> None:
    """Each seed is idempotent (`get_or_create`); the app registry's `models_module`, which the
    permission seeds set and clear, is put back as it was."""
    modules = {config.label: config.models_module for config in apps.get_app_configs()}
    try:
        for migration, function in SEEDS:
            getattr(importlib.import_module(f"crm.migrations.{migration}"), function)(apps, None)
    finally:
        for config in apps.get_app_configs():
            config.models_module = modules[config.label]
