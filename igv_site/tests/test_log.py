import logging
import re

import pytest

from igv_site.log import OneLineFormatter, RequestIdFilter, request_id_var

pytestmark = pytest.mark.django_db


def format_record(message: str, exc_info=None) -> str:
    formatter = OneLineFormatter("%(request_id)s %(message)s")
    record = logging.LogRecord("test", logging.ERROR, __file__, 1, message, None, exc_info)
    RequestIdFilter().filter(record)
    return formatter.format(record)


def test_a_log_record_carries_the_current_request_id():
    token = request_id_var.set("abc123")
    try:
        assert format_record("hello") == "abc123 hello"
    finally:
        request_id_var.reset(token)
    assert format_record("outside") == "- outside"


def test_a_traceback_stays_on_one_line():
    try:
        raise ValueError("boom")
    except ValueError as error:
        line = format_record("failed\nbadly", exc_info=(type(error), error, error.__traceback__))
    assert "\n" not in line
    assert "failed\\nbadly" in line
    assert "ValueError: boom" in line


def test_every_response_returns_its_request_id(client):
    generated = client.get("/healthz")["X-Request-ID"]
    assert len(generated) == 32
    assert client.get("/healthz", headers={"X-Request-ID": "proxy-42"})["X-Request-ID"] == "proxy-42"
    forged = client.get("/healthz", headers={"X-Request-ID": "bad id\nINFO injected"})["X-Request-ID"]
    assert forged != "bad id\nINFO injected"


def test_django_s_own_line_for_an_error_answer_carries_the_request_id(client, caplog):
    """Django logs "Not Found: /x" after the middleware has returned; the line still names the request."""
    with caplog.at_level(logging.WARNING, logger="django.request"):
        response = client.get("/no-such-page", headers={"X-Request-ID": "proxy-404"})
    assert response.status_code == 404
    (record,) = [r for r in caplog.records if r.name == "django.request"]
    RequestIdFilter().filter(record)
    assert record.request_id == "proxy-404"


def test_log_times_carry_their_utc_offset():
    line = OneLineFormatter("%(asctime)s %(message)s").format(
        logging.LogRecord("test", logging.INFO, __file__, 1, "hello", None, None)
    )
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d hello$", line), line
