"""After an erasure, the person is nowhere: every column of every table, every file (`scan.py`).

One person goes everywhere the product can take them: the public form (request, lead, PDF, email),
assignment, a sales person's notes and activities in the admin, conversion (contact, company,
opportunity), edits of each in the admin (history, admin log), an import previewed and never
confirmed (the cache), a failed automatic lead, job results, and mentions in another person's
notes. The scan first finds them in each of those places (so it can see there), then, after the
erasure, nowhere; the other person's data stays. The dry run prints the real run's counts.
"""

import io
from html.parser import HTMLParser
from smtplib import SMTPDataError

import phonenumbers
import pytest
from django.contrib.messages import constants
from django.contrib.messages.storage.base import Message
from django.contrib.messages.storage.cookie import MessageDecoder, MessageEncoder
from django.core.mail.backends.base import BaseEmailBackend
from django.core.management import call_command
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from crm.models import Company, Contact, Lead, LeadSyncFailure, Opportunity
from crm.redaction import phone_spellings
from crm.tasks import notify_assignee
from mini_analysis.models import MiniAnalysis
from mini_analysis.services import submit_mini_analysis
from mini_analysis.tasks import send_analysis_email
from mini_analysis.tests.conftest import run_jobs

from .factories import LeadFactory, SalesPersonFactory, UserFactory
from .scan import places_of

pytestmark = pytest.mark.django_db

EMAIL, PHONE, BRAND, NAME = "Zelda.Quartz@Example.com", "+972549876543", "Xyloquine Atelier", "Zelda Quartz"
FIRST_NAME, LAST_NAME = NAME.split()
PERSON = {EMAIL, BRAND, NAME, FIRST_NAME, LAST_NAME, *phone_spellings(phonenumbers.parse(PHONE))}
OTHER_EMAIL, OTHER_BRAND = "bob.other@example.org", "Bobbin Works"
# Where the story below leaves the person: each must be found before the erasure.
EXPECTED_PLACES = {
    "mini_analyses.email",
    "mini_analyses.phone",
    "leads.email",
    "leads.brand_name",
    "leads.notes",
    "leads_history.email",
    "leads_history.notes",
    "crm_contact.email",
    "crm_contact.first_name",
    "crm_contact.last_name",
    "crm_contact_history.first_name",
    "crm_contact_history.last_name",
    "crm_company.name",
    "crm_company_history.name",
    "crm_opportunity.name",
    "crm_opportunity_history.name",
    "crm_activity.subject",
    "crm_activity.body",
    "crm_leadsyncfailure.error",
    "django_admin_log.object_repr",
    "django_admin_log.change_message",
    "crm_pendingimport.content",
    "django_session.session_data",
    "django_tasks_database_dbtaskresult.traceback",
}


class RejectingEmailBackend(BaseEmailBackend):
    """A mail server whose refusal quotes the subject, as spam filters do."""

    def send_messages(self, messages):
        raise SMTPDataError(554, f"Message rejected as spam: {messages[0].subject}")


class ChangeForm(HTMLParser):
    """The fields a browser would post from an admin change page (its `<form id="…_form">`)."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.data: dict[str, str] = {}
        self._in_form = False
        self._select: str | None = None
        self._chosen = False  # the select has an option marked selected
        self._textarea: str | None = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self._in_form = (attrs.get("id") or "").endswith("_form")
        if not self._in_form:
            return
        if tag == "option" and self._select is not None:
            # A browser sends the selected option, else the first one.
            if "selected" in attrs or (self._select not in self.data and not self._chosen):
                self.data[self._select] = attrs.get("value") or ""
                self._chosen = self._chosen or "selected" in attrs
            return
        name = attrs.get("name")
        if name is None:
            return
        kind = attrs.get("type")
        if tag == "input" and kind not in {"submit", "file", "checkbox", "radio"}:
            self.data[name] = attrs.get("value") or ""
        elif tag == "input" and kind in {"checkbox", "radio"} and "checked" in attrs:
            self.data[name] = attrs.get("value") or "on"
        elif tag == "select":
            self._select, self._chosen = name, False
        elif tag == "textarea":
            self._textarea = name
            self.data[name] = ""

    def handle_endtag(self, tag):
        if tag == "form":
            self._in_form = False
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea is not None:
            self.data[self._textarea] += data


def save_in_admin(client, obj, activity: tuple[str, str] | None = None, **changes) -> None:
    """Open `obj`'s admin page, change some fields (and log an activity inline), and save."""
    url = reverse(f"admin:crm_{obj._meta.model_name}_change", args=[obj.pk])
    page = client.get(url)
    assert page.status_code == 200
    data = ChangeForm(page.content.decode()).data
    data.update(changes)
    if activity is not None:
        extra = int(data["activities-TOTAL_FORMS"]) - 1  # the inline's one empty row
        subject, body = activity
        data |= {f"activities-{extra}-kind": "call", f"activities-{extra}-subject": subject}
        now = timezone.localtime()
        data[f"activities-{extra}-body"] = body
        data[f"activities-{extra}-done_at_0"] = now.strftime("%d/%m/%Y")
        data[f"activities-{extra}-done_at_1"] = now.strftime("%H:%M:%S")
    response = client.post(url, data)
    assert response.status_code == 302, response.context and response.context.get("errors")


def story(client) -> MiniAnalysis:
    """The person, everywhere the product can take them; another person who mentions them."""
    with run_jobs():
        request = submit_mini_analysis(
            email=f" {EMAIL.upper()}", phone=PHONE, brand_name=BRAND, sector="retail", language="fr"
        )
    request.refresh_from_db()
    lead = Lead.objects.get(email_key=EMAIL.lower())
    seller, boss = SalesPersonFactory(username="seller"), UserFactory(username="boss", is_superuser=True)
    client.force_login(seller)
    changelist = reverse("admin:crm_lead_changelist")
    client.post(changelist, {"action": "assign_to_me", "_selected_action": [lead.pk]})
    lead.refresh_from_db()
    save_in_admin(
        client,
        lead,
        notes=f"{NAME} prefers calls after 6pm on 054-987-6543",
        activity=(f"Call with {NAME}", f"{BRAND} wants a quote"),
    )
    client.post(
        reverse("admin:crm_lead_convert", args=[lead.pk]), {"create_opportunity": "on", "currency": "EUR"}
    )
    client.force_login(boss)
    save_in_admin(client, Contact.objects.get(), first_name=FIRST_NAME, last_name=LAST_NAME)
    save_in_admin(client, Company.objects.get(), website="https://xyloquine.example")
    save_in_admin(client, Opportunity.objects.get(), activity=("Proposal", f"Sent to {EMAIL.lower()}"))
    _preview_an_import(client)
    _keep_a_message_in_the_session(client)
    LeadSyncFailure.objects.create(
        mini_analysis=request,
        error=(
            "IntegrityError('duplicate key value violates unique constraint "
            '"unique_lead_per_email_and_brand"\\n'
            f"DETAIL:  Key (email_key, brand_key)=({EMAIL.lower()}, {BRAND.lower()}) already exists.')"
        ),
    )
    other = LeadFactory(email=OTHER_EMAIL, brand_name=OTHER_BRAND)
    save_in_admin(
        client,
        other,
        notes=f"Referred by {EMAIL.lower()} (+972 54-987-6543)",
        activity=(f"Asked about {BRAND}", "Call back next week"),
    )
    _run_jobs_in_the_database(request, lead, seller)
    return request


def _keep_a_message_in_the_session(client) -> None:
    """What Django's message storage does when the messages outgrow their cookie."""
    session = client.session
    message = Message(constants.SUCCESS, f"Le prospect « {BRAND} | {EMAIL} » a été modifié avec succès.")
    session["_messages"] = MessageEncoder().encode([message])
    session.save()


def _preview_an_import(client) -> None:
    upload = io.BytesIO(
        f"email,phone,brand_name,sector,language,status,source,notes\n{EMAIL},054-987-6543,{BRAND},,,,,\n".encode()
    )
    upload.name = "prospects.csv"
    response = client.post(reverse("admin:crm_lead_import"), {"import_file": upload}, follow=True)
    assert response.status_code == 200 and "mapping_form" in response.context


def _run_jobs_in_the_database(request, lead, seller) -> None:
    """Jobs of the person on the database backend, run by a real worker: one waits, one fails."""
    send_analysis_email.using(backend="database", queue_name="later").enqueue(request.pk, 2)
    notify_assignee.using(backend="database").enqueue(lead.pk, seller.pk)
    worker = Worker(
        queue_names=["default"],
        interval=0,
        batch=True,
        backend_name="database",
        startup_delay=False,
        max_tasks=None,
        worker_id="test",
        excluded_queue_names=[],
    )
    # The worker's loop, without its `close_old_connections` (it would close the test's transaction).
    with override_settings(EMAIL_BACKEND=f"{__name__}.RejectingEmailBackend"):
        for result in DBTaskResult.objects.ready().filter(backend_name="database", queue_name="default"):
            result.claim(worker.worker_id)
            worker.run_task(result)
    assert DBTaskResult.objects.filter(status="FAILED").count() == 1


@pytest.fixture
def jobs_and_files(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"},
        "database": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default", "later"]},
    }
    return settings


def tables(places: set[str]) -> set[str]:
    return {place.split(".")[0] for place in places}


@pytest.mark.parametrize("mode", [[], ["--anonymise"]])
def test_after_erasure_no_table_column_or_file_holds_the_person(client, jobs_and_files, mode):
    request = story(client)
    media = jobs_and_files.MEDIA_ROOT
    before = places_of(PERSON, media)
    everywhere = set().union(*before.values())
    assert everywhere >= EXPECTED_PLACES, EXPECTED_PLACES - everywhere
    assert f"file:mini-analyses/{request.request_id}.pdf" in before[BRAND]

    dry_run = io.StringIO()
    call_command("erase_personal_data", EMAIL.lower(), *mode, "--dry-run", stdout=dry_run)
    assert places_of(PERSON, media) == before  # the dry run changed nothing
    run = io.StringIO()
    call_command("erase_personal_data", EMAIL.lower(), *mode, stdout=run, no_color=True)

    assert places_of(PERSON, media) == {}
    assert run.getvalue() == _done(dry_run.getvalue())
    left = places_of({OTHER_EMAIL, OTHER_BRAND}, media)
    assert {"leads.email", "leads.brand_name"} <= left[OTHER_EMAIL] | left[OTHER_BRAND]
    other = Lead.objects.get(email=OTHER_EMAIL)
    assert other.notes == "Referred by [erased] ([erased])"
    # The boss is still logged in, and their message says what happened without the person.
    assert client.get(reverse("admin:index")).status_code == 200
    kept = MessageDecoder().decode(client.session["_messages"])
    assert [message.message for message in kept] == [
        "Le prospect « [erased] | [erased] » a été modifié avec succès."
    ]


def _done(dry_run: str) -> str:
    """The dry run's lines as the run words them."""
    for would, done in [
        ("Would delete", "Deleted"),
        ("Would anonymise", "Anonymised"),
        ("Would redact", "Redacted"),
    ]:
        dry_run = dry_run.replace(f"{would}:", f"{done}:")
    return dry_run
