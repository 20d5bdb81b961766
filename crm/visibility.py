"""Who may see what in the CRM: one rule, built on `Lead.objects.visible_to`.

A superuser sees everything. A sales person sees their own and the unassigned leads, and the
contacts, companies, opportunities and activities they own or that belong to a lead they see:

- a contact: owned, or the contact of a visible lead;
- an opportunity: owned, or the opportunity of a visible lead;
- a company: owned, the brand of a visible lead (same brand key), or the company of a visible
  opportunity or of a contact they own;
- an activity: owned or created by them, or on a visible lead, contact or opportunity;
- a request (mini-analysis): unless a lead they may not see is of its person and brand, or is
  linked to it (a request with no lead yet is everyone's, as an unassigned lead is).

Every admin page, action, autocomplete, the board and the API call `visible_to` (or the function of
their model); "may change" is "may see" plus the model permission, as for leads.
"""

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db.models import Exists, OuterRef, Q, QuerySet

from mini_analysis.keys import KEYED
from mini_analysis.models import MiniAnalysis

from .models import Activity, Company, Contact, Lead, Opportunity

User = AbstractBaseUser | AnonymousUser


def visible_leads(user: User, leads: QuerySet[Lead] | None = None) -> QuerySet[Lead]:
    leads = Lead.objects.all() if leads is None else leads
    return leads.visible_to(user) if user.is_authenticated else leads.none()


def visible_contacts(user: User, contacts: QuerySet[Contact] | None = None) -> QuerySet[Contact]:
    contacts = Contact.objects.all() if contacts is None else contacts
    if not user.is_authenticated:
        return contacts.none()
    if user.is_superuser:
        return contacts
    of_visible_lead = Exists(visible_leads(user).filter(contact=OuterRef("pk")))
    return contacts.filter(Q(owner=user.pk) | of_visible_lead)


def visible_opportunities(
    user: User, opportunities: QuerySet[Opportunity] | None = None
) -> QuerySet[Opportunity]:
    opportunities = Opportunity.objects.all() if opportunities is None else opportunities
    if not user.is_authenticated:
        return opportunities.none()
    if user.is_superuser:
        return opportunities
    of_visible_lead = Exists(visible_leads(user).filter(opportunity=OuterRef("pk")))
    return opportunities.filter(Q(owner=user.pk) | of_visible_lead)


def visible_companies(user: User, companies: QuerySet[Company] | None = None) -> QuerySet[Company]:
    companies = Company.objects.all() if companies is None else companies
    if not user.is_authenticated:
        return companies.none()
    if user.is_superuser:
        return companies
    return companies.filter(
        Q(owner=user.pk)
        | Exists(visible_leads(user).filter(brand_key=OuterRef("brand_key")))
        | Exists(visible_opportunities(user).filter(company=OuterRef("pk")))
        | Exists(Contact.objects.filter(owner=user.pk, company=OuterRef("pk")))
    )


def visible_activities(user: User, activities: QuerySet[Activity] | None = None) -> QuerySet[Activity]:
    activities = Activity.objects.all() if activities is None else activities
    if not user.is_authenticated:
        return activities.none()
    if user.is_superuser:
        return activities
    return activities.filter(
        Q(owner=user.pk)
        | Q(created_by=user.pk)
        | Q(lead__in=visible_leads(user).values("pk"))
        | Q(contact__in=visible_contacts(user).values("pk"))
        | Q(opportunity__in=visible_opportunities(user).values("pk"))
    )


def visible_mini_analyses(
    user: User, mini_analyses: QuerySet[MiniAnalysis] | None = None
) -> QuerySet[MiniAnalysis]:
    """The requests whose lead the user may see, and those with no lead yet: two indexed
    `NOT EXISTS` on the leads `visible_to` hides, no loop over the rows."""
    mini_analyses = MiniAnalysis.objects.all() if mini_analyses is None else mini_analyses
    if not user.is_authenticated:
        return mini_analyses.none()
    if user.is_superuser:
        return mini_analyses
    hidden = Lead.objects.hidden_from(user)
    same_identity = hidden.filter(KEYED, email_key=OuterRef("email_key"), brand_key=OuterRef("brand_key"))
    return mini_analyses.filter(~Exists(same_identity), ~Exists(hidden.filter(mini_analysis=OuterRef("pk"))))


_BY_MODEL: dict = {
    Lead: visible_leads,
    Contact: visible_contacts,
    Opportunity: visible_opportunities,
    Company: visible_companies,
    Activity: visible_activities,
    MiniAnalysis: visible_mini_analyses,
}


def visible_to(user: User, queryset: QuerySet) -> QuerySet:
    """`queryset` narrowed to what `user` may see (the model picks the rule)."""
    return _BY_MODEL[queryset.model](user, queryset)


SCOPED_MODELS = frozenset(_BY_MODEL)
