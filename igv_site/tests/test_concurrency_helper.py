"""The concurrency tests' helper waits for room on the database server, and says when there is none."""

import pytest

from igv_site.tests.concurrency import free_connections, run_at_once, wait_for_free_connections

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


def test_each_thread_runs_once_and_what_it_raises_is_returned():
    seen: list[int] = []

    def target(index: int) -> None:
        seen.append(index)
        if index == 3:
            raise ValueError("three")

    errors = run_at_once(target, 5)
    assert sorted(seen) == [0, 1, 2, 3, 4]
    assert [str(error) for error in errors] == ["three"]


def test_a_server_without_room_for_the_burst_fails_with_a_message_that_says_so():
    with pytest.raises(AssertionError, match=r"free connections after 0 s; this test needs 100000"):
        wait_for_free_connections(100_000, timeout=0)


def test_a_server_with_room_lets_the_burst_go_at_once():
    assert free_connections() > 10
    wait_for_free_connections(1, timeout=0)
