"""Data migrations of the CRM."""

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from .factories import UserFactory

BEFORE_TOKENS = [("crm", "0016_legacy_sync_state_text_length")]
AFTER_TOKENS = [("crm", "0017_api_tokens")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.fixture
def drf_token_table(transactional_db):
    """DRF's `authtoken_token` as a database that used it has it; the latest schema afterwards."""
    migrate(BEFORE_TOKENS)
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE authtoken_token (key varchar(40) PRIMARY KEY, created timestamp, user_id integer)"
        )
    yield
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE authtoken_token")
    migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())


def test_the_tokens_of_drf_keep_working_as_full_access_tokens_with_their_age(drf_token_table):
    user = UserFactory()
    created = dt.datetime(2026, 11, 1, 8, 30, tzinfo=dt.UTC)
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO authtoken_token (key, created, user_id) VALUES (%s, %s, %s)",
            ["a" * 40, connection.ops.adapt_datetimefield_value(created), user.pk],
        )

    apps = migrate(AFTER_TOKENS)

    token = apps.get_model("crm", "ApiToken").objects.get()
    assert (token.key, token.user_id, token.read_only, token.created_at) == (
        "a" * 40,
        user.pk,
        False,
        created,
    )
