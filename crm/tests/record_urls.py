"""The routes of a record page (`crm.admin.record.RecordMixin`), for any kind of record: its page,
its quick log, its stage buttons and a task's one-click buttons."""

from django.db.models import Model
from django.urls import reverse


def _url(record: Model, route: str, *args) -> str:
    return reverse(f"admin:crm_{record._meta.model_name}_{route}", args=[record.pk, *args])


def record_url(record: Model) -> str:
    return _url(record, "change")


def log_url(record: Model) -> str:
    return _url(record, "log")


def stage_url(record: Model) -> str:
    return _url(record, "stage")


def task_url(record: Model, task: Model) -> str:
    return _url(record, "task", task.pk)
