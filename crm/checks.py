"""System checks of the CRM's settings."""

from urllib.parse import urlsplit

from django.conf import settings
from django.core import checks

LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}


@checks.register(checks.Tags.compatibility)
def check_site_url(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """Emails link to `SITE_URL`: a value that is not an absolute address would give dead links."""
    parts = urlsplit(settings.SITE_URL)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        return [
            checks.Error(
                f"SITE_URL is {settings.SITE_URL!r}.",
                hint="Set it to the site's public address, e.g. https://crm.example.com.",
                id="crm.E001",
            )
        ]
    return []


@checks.register(checks.Tags.compatibility, deploy=True)
def check_site_url_is_public(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """`check --deploy`: with automatic assignment on, the emails must not link to this machine."""
    if settings.CRM_AUTO_ASSIGN and urlsplit(settings.SITE_URL).hostname in LOCAL_HOSTS:
        return [
            checks.Warning(
                f"CRM_AUTO_ASSIGN is on but SITE_URL is {settings.SITE_URL!r}: the assignment "
                "emails would link to the server's own machine.",
                hint="Set SITE_URL to the site's public address, e.g. https://crm.example.com.",
                id="crm.W002",
            )
        ]
    return []


@checks.register(checks.Tags.security)
def check_api_token_lifetime(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """A lifetime under a day would refuse every token at once (and a negative one is a typo)."""
    if settings.API_TOKEN_TTL_DAYS < 1:
        return [
            checks.Error(
                f"API_TOKEN_TTL_DAYS is {settings.API_TOKEN_TTL_DAYS}.",
                hint="Set it to the days an API token works after it is issued, e.g. 90.",
                id="crm.E003",
            )
        ]
    return []
