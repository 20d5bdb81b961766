"""One submission, whoever sends it: the public form (`views`) and the JSON API (`api`) hand the
posted values here and only turn the outcome into their own answer (a page, or JSON).

The order is the rule: the honeypot is read first (a bot learns nothing from validation), the
form's rules next, then the per-client rate limit, counted only for a valid submission so that a
typo does not use up the visitor's allowance, and last the submission itself.
"""

import enum
from dataclasses import dataclass

from django.http import HttpRequest

from .forms import MiniAnalysisForm
from .models import MiniAnalysis
from .services import submit_mini_analysis
from .throttling import submission_rate_limited


class Outcome(enum.Enum):
    INVALID = "invalid"  # the form's errors say why; nothing stored
    RATE_LIMITED = "rate-limited"  # valid, but over the client's allowance; nothing stored
    SPAM = "spam"  # the honeypot was filled; nothing stored
    ACCEPTED = "accepted"  # stored; its job runs when the transaction commits


@dataclass(frozen=True)
class Submission:
    outcome: Outcome
    form: MiniAnalysisForm
    mini_analysis: MiniAnalysis | None = None


def handle_submission(request: HttpRequest, data: dict, *, language: str) -> Submission:
    """Validate, rate-limit and store one request posted as the HTML form posts it; `request`
    only gives the client's address to the rate limit."""
    form = MiniAnalysisForm(data)
    spam = form.is_spam()
    if not spam and not form.is_valid():
        return Submission(Outcome.INVALID, form)
    if submission_rate_limited(request):
        return Submission(Outcome.RATE_LIMITED, form)
    if spam:
        return Submission(Outcome.SPAM, form)
    mini_analysis = submit_mini_analysis(**form.submission(), language=language)
    return Submission(Outcome.ACCEPTED, form, mini_analysis)
