"""The pages the benchmarks compare ours against (`bench/urls.py`) answer: a benchmark whose
baseline page fails measures nothing (the record page's did, once the header linked the profile)."""

import pytest

from crm.tests.factories import ActivityFactory, LeadFactory

pytestmark = [pytest.mark.django_db, pytest.mark.urls("bench.urls")]


@pytest.mark.parametrize(
    "path", ["/bench/stock-admin/crm/lead/", "/bench/form-admin/crm/lead/{lead}/change/"]
)
def test_each_baseline_page_of_the_benchmarks_answers(admin_client, path):
    lead = LeadFactory()
    ActivityFactory(lead=lead)
    response = admin_client.get(path.format(lead=lead.pk))
    assert response.status_code == 200
    assert lead.brand_name in response.content.decode()
