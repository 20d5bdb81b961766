"""What erasing one person changes, row by row: computed once, then written or only reported.

`plan_erasure` reads everything and returns an `ErasurePlan`; `ErasurePlan.apply` writes it. The
dry run and the real run share the plan, so `--dry-run` reports exactly what the run does.

Where a person is kept, and what the erasure does there (the same in both modes unless said):

- their requests and leads (same normalized email): deleted, or with `anonymise` kept with an
  erased email, no phone, analysis, PDF or notes, and an erased brand when the brand is theirs
  alone; the PDFs go with them (`crm.privacy`);
- what they became in the pipeline: their contact, their opportunities (the contact's) and the
  companies only they justify are anonymised: the deals' stages, amounts and dates are the
  business's figures. A company is the person's alone when no other person's request, lead,
  contact or opportunity has its brand; a company shared with others keeps its name (it is theirs
  too) and only the person's contact and opportunity in it are anonymised;
- the activities on their leads, contact and opportunities: those on the leads go with them in
  delete mode; the others (all of them with `anonymise`) keep kind, dates and owner, with an
  erased subject and no details;
- the history (django-simple-history) of each of those rows: deleted, it holds every old value;
- everybody else's text that mentions them (notes, activities, opportunities, their history,
  automatic-lead failures, the admin log, the messages kept in a session): the values are
  replaced (`crm.redaction`);
- job results (django-tasks-db) of their requests and leads, or mentioning them: deleted (a job
  already running is left to finish);
- automatic-lead failures of their requests: deleted.
"""

import uuid
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.admin.models import LogEntry
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.db.models import Exists, Model, OuterRef, Q, QuerySet, TextField
from django.db.models.functions import Cast
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from mini_analysis.keys import normalize_key
from mini_analysis.models import MiniAnalysis
from mini_analysis.tasks import generate_mini_analysis, send_analysis_email

from .erasure_files import existing_files
from .locks import lock_leads
from .models import Activity, Company, Contact, Lead, LeadSyncFailure, Opportunity
from .names import person_name
from .redaction import REDACTED, PersonValues, person_values
from .tasks import notify_assignee

ERASED_DOMAIN = "erased.invalid"
DATABASE_SESSION_ENGINES = {
    "django.contrib.sessions.backends.db",
    "django.contrib.sessions.backends.cached_db",
}

# Free text where anybody may have written about the person: (model, columns, JSON columns).
# The person's own rows are left out: the plan deletes or anonymises them. Not searched: the
# analyses (`analysis_text`, the largest column), written by the generator from their own
# request's brand and sector only.
MENTIONING_COLUMNS: list[tuple[type[Model], list[str], list[str]]] = [
    (MiniAnalysis, ["last_error"], []),
    (Lead, ["notes", "next_action"], []),
    (Lead.history.model, ["notes", "next_action"], []),
    (Activity, ["subject", "body"], []),
    (Opportunity, ["name", "next_step", "closing_reason"], []),
    (Opportunity.history.model, ["name", "next_step", "closing_reason"], []),
    (LeadSyncFailure, ["error"], []),
    (LogEntry, ["object_repr"], ["change_message"]),
]


@dataclass(frozen=True)
class Update:
    """New values for some columns of one row."""

    model: type[Model]
    pk: object
    values: dict

    def apply(self) -> None:
        self.model._default_manager.filter(pk=self.pk).update(**self.values)


@dataclass
class ErasurePlan:
    anonymise: bool
    values: PersonValues
    requests: list[int]
    leads: list[int]
    contacts: list[int]
    companies: list[int]
    opportunities: list[int]
    # The person's activities: those on their leads (deleted with them in delete mode), the rest.
    lead_activities: list[int]
    other_activities: list[int]
    sync_failures: list[int]
    job_results: list
    history_rows: int
    files: list[str]
    # Rows changed in place: the person's anonymised rows, then the mentions in other rows.
    anonymised: list[Update] = field(default_factory=list)
    mentions: list[Update] = field(default_factory=list)

    @property
    def log_entries(self) -> int:
        return sum(update.model is LogEntry for update in self.mentions)

    @property
    def sessions(self) -> int:
        return sum(update.model is Session for update in self.mentions)

    @property
    def other_records(self) -> int:
        return len(self.mentions) - self.log_entries - self.sessions

    def apply(self) -> None:
        """Write the plan (inside the caller's transaction); the files are the caller's."""
        lock_leads(self.leads)  # before their activities are written or deleted (`crm.locks`)
        for update in [*self.mentions, *self.anonymised]:
            update.apply()
        DBTaskResult.objects.filter(pk__in=self.job_results).delete()
        LeadSyncFailure.objects.filter(pk__in=self.sync_failures).delete()
        if not self.anonymise:
            Lead.objects.filter(pk__in=self.leads).delete()  # their activities go with them
            MiniAnalysis.objects.filter(pk__in=self.requests).delete()
        # Last: deleting the leads has just written their "deleted" versions.
        for model, ids in self._histories():
            model.history.filter(id__in=ids).delete()

    def _histories(self) -> list[tuple[type[Model], list]]:
        return [
            (Lead, self.leads),
            (Contact, self.contacts),
            (Company, self.companies),
            (Opportunity, self.opportunities),
        ]


def plan_erasure(email: str, *, anonymise: bool) -> ErasurePlan:
    """Everything the erasure of this person will change, read from the database (no write)."""
    email_key = normalize_key(email)
    requests = MiniAnalysis.objects.filter(email_key=email_key)
    leads = Lead.objects.filter(email_key=email_key)
    contacts = Contact.objects.filter(email_key=email_key)
    contact_ids = _ids(contacts)
    companies = _companies_of(email_key, requests, leads, contact_ids)
    opportunities = Opportunity.objects.filter(Q(contact__in=contact_ids) | Q(company__in=companies))
    lead_ids, opportunity_ids = _ids(leads), _ids(opportunities)
    activities = Activity.objects.filter(
        Q(lead__in=lead_ids) | Q(contact__in=contact_ids) | Q(opportunity__in=opportunity_ids)
    )
    lead_activities = _ids(activities.filter(lead__in=lead_ids))
    histories = _history_rows(lead_ids, contact_ids, companies, opportunity_ids)
    brand_keys = _brand_keys_of(email_key, requests, leads, companies, histories)
    values = _values_of(email, requests, leads, contacts, companies, histories, brand_keys)
    plan = ErasurePlan(
        anonymise=anonymise,
        values=values,
        requests=_ids(requests),
        leads=lead_ids,
        contacts=contact_ids,
        companies=companies,
        opportunities=opportunity_ids,
        lead_activities=lead_activities,
        other_activities=_ids(activities.exclude(pk__in=lead_activities)),
        sync_failures=_ids(LeadSyncFailure.objects.filter(mini_analysis__in=requests)),
        job_results=_job_results(values, _ids(requests), lead_ids),
        history_rows=sum(len(rows) for rows in histories.values()),
        files=existing_files(requests, leads),
    )
    erased = _erased_identity(brand_keys)
    plan.anonymised = _anonymisations(plan, erased)
    plan.mentions = _mentions(plan) + _session_mentions(values)
    return plan


def _ids(queryset: QuerySet) -> list:
    return list(queryset.order_by("pk").values_list("pk", flat=True))


def _companies_of(email_key: str, requests, leads, contact_ids: list[int]) -> list[int]:
    """The companies only this person justifies (see the module's docstring)."""
    brand_keys = {*requests.values_list("brand_key", flat=True), *leads.values_list("brand_key", flat=True)}
    candidates = Company.objects.filter(
        Q(brand_key__in=brand_keys - {""})
        | Q(contacts__in=contact_ids)
        | Q(opportunities__contact__in=contact_ids)
    )
    others = (
        Exists(Lead.objects.filter(brand_key=OuterRef("brand_key")).exclude(email_key=email_key))
        | Exists(MiniAnalysis.objects.filter(brand_key=OuterRef("brand_key")).exclude(email_key=email_key))
        | Exists(Contact.objects.filter(company=OuterRef("pk")).exclude(pk__in=contact_ids))
        | Exists(Opportunity.objects.filter(company=OuterRef("pk")).exclude(contact__in=contact_ids))
    )
    return _ids(Company.objects.filter(pk__in=candidates.values("pk")).exclude(others))


def _brand_keys_of(email_key: str, requests, leads, companies: list[int], histories: dict) -> set[str]:
    """The person's brands (normalized) that nobody else has: they are erased wherever they appear."""
    brand_names = {
        *requests.values_list("brand_name", flat=True),
        *leads.values_list("brand_name", flat=True),
        *(row.brand_name for row in histories[Lead]),
    }
    keys = {normalize_key(name) for name in brand_names} - {""}
    shared = {
        *Lead.objects.filter(brand_key__in=keys)
        .exclude(email_key=email_key)
        .values_list("brand_key", flat=True),
        *MiniAnalysis.objects.filter(brand_key__in=keys)
        .exclude(email_key=email_key)
        .values_list("brand_key", flat=True),
        *Company.objects.filter(brand_key__in=keys)
        .exclude(pk__in=companies)
        .values_list("brand_key", flat=True),
    }
    company_keys = {normalize_key(row.name) for row in histories[Company]}
    company_keys |= set(Company.objects.filter(pk__in=companies).values_list("brand_key", flat=True))
    return (keys - shared) | company_keys


def _history_rows(lead_ids, contact_ids, company_ids, opportunity_ids) -> dict[type[Model], list]:
    return {
        Lead: list(Lead.history.filter(id__in=lead_ids)),
        Contact: list(Contact.history.filter(id__in=contact_ids)),
        Company: list(Company.history.filter(id__in=company_ids)),
        Opportunity: list(Opportunity.history.filter(id__in=opportunity_ids)),
    }


def _values_of(email, requests, leads, contacts, companies, histories, brand_keys) -> PersonValues:
    rows = [*requests, *leads, *contacts, *histories[Lead], *histories[Contact]]
    named = [*Company.objects.filter(pk__in=companies), *histories[Company]]
    brands = [row.brand_name for row in rows if hasattr(row, "brand_name")]
    brands += [row.name for row in named]
    return person_values(
        emails=[email.strip(), *(row.email for row in rows)],
        phones=[_e164(row.phone) for row in rows],
        brands=[brand for brand in brands if normalize_key(brand) in brand_keys],
        names=[
            person_name(row.first_name, row.last_name)
            for row in [*leads, *contacts, *histories[Lead], *histories[Contact]]
        ],
    )


def _e164(phone) -> str:
    return getattr(phone, "as_e164", "") or str(phone or "")


@dataclass(frozen=True)
class _ErasedIdentity:
    """What the anonymised rows show instead: one address for the person, one name per brand.

    Shared by the person's requests, leads and contact, so the audit still finds each request's
    lead (same keys) and the backfill writes no lead again for them.
    """

    email: str
    brands: dict[str, str]

    def brand(self, name: str) -> str:
        return self.brands.get(normalize_key(name), name)


def _erased_identity(brand_keys: set[str]) -> _ErasedIdentity:
    token = uuid.uuid4().hex[:12]
    brands = {key: f"erased-{token}-{number}" for number, key in enumerate(sorted(brand_keys), start=1)}
    return _ErasedIdentity(email=f"erased-{token}@{ERASED_DOMAIN}", brands=brands)


def _anonymisations(plan: ErasurePlan, erased: _ErasedIdentity) -> list[Update]:
    blank_contact = {"first_name": "", "last_name": "", "phone": "", "last_contacted_at": None}
    updates = [
        Update(
            Contact, pk, {"email": erased.email, "email_key": normalize_key(erased.email), **blank_contact}
        )
        for pk in plan.contacts
    ]
    for company in Company.objects.filter(pk__in=plan.companies):
        name = erased.brand(company.name)
        values = {"name": name, "brand_key": normalize_key(name), "website": "", "country": ""}
        updates.append(Update(Company, company.pk, values))
    for opportunity in Opportunity.objects.filter(pk__in=plan.opportunities):
        values = {"name": plan.values.redact(opportunity.name), "closing_reason": ""}
        if opportunity.next_step:
            values["next_step"] = REDACTED
        updates.append(Update(Opportunity, opportunity.pk, values))
    kept_activities = plan.other_activities + (plan.lead_activities if plan.anonymise else [])
    updates += [Update(Activity, pk, {"subject": REDACTED, "body": ""}) for pk in kept_activities]
    if plan.anonymise:
        updates += _anonymised_requests_and_leads(plan, erased)
    return updates


def _anonymised_requests_and_leads(plan: ErasurePlan, erased: _ErasedIdentity) -> list[Update]:
    # update(), not save(): the request and its lead are anonymised together, by this one plan;
    # through save() the receiver would write the lead (and a history row of it) a second time.
    blank = {"email": erased.email, "phone": "", "analysis_text": "", "pdf_url": ""}
    updates = []
    for pk, brand_name in MiniAnalysis.objects.filter(pk__in=plan.requests).values_list("pk", "brand_name"):
        values = {**blank, "brand_name": erased.brand(brand_name), "last_error": ""}
        updates.append(Update(MiniAnalysis, pk, values))
    for pk, brand_name, next_action in Lead.objects.filter(pk__in=plan.leads).values_list(
        "pk", "brand_name", "next_action"
    ):
        values = {
            **blank,
            "brand_name": erased.brand(brand_name),
            "notes": "",
            "first_name": "",
            "last_name": "",
        }
        if next_action:
            values["next_action"] = REDACTED
        updates.append(Update(Lead, pk, values))
    return updates


def _mentions(plan: ErasurePlan) -> list[Update]:
    """The other rows whose text mentions the person, with that text redacted."""
    if not plan.values:
        return []
    own = {
        MiniAnalysis: plan.requests,
        Lead: plan.leads,
        Activity: plan.lead_activities + plan.other_activities,
        Opportunity: plan.opportunities,
        LeadSyncFailure: plan.sync_failures,
    }
    pattern = plan.values.sql_pattern()
    updates = []
    for model, columns, json_columns in MENTIONING_COLUMNS:
        rows = model._default_manager.exclude(pk__in=own.get(model, []))
        if model is Lead.history.model:
            rows = rows.exclude(id__in=plan.leads)  # deleted
        if model is Opportunity.history.model:
            rows = rows.exclude(id__in=plan.opportunities)
        matching = Q()
        for column in [*columns, *json_columns]:
            matching |= Q(**{f"{column}__iregex": pattern})
        for row in rows.filter(matching).order_by("pk").values("pk", *columns, *json_columns):
            values = {column: plan.values.redact(row[column]) for column in columns}
            values |= {column: plan.values.redact_json(row[column]) for column in json_columns}
            changed = {column: value for column, value in values.items() if value != row[column]}
            if changed:
                updates.append(Update(model, row["pk"], changed))
    return updates


def _session_mentions(values: PersonValues) -> list[Update]:
    """Sessions whose data mention the person: the admin's messages ("The prospect “Maison |
    ana@x.com” was changed") are kept in the session when they outgrow their cookie. Their data
    is signed and compressed, so each session is decoded here (a table of the logged-in staff)."""
    if not values or settings.SESSION_ENGINE not in DATABASE_SESSION_ENGINES:
        return []
    store = SessionStore()
    updates = []
    for session_key, session_data in Session.objects.filter(expire_date__gt=timezone.now()).values_list(
        "session_key", "session_data"
    ):
        data = store.decode(session_data)
        redacted = values.redact_decoded(data)
        if redacted != data:
            updates.append(Update(Session, session_key, {"session_data": store.encode(redacted)}))
    return updates


def _job_results(values: PersonValues, request_ids: list[int], lead_ids: list[int]) -> list:
    """Finished or waiting jobs of the person's requests and leads, or whose data mention them."""
    of_person = Q(
        task_path__in=[generate_mini_analysis.module_path, send_analysis_email.module_path],
        args_kwargs__args__0__in=request_ids,
    ) | Q(task_path=notify_assignee.module_path, args_kwargs__args__0__in=lead_ids)
    results = DBTaskResult.objects.exclude(status=TaskResultStatus.RUNNING).annotate(
        arguments_text=Cast("args_kwargs", TextField()), return_text=Cast("return_value", TextField())
    )
    if values:
        pattern = values.sql_pattern()
        for column in ["arguments_text", "return_text", "traceback", "exception_class_path"]:
            of_person |= Q(**{f"{column}__iregex": pattern})
    return list(results.filter(of_person).order_by("pk").values_list("pk", flat=True))
