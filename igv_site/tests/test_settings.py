"""Settings come from the environment; production values are secure by default."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parents[2]


def run_manage(*args: str, **variables: str) -> subprocess.CompletedProcess:
    environment = {
        "PATH": os.environ["PATH"],
        "HOME": os.environ.get("HOME", "/tmp"),
        "DATABASE_URL": "sqlite:///:memory:",
        **variables,
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def production() -> dict[str, str]:
    """The variables docs/operations.md documents for production."""
    return {
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "crm.example.com",
        "CSRF_TRUSTED_ORIGINS": "https://crm.example.com",
    }


def test_missing_secret_key_without_debug_is_a_clear_start_up_error(production):
    production["SECRET_KEY"] = ""
    result = run_manage("check", **production)
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_check_deploy_prints_no_warning_with_production_variables(production):
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", **production)
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_warns_when_debug_is_left_on(production):
    production["DEBUG"] = "true"
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", **production)
    assert result.returncode != 0
    assert "DEBUG" in result.stderr


@pytest.mark.postgres_only
@pytest.mark.django_db
def test_postgresql_connections_compile_no_query_by_default():
    """`POSTGRES_JIT` (default off): JIT's compile time is a page query's cost, not a saving."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"


@pytest.mark.postgres_only
@pytest.mark.django_db
def test_postgresql_connections_price_a_random_read_as_memory_and_ssd_do_by_default():
    """`POSTGRES_RANDOM_PAGE_COST` (default 1.1): at PostgreSQL's 4 (a spinning disk) the planner
    hashed a sales person's 91 000 leads to count their activities rather than walk two indexes."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW random_page_cost")
        assert cursor.fetchone()[0] == "1.1"
