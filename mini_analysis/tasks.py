"""Background jobs of the request side (django-tasks). Each is a thin call to a service, and takes
ids, never rows: a job may run long after it was enqueued, on another machine."""

from datetime import timedelta

from django.utils import timezone
from django_tasks import task

from . import emails, services

# Email sending: attempts, and the wait before each retry (5 min, 10 min, 20 min …).
EMAIL_MAX_ATTEMPTS = 6
EMAIL_RETRY_BASE = timedelta(minutes=5)


@task()
def generate_mini_analysis(mini_analysis_id: int) -> str | None:
    """Generate one request's analysis and PDF; see `services.run_generation`."""
    return services.run_generation(mini_analysis_id)


@task()
def send_analysis_email(mini_analysis_id: int, attempt: int = 1) -> bool:
    """Send the visitor their analysis. A failure is retried later with backoff, and never
    changes the request's status: the analysis is generated whether or not the mail got out."""
    try:
        return emails.send_analysis_email(mini_analysis_id)
    except Exception:
        if attempt >= EMAIL_MAX_ATTEMPTS:
            emails.logger.exception("Mini-analysis %s: email not sent, giving up", mini_analysis_id)
            return False
        emails.logger.exception("Mini-analysis %s: email not sent, will retry", mini_analysis_id)
        run_after = timezone.now() + EMAIL_RETRY_BASE * 2 ** (attempt - 1)
        services.enqueue_task(send_analysis_email, mini_analysis_id, attempt + 1, run_after=run_after)
        return False
