"""The public pages: the form, its result and the PDF. A submission is handled by `submission` (as
the JSON API's), validation is the form's, work is in services."""

from collections.abc import Callable
from functools import wraps

from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import get_language
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from .forms import MiniAnalysisForm
from .models import MiniAnalysis
from .pdf import is_linkable_pdf_url, pdf_storage_name
from .sectors import sector_label
from .submission import Outcome, handle_submission
from .throttling import RATE_LIMITED_MESSAGE

# How often the result page reloads itself while the analysis is being prepared.
RESULT_REFRESH_SECONDS = 3


def private_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """One visitor's request (its page, its PDF): kept by no browser cache or proxy
    (`Cache-Control: private, no-store…`), and indexed by no search engine, also where a page's
    `<meta name="robots">` cannot say it (a PDF)."""

    @wraps(view)
    @never_cache
    def private_view(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        response = view(request, *args, **kwargs)
        response["X-Robots-Tag"] = "noindex"
        return response

    return private_view


@require_http_methods(["GET", "POST"])
def mini_analysis_form(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return render(request, "mini_analysis/form.html", {"form": MiniAnalysisForm()})
    submission = handle_submission(request, request.POST, language=get_language())
    if submission.outcome == Outcome.INVALID:
        return render(request, "mini_analysis/form.html", {"form": submission.form})
    if submission.outcome == Outcome.RATE_LIMITED:
        # The visitor keeps what they typed, to send again later.
        submission.form.add_error(None, RATE_LIMITED_MESSAGE)
        return render(request, "mini_analysis/form.html", {"form": submission.form}, status=429)
    if submission.outcome == Outcome.SPAM:
        # Neutral answer: a bot learns nothing, and nothing is stored.
        return render(request, "mini_analysis/received.html")
    return redirect("mini_analysis:result", request_id=submission.mini_analysis.request_id)


@private_page
def mini_analysis_result(request: HttpRequest, request_id) -> HttpResponse:
    """The analysis; while a worker prepares it, a note and a meta refresh (no script, so the CSP
    stays strict); a polite note when it could not be generated yet. The request id is a random
    UUID, so only the visitor who was redirected here knows the address."""
    mini_analysis = get_object_or_404(MiniAnalysis, request_id=request_id)
    context = {
        "mini_analysis": mini_analysis,
        "sector": sector_label(mini_analysis.sector),
        "refresh_seconds": RESULT_REFRESH_SECONDS,
        # A stored URL is a link only when it is http(s) or a path of this site: never the
        # `javascript:` an old row may carry (the import refuses them; older rows may have one).
        "pdf_link": mini_analysis.pdf_url if is_linkable_pdf_url(mini_analysis.pdf_url) else "",
    }
    return render(request, "mini_analysis/result.html", context)


def privacy_notice(request: HttpRequest) -> HttpResponse:
    """The notice the consent box links to. Its text is the operator's to edit, one template per
    language: `templates/privacy/notice_<language>.html`."""
    return render(
        request, "mini_analysis/privacy_notice.html", {"notice": f"privacy/notice_{get_language()}.html"}
    )


@private_page
def mini_analysis_pdf(request: HttpRequest, request_id) -> FileResponse:
    mini_analysis = get_object_or_404(MiniAnalysis, request_id=request_id)
    name = pdf_storage_name(mini_analysis)
    if not mini_analysis.pdf_url or not default_storage.exists(name):
        raise Http404
    return FileResponse(
        default_storage.open(name, "rb"),
        content_type="application/pdf",
        filename=f"mini-analysis-{mini_analysis.request_id}.pdf",
    )
