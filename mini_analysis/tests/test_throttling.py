import pytest
from django.test import RequestFactory

from mini_analysis.throttling import client_ip, submission_rate_limited

pytestmark = pytest.mark.django_db


def post(remote_addr="198.51.100.7", forwarded=None):
    headers = {"REMOTE_ADDR": remote_addr}
    if forwarded is not None:
        headers["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().post("/fr/mini-analysis/", **headers)


def test_without_trusted_proxies_the_connection_address_is_used_and_the_header_ignored(settings):
    settings.TRUSTED_PROXY_COUNT = 0
    assert client_ip(post(forwarded="1.2.3.4")) == "198.51.100.7"


def test_behind_one_proxy_the_address_it_saw_is_used_not_the_forged_left_part(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    assert client_ip(post(forwarded="6.6.6.6, 203.0.113.9")) == "203.0.113.9"


def test_behind_two_proxies_the_second_from_the_right_is_used(settings):
    settings.TRUSTED_PROXY_COUNT = 2
    assert client_ip(post(forwarded="6.6.6.6, 203.0.113.9, 10.0.0.2")) == "203.0.113.9"


def test_missing_header_behind_a_proxy_falls_back_to_the_connection_address(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    assert client_ip(post()) == "198.51.100.7"


def test_limit_counts_each_call_per_address(settings):
    settings.MINI_ANALYSIS_RATE_LIMIT = "3/10m"
    assert [submission_rate_limited(post()) for _ in range(4)] == [False, False, False, True]
    assert not submission_rate_limited(post(remote_addr="198.51.100.8"))


def test_limit_uses_the_forwarded_address_behind_a_proxy(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    settings.MINI_ANALYSIS_RATE_LIMIT = "1/10m"
    assert not submission_rate_limited(post(forwarded="203.0.113.1"))
    assert submission_rate_limited(post(forwarded="203.0.113.1"))
    assert not submission_rate_limited(post(forwarded="203.0.113.2"))


@pytest.mark.parametrize("forwarded", ["unknown", "203.0.113.9:51234", "<script>"])
def test_malformed_forwarded_address_falls_back_to_the_connection_address(settings, forwarded):
    settings.TRUSTED_PROXY_COUNT = 1
    request = post(forwarded=forwarded)
    assert client_ip(request) == "198.51.100.7"
    assert not submission_rate_limited(request)
