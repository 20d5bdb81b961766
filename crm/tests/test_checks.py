"""The CRM's settings checks (`crm.checks`)."""

import pytest

from crm.checks import check_api_token_lifetime, check_site_url, check_site_url_is_public


def test_the_default_site_url_passes():
    assert check_site_url() == []


@pytest.mark.parametrize("url", ["", "crm.example.com", "ftp://crm.example.com", "https://"])
def test_a_site_url_that_is_not_an_absolute_web_address_is_an_error(settings, url):
    settings.SITE_URL = url
    assert [error.id for error in check_site_url()] == ["crm.E001"]


def test_deploy_warns_when_assignment_emails_would_link_to_localhost(settings):
    settings.CRM_AUTO_ASSIGN = True
    settings.SITE_URL = "http://127.0.0.1:8000"
    assert [warning.id for warning in check_site_url_is_public()] == ["crm.W002"]


@pytest.mark.parametrize(
    ("auto_assign", "url"), [(False, "http://localhost"), (True, "https://crm.example.com")]
)
def test_deploy_is_quiet_without_emails_or_with_a_public_site_url(settings, auto_assign, url):
    settings.CRM_AUTO_ASSIGN = auto_assign
    settings.SITE_URL = url
    assert check_site_url_is_public() == []


@pytest.mark.parametrize(("days", "ids"), [(90, []), (1, []), (0, ["crm.E003"]), (-5, ["crm.E003"])])
def test_an_api_token_lifetime_under_a_day_is_an_error(settings, days, ids):
    settings.API_TOKEN_TTL_DAYS = days
    assert [message.id for message in check_api_token_lifetime()] == ids
