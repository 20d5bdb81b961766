"""What was done and what is planned: calls, emails, meetings, notes, and tasks with a due date."""

from datetime import datetime

from django.conf import settings
from django.core.validators import MaxLengthValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mini_analysis.lengths import NOTES_MAX_LENGTH, text_length_constraint


class ActivityKind(models.TextChoices):
    CALL = "call", _("Call")
    EMAIL = "email", _("Email")
    MEETING = "meeting", _("Meeting")
    NOTE = "note", _("Note")
    TASK = "task", _("Task")


class ActivityOutcome(models.TextChoices):
    """How a call, email or meeting went, in the words a sales person would log it (optional)."""

    REACHED = "reached", _("Reached")
    NO_ANSWER = "no_answer", _("No answer")
    LEFT_MESSAGE = "left_message", _("Left a message")
    NOT_INTERESTED = "not_interested", _("Not interested")


class Activity(models.Model):
    """One activity on a lead, a contact or an opportunity (at least one of them).

    A task is planned (`due_at`) and later done (`done_at`); any other kind is logged when it
    happened (`done_at`). The next action of a lead or opportunity is its earliest open task.
    """

    kind = models.CharField(_("kind"), max_length=8, choices=ActivityKind.choices)
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(
        _("details"),
        blank=True,
        max_length=NOTES_MAX_LENGTH,
        validators=[MaxLengthValidator(NOTES_MAX_LENGTH)],
    )
    outcome = models.CharField(
        _("outcome"),
        max_length=16,
        choices=ActivityOutcome.choices,
        blank=True,
        default="",
        db_default="",
    )
    lead = models.ForeignKey(
        "crm.Lead",
        verbose_name=_("prospect"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="activities",
        db_index=False,  # indexed by `activity_lead` (Meta), with what a list's count reads
    )
    contact = models.ForeignKey(
        "crm.Contact",
        verbose_name=_("contact"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="activities",
    )
    opportunity = models.ForeignKey(
        "crm.Opportunity",
        verbose_name=_("opportunity"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="activities",
    )
    due_at = models.DateTimeField(_("due"), null=True, blank=True)
    done_at = models.DateTimeField(_("done"), null=True, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_activities",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(lead__isnull=False)
                | models.Q(contact__isnull=False)
                | models.Q(opportunity__isnull=False),
                name="activity_has_a_subject_record",
            ),
            models.CheckConstraint(
                condition=~models.Q(kind=ActivityKind.TASK) | models.Q(due_at__isnull=False),
                name="activity_task_has_due_date",
            ),
            models.CheckConstraint(
                condition=models.Q(kind=ActivityKind.TASK) | models.Q(done_at__isnull=False),
                name="activity_logged_has_date",
            ),
            models.CheckConstraint(
                condition=models.Q(kind__in=ActivityKind.values), name="activity_known_kind"
            ),
            models.CheckConstraint(
                condition=models.Q(outcome__in=["", *ActivityOutcome.values]), name="activity_known_outcome"
            ),
            text_length_constraint(
                "crm_activity_text_lengths",
                {"kind": 8, "subject": 200, "body": NOTES_MAX_LENGTH, "outcome": 16},
            ),
        ]
        indexes = [
            # A sales person's activities are counted by their leads (`visibility.visible_activity_parts`):
            # on PostgreSQL this index also carries every column the visibility rule and the list's
            # filters read, so the count walks it alone, beside the leads' `lead_assigned_id` (a merge
            # join), instead of hashing every visible lead's key first. SQLite indexes the lead alone.
            models.Index(
                fields=["lead"],
                include=["contact", "opportunity", "kind", "done_at", "due_at", "owner"],
                name="activity_lead",
            ),
            # The same for the two filters whose rows are a small part of the activities: open tasks
            # (and the overdue among them: also a lead's next action), and one owner's.
            models.Index(
                fields=["lead", "due_at"],
                include=["contact", "opportunity", "owner"],
                name="activity_lead_open_task",
                condition=models.Q(kind=ActivityKind.TASK, done_at__isnull=True),
            ),
            models.Index(
                fields=["owner", "lead"],
                include=["contact", "opportunity", "kind", "done_at", "due_at"],
                name="activity_owner_lead",
            ),
            models.Index(fields=["-created_at", "-id"], name="activity_created"),
            models.Index(fields=["owner", "-created_at"], name="activity_owner_created"),
            models.Index(fields=["kind", "-created_at"], name="activity_kind_created"),
            models.Index(fields=["done_at"], name="activity_done"),
            # Open tasks by due date: the next actions and the overdue list.
            models.Index(
                fields=["due_at"],
                name="activity_open_task_due",
                condition=models.Q(kind=ActivityKind.TASK, done_at__isnull=True),
            ),
            # One person's open tasks by due date: My day (`crm.my_day`), the dashboard's overdue.
            models.Index(
                fields=["owner", "due_at"],
                name="activity_owner_open_task_due",
                condition=models.Q(kind=ActivityKind.TASK, done_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.subject}"

    def date_if_logged(self, now: datetime | None = None) -> None:
        """A call, email, meeting or note logged without a date happened now: only a task is
        planned before it is done. (The form's `clean` and `services.record_activity` both call
        this, so a sales person logging a call never has to type the time.)"""
        if self.kind != ActivityKind.TASK and self.done_at is None:
            self.done_at = now or timezone.now()

    def clean(self) -> None:
        super().clean()
        self.date_if_logged()

    @property
    def is_open_task(self) -> bool:
        return self.kind == ActivityKind.TASK and self.done_at is None
