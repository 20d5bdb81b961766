"""The email that brings the visitor their analysis, in their language, with the PDF attached.

Sent by a worker (`tasks.send_analysis_email`) through Django's mail backend, configured by
`EMAIL_URL`. The PDF is attached rather than linked: the mail needs no public address of the site.
"""

import logging

from django.core.files.storage import default_storage
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import timezone, translation

from .models import MiniAnalysis, Status
from .pdf import pdf_storage_name
from .sectors import sector_label

logger = logging.getLogger(__name__)


def analysis_email(mini_analysis: MiniAnalysis) -> EmailMultiAlternatives:
    """The message, text and HTML (right to left in Hebrew), in the request's language."""
    with translation.override(mini_analysis.language):
        context = {
            "mini_analysis": mini_analysis,
            "sector": sector_label(mini_analysis.sector),
            "direction": "rtl" if translation.get_language_bidi() else "ltr",
            "language": mini_analysis.language,
        }
        # A header is plain text: formatted from a string, never rendered by a template, whose
        # autoescaping would write a brand "Tom & Jerry's" as "Tom &amp; Jerry&#x27;s".
        brand = mini_analysis.brand_name
        subject = translation.gettext("Your mini-analysis for %(brand)s") % {"brand": brand}
        text = render_to_string("mini_analysis/email/analysis_ready.txt", context)
        html = render_to_string("mini_analysis/email/analysis_ready.html", context)
    message = EmailMultiAlternatives(" ".join(subject.split()), text, to=[mini_analysis.email])
    message.attach_alternative(html, "text/html")
    name = pdf_storage_name(mini_analysis)
    if mini_analysis.pdf_url and default_storage.exists(name):
        with default_storage.open(name, "rb") as pdf:
            message.attach(f"mini-analysis-{mini_analysis.request_id}.pdf", pdf.read(), "application/pdf")
    return message


def send_analysis_email(mini_analysis_id: int) -> bool:
    """Send the generated analysis once; True when sent, False when there is nothing to send
    (not generated, already sent, or withheld: its address had had its emails of the day).
    Raises when the mail backend fails: the task retries."""
    mini_analysis = MiniAnalysis.objects.get(pk=mini_analysis_id)
    if mini_analysis.status != Status.GENERATED or mini_analysis.emailed_at is not None:
        return False
    if mini_analysis.email_withheld:
        logger.info("Mini-analysis %s: not emailed, its address had its emails of the day", mini_analysis_id)
        return False
    analysis_email(mini_analysis).send()
    mini_analysis.emailed_at = timezone.now()
    mini_analysis.save(update_fields=["emailed_at"])
    logger.info("Mini-analysis %s: analysis emailed", mini_analysis_id)
    return True
