"""`crm.pagination`: the prospects page counts exactly, except a large unfiltered PostgreSQL table."""

import pytest
from django.db import connection

from crm.models import Lead
from crm.pagination import EstimatedCountPaginator
from mini_analysis.models import Status

from .factories import LeadFactory

pytestmark = pytest.mark.django_db


class TinyThreshold(EstimatedCountPaginator):
    estimate_above = 2


def test_a_filtered_list_is_counted_exactly():
    LeadFactory.create_batch(3, status=Status.GENERATED)
    LeadFactory(status=Status.ERROR)
    paginator = TinyThreshold(Lead.objects.filter(status=Status.GENERATED), per_page=2)
    assert paginator.count == 3


def test_a_small_table_is_counted_exactly():
    LeadFactory.create_batch(3)
    assert EstimatedCountPaginator(Lead.objects.all(), per_page=2).count == 3


def test_an_unfiltered_large_postgresql_table_uses_the_planner_estimate_instead_of_count():
    if connection.vendor != "postgresql":
        pytest.skip("the estimate exists on PostgreSQL only (make test-postgres)")
    LeadFactory.create_batch(5)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE leads")
        cursor.execute("UPDATE pg_class SET reltuples = 1000000 WHERE oid = 'leads'::regclass")
    assert TinyThreshold(Lead.objects.all(), per_page=2).count == 1_000_000
    assert TinyThreshold(Lead.objects.filter(status=Status.NEW), per_page=2).count == 5
