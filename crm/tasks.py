"""Background work of the CRM, run by the django-tasks worker rather than during a visitor's request."""

from datetime import timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_tasks import task

from mini_analysis.tasks import enqueue_task

from .export_runs import build_export, discard_expired_exports, new_export_run
from .models import DeliveryStatus, EmailMessage, ExportRun, Lead, SalesProfile
from .outbox import deliver
from .pending_imports import discard_expired_pending_imports

# First Strong Isolate / Pop Directional Isolate: the plain-text twin of `<bdi>`, so that a
# left-to-right brand, address or link stays whole inside a right-to-left sentence.
ISOLATE = "\u2068{}\u2069"


@task()
def notify_assignee(lead_id: int, assignee_id: int) -> bool:
    """Email a sales person that a lead was assigned to them; True when an email was sent.

    Nothing is sent when the lead is gone or was reassigned before the worker ran (the email would
    point the wrong person to it), or when the person has no email address.
    """
    lead = Lead.objects.select_related("assigned_to").filter(pk=lead_id, assigned_to_id=assignee_id).first()
    if lead is None or not lead.assigned_to.email:
        return False
    assignee = lead.assigned_to
    with translation.override(email_language(lead, SalesProfile.objects.filter(user=assignee).first())):
        subject, body = _assignment_email(lead)
    send_mail(subject, body, None, [assignee.email])
    return True


@task()
def expire_pending_imports() -> int:
    """Delete the uploads whose confirmation time is over (enqueued for when each one expires)."""
    return discard_expired_pending_imports()


@task()
def export_in_background(run_id: str) -> int:
    """Build a big export's file (`crm.export_runs`), queue its deletion for when it expires, and
    email the user who asked; how many prospects it holds."""
    run = build_export(run_id)
    if run is None or run.state != ExportRun.State.DONE:
        return 0
    enqueue_task(expire_exports, run_after=run.expires_at)
    if run.user is not None and run.user.email:
        url = settings.SITE_URL.rstrip("/") + reverse("admin:crm_lead_export_run", args=[run.pk])
        with translation.override(settings.LANGUAGE_CODE):
            body = _(
                "Your export of %(count)s prospects is ready. Download it within %(hours)s hours: %(url)s\n"
            ) % {"count": run.rows_done, "hours": settings.EXPORT_RETENTION // 3600, "url": url}
            send_mail(_("Your export of prospects is ready"), body, None, [run.user.email])
    return run.rows_done


@task()
def expire_exports() -> int:
    """Delete the exports whose time is over, and their files (enqueued for when each one expires)."""
    return discard_expired_exports()


def start_background_export(user, *, format: str, query: str, selected: list[int] | None) -> ExportRun:
    """The run a big export reports its progress on, and its job, queued once the run is saved."""
    run = new_export_run(user, format=format, query=query, selected=selected)
    transaction.on_commit(lambda: export_in_background.enqueue(str(run.pk)))
    return run


def email_language(lead: Lead, profile: SalesProfile | None) -> str:
    """The lead's language if the assignee speaks it, else the first they speak, else the site's."""
    spoken = profile.spoken_languages() if profile is not None else []
    if lead.language in spoken:
        return lead.language
    return spoken[0] if spoken else settings.LANGUAGE_CODE


def _assignment_email(lead: Lead) -> tuple[str, str]:
    """Subject and body in the active language."""
    isolate = ISOLATE.format if translation.get_language_bidi() else str
    url = settings.SITE_URL.rstrip("/") + reverse("admin:crm_lead_change", args=[lead.pk])
    # One line whatever the brand holds: a line break in a subject is refused as header injection.
    brand = " ".join(lead.brand_name.split())
    subject = _("New prospect assigned to you: %(brand)s") % {"brand": isolate(brand)}
    name = lead.assigned_to.get_full_name() or lead.assigned_to.get_username()
    lines = [
        _("Hello %(name)s,") % {"name": isolate(name)},
        "",
        _("The prospect %(brand)s (%(email)s) has been assigned to you.")
        % {"brand": isolate(brand), "email": isolate(lead.email)},
        "",
        _("Open it in the CRM: %(url)s") % {"url": isolate(url)},
    ]
    return subject, "\n".join(lines) + "\n"


# A CRM email: attempts, and the wait before each retry (1 min, 2 min, 4 min …).
CRM_EMAIL_MAX_ATTEMPTS = 5
CRM_EMAIL_RETRY_BASE = timedelta(minutes=1)


@task()
def send_crm_email(email_id: int) -> str:
    """Send an email written in the CRM; on a failure (recorded with its reason) try again later,
    up to CRM_EMAIL_MAX_ATTEMPTS attempts in all."""
    status = deliver(email_id)
    if status == DeliveryStatus.FAILED:
        attempts = EmailMessage.objects.filter(pk=email_id).values_list("attempts", flat=True).first() or 0
        if attempts < CRM_EMAIL_MAX_ATTEMPTS:
            run_after = timezone.now() + CRM_EMAIL_RETRY_BASE * 2 ** (attempts - 1)
            enqueue_task(send_crm_email, email_id, run_after=run_after)
    return status
