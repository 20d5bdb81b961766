"""Reminders sent to sales people: the morning digest (one per person per local day) and the alert
before a task (one per task). A row is written before the email is sent: its unique constraint is
what makes "exactly one" true whatever the number of workers and restarts."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mini_analysis.lengths import text_length_constraint

from .activities import Activity


class ReminderKind(models.TextChoices):
    DIGEST = "digest", _("morning digest")
    TASK = "task", _("task alert")


class Reminder(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="reminders"
    )
    kind = models.CharField(_("kind"), max_length=8, choices=ReminderKind.choices)
    # The person's local date of a digest; a task alert's is the task's.
    day = models.DateField(_("day"), null=True, blank=True)
    activity = models.ForeignKey(
        Activity, verbose_name=_("task"), null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    # Which round claimed the row (its rows are the ones it inserted: the others lost the race).
    claim = models.UUIDField(editable=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    error = models.CharField(_("error"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("reminder")
        verbose_name_plural = _("reminders")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "day"], condition=Q(kind="digest"), name="one_digest_per_person_and_day"
            ),
            models.UniqueConstraint(fields=["activity"], condition=Q(kind="task"), name="one_alert_per_task"),
            models.CheckConstraint(
                condition=Q(kind="digest", day__isnull=False, activity__isnull=True)
                | Q(kind="task", activity__isnull=False),
                name="reminder_digest_has_day_task_has_activity",
            ),
            text_length_constraint("crm_reminder_text_lengths", {"kind": 8, "error": 500}),
        ]
        indexes = [models.Index(fields=["sent_at", "attempts"], name="reminder_unsent")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.user} {self.day or self.activity_id}"
