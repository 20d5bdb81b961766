"""Who may see what in the CRM: the only entry point, one function per model.

A manager (`sees_everything`: a superuser) sees every record. A sales person sees a record because
they own it, or own a record that owns it; never because a record resembles one they see (an
anonymous request can resemble anything):

- a lead: assigned to them, or unassigned (the pool any sales person may take from); an unassigned
  lead grants nothing beyond itself;
- an opportunity: they own it;
- a contact: they own it, or it is the contact of an opportunity they own;
- a company: they own it, or it is the company of an opportunity they own or of a contact they
  see (so every record a visible one shows is visible: a contact's company, a deal's parties);
- an activity: exactly when every record it is on (lead, contact, opportunity) is visible, so it
  follows its lead when the lead is reassigned, whoever owns or created it (its lead's owner is
  read from `Activity.lead_owner`, the copy the database keeps);
- a request (mini-analysis): unless a lead they may not see is of its person and brand, or is
  linked to it (a request with no lead yet is everyone's, as an unassigned lead is); a failed
  automatic lead, when its request is visible.

Every admin page, inline, form, autocomplete, action, the board, the dashboard, the import, the
exports and the API call these functions; `can_see` is the per-object check built on them (the
admin's `has_view/change/delete_permission`). "May change" is "may see" plus the model permission.
"""

from functools import reduce
from operator import or_

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db.models import Exists, Model, OuterRef, Q, QuerySet

from mini_analysis.keys import KEYED
from mini_analysis.models import MiniAnalysis

from .models import Activity, Company, Contact, Lead, LeadSyncFailure, Opportunity

User = AbstractBaseUser | AnonymousUser


def sees_everything(user: User) -> bool:
    """The manager predicate of the whole CRM: an active superuser sees every record."""
    return bool(user.is_authenticated and user.is_active and user.is_superuser)


def _lead_parts(user: User, owner: str = "assigned_to") -> list[Q]:
    """A sales person's leads, as the disjoint parts whose union they are: by the lead's
    `assigned_to`, or by an activity's copy of it (`owner="lead_owner"`, NULL on no lead too)."""
    return [Q(**{owner: user.pk}), Q(**{f"{owner}__isnull": True})]


def _assigned_or_unassigned(user: User, owner: str = "assigned_to") -> Q:
    return reduce(or_, _lead_parts(user, owner))


def visible_leads(user: User, leads: QuerySet[Lead] | None = None) -> QuerySet[Lead]:
    leads = Lead.objects.all() if leads is None else leads
    if not user.is_authenticated:
        return leads.none()
    if sees_everything(user):
        return leads
    return leads.filter(_assigned_or_unassigned(user))


def visible_lead_parts(user: User, leads: QuerySet[Lead] | None = None) -> list[QuerySet[Lead]]:
    """`visible_leads` as disjoint querysets whose union it is, each one range of an index on the
    owner: a query that must stay in an index (the sector filter's walk) reads each part on its
    own, where the OR would make it read and drop every lead of a colleague (crm/migrations/0018)."""
    leads = Lead.objects.all() if leads is None else leads
    if not user.is_authenticated:
        return []
    if sees_everything(user):
        return [leads]
    return [leads.filter(part) for part in _lead_parts(user)]


def hidden_leads(user: User, leads: QuerySet[Lead] | None = None) -> QuerySet[Lead]:
    """The leads `visible_leads` does not show this user."""
    leads = Lead.objects.all() if leads is None else leads
    if not user.is_authenticated:
        return leads
    if sees_everything(user):
        return leads.none()
    return leads.exclude(_assigned_or_unassigned(user))


def visible_opportunities(
    user: User, opportunities: QuerySet[Opportunity] | None = None
) -> QuerySet[Opportunity]:
    opportunities = Opportunity.objects.all() if opportunities is None else opportunities
    if not user.is_authenticated:
        return opportunities.none()
    if sees_everything(user):
        return opportunities
    return opportunities.filter(owner=user.pk)


def visible_contacts(user: User, contacts: QuerySet[Contact] | None = None) -> QuerySet[Contact]:
    contacts = Contact.objects.all() if contacts is None else contacts
    if not user.is_authenticated:
        return contacts.none()
    if sees_everything(user):
        return contacts
    return contacts.filter(Q(owner=user.pk) | Q(pk__in=_of_own_opportunities(user, "contact")))


def visible_companies(user: User, companies: QuerySet[Company] | None = None) -> QuerySet[Company]:
    companies = Company.objects.all() if companies is None else companies
    if not user.is_authenticated:
        return companies.none()
    if sees_everything(user):
        return companies
    of_visible_contacts = visible_contacts(user).filter(company__isnull=False).values("company")
    return companies.filter(
        Q(owner=user.pk) | Q(pk__in=_of_own_opportunities(user, "company")) | Q(pk__in=of_visible_contacts)
    )


def visible_among_few(user: User, queryset: QuerySet) -> QuerySet:
    """`visible_to` for a queryset its own condition narrows to a few rows (a search's matches):
    the same rule, each row checked through its own indexes (`EXISTS`), where `visible_to` reads
    every contact and deal the user sees once (`IN`), which costs a search more than its rows
    (83 000 contacts read for 2 000 companies named "Lumière": 700 ms)."""
    model = queryset.model
    if model not in (Contact, Company) or not user.is_authenticated or sees_everything(user):
        return visible_to(user, queryset)
    own = Opportunity.objects.filter(owner=user.pk)
    if model is Contact:
        return queryset.filter(Q(owner=user.pk) | _ExistsPerRow(own.filter(contact=OuterRef("pk"))))
    # A company's visible contacts are its contacts the user owns or has a deal with.
    return queryset.filter(
        Q(owner=user.pk)
        | _ExistsPerRow(own.filter(company=OuterRef("pk")))
        | _ExistsPerRow(Contact.objects.filter(company=OuterRef("pk"), owner=user.pk))
        | _ExistsPerRow(own.filter(contact__company=OuterRef("pk")))
    )


class _ExistsPerRow(Exists):
    """`EXISTS (… LIMIT 1 OFFSET 0)`: the OFFSET keeps PostgreSQL from rewriting it into a hashed
    `IN`, which would read every deal or contact of the user before the first row (its planner
    prices the rows the search's condition leaves, not the LIMIT that stops it)."""

    template = "EXISTS(%(subquery)s OFFSET 0)"


def _of_own_opportunities(user: User, field: str) -> QuerySet:
    """The `field` (contact, company) of the user's opportunities: a subquery read once per query
    (`IN`), not once per row (`EXISTS`): a list of 5 000 companies took 60 ms per count."""
    return Opportunity.objects.filter(owner=user.pk, **{f"{field}__isnull": False}).values(field)


def visible_activities(user: User, activities: QuerySet[Activity] | None = None) -> QuerySet[Activity]:
    activities = Activity.objects.all() if activities is None else activities
    if not user.is_authenticated:
        return activities.none()
    if sees_everything(user):
        return activities
    # The lead by its owner's copy on the activity (`Activity.lead_owner`, kept by the database):
    # theirs or NULL (an unassigned lead, or none), a column of the row, no join. Contacts and
    # opportunities: one `IN` each, read once.
    return activities.filter(
        _assigned_or_unassigned(user, "lead_owner"), *_activity_other_records_visible(user)
    )


def visible_activity_parts(
    user: User, activities: QuerySet[Activity] | None = None
) -> list[QuerySet[Activity]]:
    """`visible_activities` as disjoint querysets whose union it is, each one range of the index
    `activity_lead_owner` (theirs, then NULL): a count that must stay small (a sales person's list,
    `crm.pagination`) reads each range on its own, where the `OR` would read and drop every
    colleague's activity."""
    activities = Activity.objects.all() if activities is None else activities
    if not user.is_authenticated:
        return []
    if sees_everything(user):
        return [activities]
    # The contact and deal conditions resolved once (their subqueries copied and renamed), then
    # shared by each part: resolved per part, they cost 0.4 ms each. As `IN`, each a hash read
    # once: as `EXISTS`, PostgreSQL priced a probe for every row of the range (its cost model
    # charges each condition to every row scanned, before the kind's filter drops it), so it
    # preferred a bitmap of every call of the table to the range it stops early (24 ms against 0.6).
    others_visible = activities.filter(*_activity_other_records_visible(user))
    return [others_visible.filter(part) for part in _lead_parts(user, "lead_owner")]


def _activity_other_records_visible(user: User) -> list[Q]:
    """An activity's contact and opportunity: each none, or one of those the user sees (`IN`, each
    set read once per query). Built once per user object (a request's): a sales person's
    activities page asks for them three times (its list, the parts it counts, its page), 0.3-0.6
    ms each. The conditions depend on the user's key alone, and a query that uses them copies their
    subqueries (`Query.resolve_expression`)."""
    built = user.__dict__.setdefault("_crm_visibility", {})
    if "activity_other_records" not in built:
        built["activity_other_records"] = [
            Q(contact__isnull=True) | Q(contact__in=visible_contacts(user).values("pk")),
            Q(opportunity__isnull=True) | Q(opportunity__in=visible_opportunities(user).values("pk")),
        ]
    return built["activity_other_records"]


def visible_mini_analyses(
    user: User, mini_analyses: QuerySet[MiniAnalysis] | None = None
) -> QuerySet[MiniAnalysis]:
    """The requests whose lead the user may see, and those with no lead yet: two indexed
    `NOT EXISTS` on the leads `visible_leads` hides, no loop over the rows."""
    mini_analyses = MiniAnalysis.objects.all() if mini_analyses is None else mini_analyses
    if not user.is_authenticated:
        return mini_analyses.none()
    if sees_everything(user):
        return mini_analyses
    hidden = hidden_leads(user)
    same_identity = hidden.filter(KEYED, email_key=OuterRef("email_key"), brand_key=OuterRef("brand_key"))
    return mini_analyses.filter(~Exists(same_identity), ~Exists(hidden.filter(mini_analysis=OuterRef("pk"))))


def visible_lead_sync_failures(
    user: User, failures: QuerySet[LeadSyncFailure] | None = None
) -> QuerySet[LeadSyncFailure]:
    """A failure shows its request's email and brand: the failures of the requests the user sees."""
    failures = LeadSyncFailure.objects.all() if failures is None else failures
    if sees_everything(user):
        return failures
    return failures.filter(mini_analysis__in=visible_mini_analyses(user).values("pk"))


_BY_MODEL: dict = {
    Lead: visible_leads,
    Contact: visible_contacts,
    Opportunity: visible_opportunities,
    Company: visible_companies,
    Activity: visible_activities,
    MiniAnalysis: visible_mini_analyses,
    LeadSyncFailure: visible_lead_sync_failures,
}


def visible_to(user: User, queryset: QuerySet) -> QuerySet:
    """`queryset` narrowed to what `user` may see (the model picks the rule)."""
    return _BY_MODEL[queryset.model](user, queryset)


def can_see(user: User, record: Model) -> bool:
    """The per-object check, built on the same querysets (one indexed query, none for a manager)."""
    if sees_everything(user):
        return True
    if record.pk is None or not user.is_authenticated:
        return False
    model = type(record)
    return visible_to(user, model._default_manager.filter(pk=record.pk)).exists()


SCOPED_MODELS = frozenset(_BY_MODEL)
