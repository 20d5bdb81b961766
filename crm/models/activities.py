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
        db_index=False,  # indexed by `activity_lead` (Meta), with its open tasks by due date
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
    # The lead's `assigned_to`, copied by the database (crm/migrations/0039's triggers) whatever
    # writes the lead or the activity: a sales person sees an activity by this column
    # (`visibility.visible_activities`), one index range, where reading it through the lead
    # probed the activities of each lead they see (4 000 probes for 200 activities: 10 ms).
    lead_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assigned to"),
        null=True,
        blank=True,
        editable=False,
        on_delete=models.DO_NOTHING,  # the lead's SET_NULL clears it first, through the trigger
        related_name="+",
        db_index=False,  # indexed by `activity_lead_owner` (Meta)
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
            # A lead's timeline and its next action (its earliest open task).
            models.Index(fields=["lead"], name="activity_lead"),
            models.Index(
                fields=["lead", "due_at"],
                name="activity_lead_open_task",
                condition=models.Q(kind=ActivityKind.TASK, done_at__isnull=True),
            ),
            # A sales person's activities, counted part by part (`visibility.visible_activity_parts`):
            # the two ranges of `lead_owner` (theirs; NULL: on an unassigned lead or on none). On
            # PostgreSQL each index also carries every column the visibility rule and the list's
            # filters read, so a count reads it alone; SQLite indexes the keys alone. The whole
            # list and its kinds; the open tasks (and the overdue among them); one owner's.
            models.Index(
                fields=["lead_owner"],
                include=["id", "contact", "opportunity", "kind", "done_at", "due_at", "owner"],
                name="activity_lead_owner",
            ),
            models.Index(
                fields=["lead_owner", "due_at"],
                include=["id", "contact", "opportunity", "owner"],
                name="activity_lead_owner_open_task",
                condition=models.Q(kind=ActivityKind.TASK, done_at__isnull=True),
            ),
            models.Index(
                fields=["owner", "lead_owner"],
                include=["id", "contact", "opportunity", "kind", "done_at", "due_at"],
                name="activity_owner_lead_owner",
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
