"""What every service module shares: the refusal a user reads, and the one way a service updates
a few fields of a record."""

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import models

from ..history import attribute


def save_record(
    instance: models.Model,
    *,
    user: AbstractBaseUser | None,
    fields: list[str] | None = None,
    reason: str | None = None,
) -> models.Model:
    """A record edited in a form (a company, a contact, a lead's plain fields): saved (only
    `fields`, when given) with its history naming the editor. Fields with rules of their own
    have their own services: a lead's stage, an opportunity's stage, activities."""
    attribute(instance, user, reason)
    instance.save(update_fields=fields)
    return instance


class PipelineError(Exception):
    """A pipeline step refused: the message is for the user (translated)."""


def model_update(
    instance: models.Model, data: dict, *, user: AbstractBaseUser | None, reason: str
) -> tuple[models.Model, bool]:
    """HackSoftware's `model_update`: set the values of `data` that differ from the instance's and
    save only those fields, with the history naming `user` and `reason`; nothing is written when
    nothing changed. Returns the instance and whether it was saved. (No `full_clean()` here: the
    values come from services that computed them, not from a user.)"""
    changed = [name for name, value in data.items() if getattr(instance, name) != value]
    if not changed:
        return instance, False
    for name in changed:
        setattr(instance, name, data[name])
    attribute(instance, user, reason=reason)
    instance.save(update_fields=changed)
    return instance, True
