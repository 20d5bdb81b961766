"""The per-client-address limit on submissions, shared by the form and the JSON API.

Counted with django-ratelimit in Django's default cache, so every worker and instance shares it
(with the database cache the count is not atomic: a burst of simultaneous requests may pass a
few over the limit; Redis, `CACHE_URL=redis://…`, counts exactly).
"""

import ipaddress

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django_ratelimit import ALL
from django_ratelimit.core import is_ratelimited

RATE_LIMIT_GROUP = "mini-analysis-submission"
RATE_LIMITED_MESSAGE = _(
    "You have sent several requests in a short time. Please wait a few minutes and try again."
)


def client_ip(request: HttpRequest) -> str:
    """The visitor's address: `REMOTE_ADDR`, or behind `TRUSTED_PROXY_COUNT` proxies the address the
    outermost trusted proxy saw, read from the right of `X-Forwarded-For` (the left is the client's
    to forge)."""
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies > 0:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        forwarded = [part for part in forwarded if part]
        if len(forwarded) >= proxies and _is_ip_address(forwarded[-proxies]):
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR", "")


def _is_ip_address(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def submission_rate_limited(request: HttpRequest) -> bool:
    """Count this submission against its client address; True when it is over the limit.

    Called for a submission that would be stored (valid, or a bot's that is answered as if it
    were), never for one refused for a typo: a visitor who corrects their input is not locked
    out by their own mistakes."""
    return is_ratelimited(
        request,
        group=RATE_LIMIT_GROUP,
        key="ip",
        rate=settings.MINI_ANALYSIS_RATE_LIMIT,
        method=ALL,
        increment=True,
    )
