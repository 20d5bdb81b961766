"""Many writers at once still give one lead per person and brand (the unique constraint's job).

Real concurrency needs a server database: these tests run in the PostgreSQL pass of `.ci/run`.
"""

import threading

import pytest
from django.db import connection, connections

from crm.models import Lead
from mini_analysis.models import MiniAnalysis

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]

WRITERS = 50


@pytest.fixture(autouse=True)
def _postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip("real concurrent writers need PostgreSQL (make test-postgres)")


def run_at_once(target, count: int) -> list[BaseException]:
    """Run `target(i)` in `count` threads released together; return what they raised."""
    barrier = threading.Barrier(count)
    errors: list[BaseException] = []

    def worker(index: int) -> None:
        try:
            barrier.wait()
            target(index)
        except BaseException as error:  # collected and asserted on by the test
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return errors


def test_fifty_simultaneous_requests_of_one_brand_give_one_lead():
    spellings = ["Ana@X.com", "ana@x.com", " ANA@x.COM ", "ana@X.com"]
    brands = ["My Brand", "my brand", " MY  BRAND", "My brand "]

    def submit(index: int) -> None:
        MiniAnalysis.objects.create(email=spellings[index % 4], brand_name=brands[index % 4], sector="Retail")

    assert run_at_once(submit, WRITERS) == []
    assert MiniAnalysis.objects.count() == WRITERS
    lead = Lead.objects.get()
    assert (lead.email_key, lead.brand_key) == ("ana@x.com", "my brand")
    newest = MiniAnalysis.objects.order_by("-created_at").first()
    assert lead.mini_analysis.created_at == newest.created_at  # the lead follows the newest request
