import socket

import pytest

from .servers import on_ci, reachable, skip_reason, skip_when_down


@pytest.fixture
def listening_port():
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        yield server.getsockname()[1]


@pytest.fixture
def closed_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class FakeItem:
    def __init__(self) -> None:
        self.markers = []

    def add_marker(self, marker) -> None:
        self.markers.append(marker)


def test_tests_of_a_listening_server_run(listening_port, monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    assert reachable("127.0.0.1", listening_port)
    assert skip_reason("Redis", "127.0.0.1", listening_port) == ""


def test_tests_of_a_server_that_is_down_are_skipped_with_one_clear_line(closed_port, monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    items = [FakeItem(), FakeItem()]
    skip_when_down(items, "Redis", "127.0.0.1", closed_port)
    reason = f"Redis is not reachable at 127.0.0.1:{closed_port}: start it (make services) to run this test"
    assert [(marker.name, marker.kwargs) for item in items for marker in item.markers] == [
        ("skip", {"reason": reason}),
        ("skip", {"reason": reason}),
    ]


@pytest.mark.parametrize("value", ["true", "1", "TRUE"])
def test_on_ci_tests_of_a_server_that_is_down_still_run_and_fail(closed_port, monkeypatch, value):
    monkeypatch.setenv("CI", value)
    assert on_ci()
    items = [FakeItem()]
    skip_when_down(items, "Redis", "127.0.0.1", closed_port)
    assert items[0].markers == []


def test_ci_unset_or_false_is_not_ci(monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    assert not on_ci()
    monkeypatch.setenv("CI", "false")
    assert not on_ci()
