import pytest

from mini_analysis.models import MiniAnalysis, Status

from .factories import MiniAnalysisFactory

pytestmark = pytest.mark.django_db


def test_new_mini_analysis_is_new_with_a_unique_request_id():
    first, second = MiniAnalysisFactory(), MiniAnalysisFactory()
    assert first.status == Status.NEW
    assert first.request_id != second.request_id


def test_identity_columns_follow_email_and_brand_on_every_save():
    mini_analysis = MiniAnalysisFactory(email="Ana@X.com", brand_name=" My  Brand ")
    assert (mini_analysis.email_key, mini_analysis.brand_key) == ("ana@x.com", "my brand")

    mini_analysis.brand_name = "Other Brand"
    mini_analysis.save(update_fields=["brand_name"])
    assert MiniAnalysis.objects.get(pk=mini_analysis.pk).brand_key == "other brand"


def test_table_keeps_the_legacy_collection_name():
    assert MiniAnalysis._meta.db_table == "mini_analyses"
