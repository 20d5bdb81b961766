"""Writes of the request side: storing a submission and generating its analysis and PDF.

The form, the JSON API and `regenerate_mini_analyses` all go through these functions. The
request is committed before the slow generator call, and no transaction is open during it: a
crash or a timeout there never loses what the visitor sent, and never holds a database lock. Each
save fires the CRM's `post_save` receiver, which keeps the visitor's lead in step.
"""

import logging

from django.db import transaction
from django.utils import timezone

from .generators import AnalysisRequest, Generator, QuotaExceeded, get_generator
from .models import MiniAnalysis, Status
from .pdf import save_pdf

logger = logging.getLogger(__name__)


def submit_mini_analysis(
    *, email: str, phone: str, brand_name: str, sector: str, language: str
) -> MiniAnalysis:
    """Store a consented request (status NEW), then generate its analysis. Never raises for a
    generator failure: the returned request's status says how it went."""
    with transaction.atomic():
        mini_analysis = MiniAnalysis.objects.create(
            email=email,
            phone=phone,
            brand_name=brand_name,
            sector=sector,
            language=language,
            status=Status.NEW,
            consent_at=timezone.now(),
        )
    generate_analysis(mini_analysis)
    return mini_analysis


def generate_analysis(mini_analysis: MiniAnalysis, generator: Generator | None = None) -> MiniAnalysis:
    """Generate the analysis and PDF of a stored request and save the outcome as its status:
    GENERATED, QUOTA_BLOCKED (provider or daily quota reached) or ERROR (anything else).

    Also what `regenerate_mini_analyses` runs for requests left QUOTA_BLOCKED or ERROR.
    """
    request = AnalysisRequest(
        brand_name=mini_analysis.brand_name, sector=mini_analysis.sector, language=mini_analysis.language
    )
    try:
        analysis_text = (generator or get_generator()).generate(request)
    except QuotaExceeded as error:
        logger.warning("[QUOTA_BLOCKED] Mini-analysis %s: %s", mini_analysis.pk, error)
        return _save_outcome(mini_analysis, Status.QUOTA_BLOCKED)
    except Exception:
        logger.exception("[ERROR] Generation failed for mini-analysis %s", mini_analysis.pk)
        return _save_outcome(mini_analysis, Status.ERROR)

    mini_analysis.analysis_text = analysis_text
    try:
        pdf_url = save_pdf(mini_analysis)
    except Exception:
        logger.exception("[ERROR] PDF failed for mini-analysis %s", mini_analysis.pk)
        return _save_outcome(mini_analysis, Status.ERROR, analysis_text=analysis_text)
    logger.info("[GENERATED] Mini-analysis %s", mini_analysis.pk)
    return _save_outcome(mini_analysis, Status.GENERATED, analysis_text=analysis_text, pdf_url=pdf_url)


def _save_outcome(
    mini_analysis: MiniAnalysis, status: str, *, analysis_text: str | None = None, pdf_url: str | None = None
) -> MiniAnalysis:
    mini_analysis.status = status
    fields = ["status", "updated_at"]
    if analysis_text is not None:
        mini_analysis.analysis_text = analysis_text
        fields.append("analysis_text")
    if pdf_url is not None:
        mini_analysis.pdf_url = pdf_url
        fields.append("pdf_url")
    with transaction.atomic():
        mini_analysis.save(update_fields=fields)
    return mini_analysis
