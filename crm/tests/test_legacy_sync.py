"""The bridge from the legacy MongoDB (`crm.legacy_sync`, `sync_legacy`), against a real server."""

import datetime as dt
import io
import subprocess
import threading
import time
from pathlib import Path

import pytest
import yaml
from bson import ObjectId
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import OperationalError, connections
from pymongo.collection import Collection
from pymongo.errors import CursorNotFound

from crm import legacy_sync
from crm.models import Lead, LegacySyncState, Source
from crm.tests.factories import UserFactory
from crm.tests.mongo import MongoServer
from mini_analysis.models import MiniAnalysis

from .test_backfill_killed import empty_database, manage, run  # noqa: F401 (a fixture)

WHEN = dt.datetime(2025, 1, 2, 3, 4, 5, 678000, tzinfo=dt.UTC)


def request(number: int, **fields) -> dict:
    return {
        "_id": ObjectId(f"{number:024x}"),
        "email": f"client{number}@example.com",
        "nom_de_marque": f"Marque {number}",
        "secteur": "Food",
        "language": "fr",
        "status": "NEW",
        "created_at": WHEN,
        **fields,
    }


@pytest.fixture
def legacy_db(mongo_db):
    """The old backend's database: both collections exist, even when empty."""
    for collection in ("mini_analyses", "leads"):
        mongo_db.create_collection(collection)
    return mongo_db


def uri_of(database) -> str:
    host, port = database.client.address
    return f"mongodb://{host}:{port}/{database.name}"


def sync(database, *args: str) -> tuple[str, int]:
    out = io.StringIO()
    try:
        call_command("sync_legacy", "--mongo-uri", uri_of(database), *args, stdout=out)
    except CommandError as error:
        return out.getvalue() + str(error), error.returncode
    return out.getvalue(), 0


@pytest.mark.django_db
def test_a_first_run_brings_every_request_with_its_lead_and_the_old_crms_leads(legacy_db):
    sales = UserFactory(username="dana")
    legacy_db["mini_analyses"].insert_many(
        [
            request(1),
            request(2, email="bob@example.com", brand_name="Bob Shop", nom_de_marque=None, language="en"),
            request(
                3, email="noa@example.co.il", nom_de_marque="חנות נועה", language="he", status="GENERATED"
            ),
        ]
    )
    # The old CRM's lead of request 3's person and brand, in other case, worked on by a sales person.
    legacy_db["leads"].insert_one(
        {"_id": ObjectId(f"{99:024x}"), "email": "NOA@example.co.il", "brand_name": " חנות  נועה ",
         "status": "GENERATED", "source": "mini-analysis", "assigned_to": "dana", "notes": "Rappeler lundi",
         "created_at": WHEN}
    )  # fmt: skip

    output, status = sync(legacy_db)

    assert status == 0, output
    assert "Requests created: 3\nRequests updated: 0\nLeads created: 0\nLeads updated: 1\n" in output
    assert MiniAnalysis.objects.count() == 3
    assert Lead.objects.count() == 3  # each request got its lead from the post_save receiver
    noa = Lead.objects.get(email_key="noa@example.co.il")
    assert (noa.legacy_id, noa.assigned_to, noa.notes) == (f"{99:024x}", sales, "Rappeler lundi")
    assert noa.mini_analysis == MiniAnalysis.objects.get(legacy_id=f"{3:024x}")
    assert Lead.objects.get(email_key="bob@example.com").source == Source.MINI_ANALYSIS


@pytest.mark.django_db
def test_a_second_run_changes_nothing(legacy_db):
    legacy_db["mini_analyses"].insert_many([request(1), request(2)])
    sync(legacy_db)
    before = (list(MiniAnalysis.objects.values()), list(Lead.objects.values()))

    output, status = sync(legacy_db)

    assert status == 0, output
    assert "Requests created: 0\nRequests updated: 0\nLeads created: 0\nLeads updated: 0\n" in output
    assert (list(MiniAnalysis.objects.values()), list(Lead.objects.values())) == before


@pytest.mark.django_db
def test_a_changed_request_brings_its_status_pdf_and_analysis_and_its_lead_follows(legacy_db):
    legacy_db["mini_analyses"].insert_one(request(1))
    sync(legacy_db)

    legacy_db["mini_analyses"].update_one(
        {"_id": request(1)["_id"]},
        {
            "$set": {
                "status": "GENERATED",
                "pdf_url": "/media/m1.pdf",
                "analysis_text": "Analyse",
                "secteur": "Autre",
            }
        },
    )
    output, _ = sync(legacy_db)

    assert "Requests updated: 1" in output
    mini_analysis = MiniAnalysis.objects.get()
    assert (mini_analysis.status, mini_analysis.pdf_url, mini_analysis.sector) == (
        "GENERATED",
        "/media/m1.pdf",
        "Food",
    )
    lead = Lead.objects.get()
    assert (lead.status, lead.pdf_url, lead.analysis_text) == ("GENERATED", "/media/m1.pdf", "Analyse")


@pytest.mark.django_db
def test_a_lead_created_then_changed_in_the_old_crm_comes_in_with_its_fields(legacy_db):
    UserFactory(username="dana")
    lead = {"_id": "old-1", "email": "eve@example.com", "brand_name": "Eve", "status": "NEW",
            "source": "manual", "notes": "Salon", "created_at": WHEN}  # fmt: skip
    legacy_db["leads"].insert_one(lead)
    sync(legacy_db)
    assert Lead.objects.values_list("legacy_id", "source", "notes").get() == ("old-1", "manual", "Salon")

    legacy_db["leads"].update_one({"_id": "old-1"}, {"$set": {"assigned_to": "dana", "status": "GENERATED"}})
    output, _ = sync(legacy_db)

    assert "Leads updated: 1" in output
    assert Lead.objects.values_list("assigned_to__username", "status", "notes").get() == (
        "dana",
        "GENERATED",
        "Salon",
    )


@pytest.mark.django_db
def test_a_document_the_crm_refuses_is_reported_and_the_others_come_in(legacy_db):
    legacy_db["mini_analyses"].insert_many([request(1, language="de"), request(2)])

    output, status = sync(legacy_db)

    assert status == 1
    assert f"[ERROR] mini_analyses {1:024x}: language:" in output
    assert MiniAnalysis.objects.get().legacy_id == f"{2:024x}"


class DroppedAfterThree:
    """A real cursor that the server drops after three documents (as it drops one kept open for
    longer than it allows: a long first scan). The server has no switch for that, so this wraps."""

    dropped: list[int] = []

    def __init__(self, cursor) -> None:
        self.cursor = cursor

    def sort(self, *args):
        self.cursor.sort(*args)
        return self

    def skip(self, count: int):
        self.cursor.skip(count)
        return self

    def __iter__(self):
        for number, document in enumerate(self.cursor):
            if number == 3 and not self.dropped:
                self.dropped.append(number)
                raise CursorNotFound("cursor id 42 not found", 43)
            yield document


@pytest.mark.django_db
def test_a_cursor_the_server_drops_during_the_first_scan_is_opened_again(legacy_db, monkeypatch):
    legacy_db["mini_analyses"].insert_many([request(number) for number in range(1, 11)])
    find = Collection.find
    monkeypatch.setattr(DroppedAfterThree, "dropped", [])
    monkeypatch.setattr(Collection, "find", lambda *args, **kwargs: DroppedAfterThree(find(*args, **kwargs)))

    output, status = sync(legacy_db)

    assert "[RESCAN] mini_analyses: the server dropped the cursor after 3 documents" in output
    assert status == 0, output
    assert "Requests created: 10\nRequests updated: 0" in output
    assert MiniAnalysis.objects.count() == 10


def test_without_a_uri_the_bridge_refuses_to_run_once(settings):
    settings.LEGACY_MONGO_URI = ""
    with pytest.raises(CommandError, match="LEGACY_MONGO_URI"):
        call_command("sync_legacy", stdout=io.StringIO())


# --- Following (--follow) -------------------------------------------------------------------------


def wait_for(condition, timeout: float = 10.0) -> float:
    """Seconds until `condition()` held; fails after `timeout`. (SQLite's in-memory test database
    locks a table while the bridge's thread writes it: that is a "not yet".)"""
    started = time.monotonic()
    while not _holds(condition):
        if time.monotonic() - started > timeout:
            pytest.fail(f"not within {timeout:.0f} s")
        time.sleep(0.05)
    return time.monotonic() - started


def _holds(condition) -> bool:
    try:
        return condition()
    except OperationalError:
        return False


@pytest.fixture
def standalone_server():
    server = MongoServer(None, "--standalone").start()
    yield server
    server.stop()


@pytest.mark.django_db(transaction=True)
def test_without_change_streams_the_bridge_polls_by_a_durable_watermark(standalone_server):
    database = standalone_server.client()["igv"]
    database["mini_analyses"].insert_one(request(1))
    database["leads"].insert_one(
        {"_id": "x", "email": "zoe@example.com", "brand_name": "Z", "created_at": WHEN}
    )
    stop, lines = threading.Event(), []
    bridge = legacy_sync.Bridge(database, log=lines.append, stop=stop, poll_interval=0.2)
    follower = threading.Thread(target=lambda: (bridge.run(follow=True), connections.close_all()))
    follower.start()
    try:
        wait_for(lambda: MiniAnalysis.objects.filter(legacy_id=f"{1:024x}").exists())
        database["mini_analyses"].insert_one(request(2, created_at=dt.datetime.now(dt.UTC)))
        picked_up = wait_for(lambda: MiniAnalysis.objects.filter(legacy_id=f"{2:024x}").exists())
    finally:
        stop.set()
        follower.join(timeout=10)
    assert picked_up < 10
    assert any(line.startswith("[POLLING]") for line in lines)
    state = LegacySyncState.objects.get(database="igv")
    assert state.watermark is not None and state.resume_token is None
    assert (MiniAnalysis.objects.count(), Lead.objects.count()) == (2, 3), (
        list(Lead.objects.values_list("email", "legacy_id")),
        lines,
    )


@pytest.mark.django_db(transaction=True)
def test_a_crm_database_error_while_following_loses_no_change(legacy_db, monkeypatch):
    """The database fails as the bridge records where it stands (after the change was applied in
    the same transaction): the bridge waits, reads where it stood, and applies the change again."""
    monkeypatch.setattr(legacy_sync, "RETRY_DELAYS", (0.1,))
    save, failures = LegacySyncState.save, []

    def fails_once_after_a_change(state, *args, **kwargs):
        if not failures and MiniAnalysis.objects.filter(legacy_id=f"{1:024x}").exists():
            failures.append(state.resume_token)
            raise OperationalError("the database went away")
        return save(state, *args, **kwargs)

    stop, lines = threading.Event(), []
    bridge = legacy_sync.Bridge(legacy_db, log=lines.append, stop=stop)
    bridge.run()  # in step, nothing to bring
    monkeypatch.setattr(LegacySyncState, "save", fails_once_after_a_change)
    follower = threading.Thread(target=lambda: (bridge.run(follow=True), connections.close_all()))
    follower.start()
    try:
        legacy_db["mini_analyses"].insert_one(request(1, created_at=WHEN))
        wait_for(lambda: MiniAnalysis.objects.filter(legacy_id=f"{1:024x}").exists())
    finally:
        stop.set()
        follower.join(timeout=10)
    assert failures, lines
    assert any(line.startswith("[WAITING] CRM database: the database went away") for line in lines)
    assert (MiniAnalysis.objects.count(), Lead.objects.count()) == (1, 1)


def requests_in(database) -> list[tuple]:
    return database.query("SELECT legacy_id FROM mini_analyses ORDER BY legacy_id")


def leads_in(database) -> list[tuple]:
    return database.query("SELECT email_key, brand_key FROM leads ORDER BY email_key, brand_key")


def follow(crm_database, mongo: MongoServer) -> subprocess.Popen:
    return manage(
        crm_database,
        "sync_legacy",
        "--mongo-uri",
        f"{mongo.uri}igv",
        "--follow",
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


@pytest.mark.slow
def test_the_bridge_follows_survives_a_server_restart_and_resumes_after_sigkill(empty_database, tmp_path):  # noqa: F811
    """Real processes: `sync_legacy --follow` on a CRM database of its own and a server whose
    data is on disk, restarted under it; then the bridge is killed mid-burst and started again."""
    crm = empty_database
    run(crm, "migrate", "--noinput")
    mongo = MongoServer(tmp_path / "mongo").start()
    legacy = mongo.client()["igv"]
    legacy["mini_analyses"].insert_one(request(1))
    legacy["leads"].insert_one(
        {"_id": "seed", "email": "seed@example.com", "brand_name": "Seed", "created_at": WHEN}
    )
    bridge = follow(crm, mongo)
    try:
        wait_for(lambda: len(requests_in(crm)) == 1, timeout=60)  # start-up and the first scan

        legacy["mini_analyses"].insert_one(request(2))
        assert wait_for(lambda: len(requests_in(crm)) == 2) < 10

        mongo.restart()  # the bridge waits for it, then resumes from its token
        legacy = mongo.client()["igv"]
        legacy["mini_analyses"].insert_one(request(3))
        wait_for(lambda: len(requests_in(crm)) == 3, timeout=30)

        legacy["mini_analyses"].insert_many([request(number) for number in range(100, 400)])
        wait_for(lambda: len(requests_in(crm)) > 3, timeout=30)
        bridge.kill()  # SIGKILL mid-burst
        bridge.wait(timeout=10)
        assert len(requests_in(crm)) < 303
        legacy["mini_analyses"].insert_one(request(4))  # while no bridge runs

        bridge = follow(crm, mongo)
        wait_for(lambda: len(requests_in(crm)) == 304, timeout=60)
        time.sleep(1)  # anything doubled would show now
    finally:
        bridge.terminate()
        bridge.wait(timeout=10)
        mongo.stop()
    expected = sorted((f"{number:024x}",) for number in [1, 2, 3, 4, *range(100, 400)])
    assert requests_in(crm) == expected
    assert len(leads_in(crm)) == 305  # one per request, and the old CRM's lead


# --- As a process of its own ----------------------------------------------------------------------


def test_the_bridge_is_a_process_of_its_own_in_the_procfiles_and_the_render_blueprint():
    root = Path(settings.BASE_DIR)
    for procfile in ("Procfile", "Procfile.serve"):
        processes = dict(
            line.split(": ", 1)
            for line in (root / procfile).read_text().splitlines()
            if ": " in line and not line.startswith("#")
        )
        assert processes["legacy"] == "python manage.py sync_legacy --follow"
    services = {
        service["name"]: service for service in yaml.safe_load((root / "render.yaml").read_text())["services"]
    }
    bridge = services["igv-crm-legacy-sync"]
    assert (bridge["type"], bridge["startCommand"]) == ("worker", "python manage.py sync_legacy --follow")
    assert {"key": "LEGACY_MONGO_URI", "sync": False} in bridge["envVars"]


def test_without_legacy_mongo_uri_the_following_bridge_idles_until_stopped(empty_database, monkeypatch):  # noqa: F811
    monkeypatch.setenv("LEGACY_MONGO_URI", "")
    process = manage(empty_database, "sync_legacy", "--follow", stdout=subprocess.PIPE, text=True)
    try:
        assert "LEGACY_MONGO_URI is not set" in process.stdout.readline()
        time.sleep(0.5)
        assert process.poll() is None  # still there: honcho would stop every process if it exited
        process.terminate()
        assert process.wait(timeout=10) == 0
    finally:
        process.kill()
        process.stdout.close()
