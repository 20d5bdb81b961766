import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from crm.models import Lead
from mini_analysis.models import MiniAnalysis

pytestmark = pytest.mark.django_db


def test_seed_demo_creates_about_fifty_prospects_in_three_languages_and_is_safe_twice(settings):
    settings.DEBUG = True
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    call_command("seed_demo", stdout=out)

    assert MiniAnalysis.objects.count() == 50
    assert Lead.objects.count() == 50
    assert set(Lead.objects.values_list("language", flat=True)) == {"fr", "en", "he"}
    assert len(set(Lead.objects.values_list("status", flat=True))) > 1
    assert get_user_model().objects.get(username="admin").is_superuser
    assert get_user_model().objects.get(username="sales").groups.filter(name="Sales").exists()
    assert "Demo data already present" in out.getvalue()
    assert "Admin login: admin / admin" in out.getvalue()


def test_seed_demo_refuses_to_run_in_production(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG"):
        call_command("seed_demo", stdout=io.StringIO())
    assert not MiniAnalysis.objects.exists()


def test_sales_group_may_view_and_change_prospects_but_not_delete_them():
    from django.contrib.auth.models import Group

    codenames = set(Group.objects.get(name="Sales").permissions.values_list("codename", flat=True))
    assert {"view_lead", "change_lead", "view_minianalysis"} <= codenames
    assert "delete_lead" not in codenames
    assert "assign_lead" not in codenames
