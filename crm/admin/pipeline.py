"""Companies, contacts, opportunities, and the editable lists behind them (stages, reasons)."""

from functools import partial

from django.contrib import admin
from django.http import HttpRequest
from django.urls import path, reverse
from django.utils.decorators import method_decorator
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST
from simple_history.admin import SimpleHistoryAdmin

from mini_analysis.sectors import sector_label

from .. import display, services
from ..models import Company, Contact, DisqualificationReason, LossReason, Opportunity, OpportunityStage
from ..search import SEARCHED_FIELDS
from ..selectors import active_staff
from . import board, email
from .activities import ActivityInline, save_activities
from .base import CrmMedia, PlainTitles, VisibleToAdmin, due_date, next_action_filter
from .lead_filters import SalesPersonFilter
from .record import NewActivityInline
from .record_kinds import CompanyRecordMixin, ContactRecordMixin, OpportunityRecordMixin


class OwnedAdmin(VisibleToAdmin, SimpleHistoryAdmin):
    """A record with an owner (a staff account, the creator by default) and activities inline.

    Its change page is its record page (crm/admin/record.py), the stock form folded at its end
    with the one empty activity row (`NewActivityInline`): the timeline shows the others."""

    @admin.display(description=_("created"), ordering="created_at")
    def created(self, record) -> str:
        return display.date_html(record.created_at)

    list_per_page = 50
    show_facets = admin.ShowFacets.NEVER
    # An existing record's page is its record page (each admin's `change_form_template`); a new
    # record is the stock form.
    add_form_template = "admin/change_form.html"
    Media = CrmMedia

    def formfield_for_foreignkey(self, db_field, request: HttpRequest, **kwargs):
        if db_field.name == "owner":
            kwargs["queryset"] = active_staff()
            kwargs.setdefault("initial", request.user.pk)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request: HttpRequest, obj, form, change: bool) -> None:
        services.save_record(obj, user=request.user, fields=form.changed_data if change else None)

    def save_formset(self, request: HttpRequest, form, formset, change: bool) -> None:
        if formset.model is not ActivityInline.model:
            return super().save_formset(request, form, formset, change)
        save_activities(request, formset)

    @admin.display(description=_("owner"), ordering="owner__username")
    def owner_name(self, record) -> str:
        return display.user_name(record.owner) or display.EMPTY


@admin.register(Company)
class CompanyAdmin(CompanyRecordMixin, OwnedAdmin):
    add_title = _("New company")
    change_form_template = "admin/crm/record/company.html"
    list_display = ["name", "sector_name", "website_ltr", "country", "owner_name", "created"]
    list_filter = [("owner", SalesPersonFilter)]
    list_select_related = ["owner"]
    search_fields = SEARCHED_FIELDS[Company]
    fields = ["name", "sector", "website", "country", "owner", "created_at", "updated_at"]
    readonly_fields = ["created_at", "updated_at"]

    @admin.display(description=_("sector"), ordering="sector")
    def sector_name(self, company: Company) -> str:
        return sector_label(company.sector) or display.EMPTY

    @admin.display(description=_("website"), ordering="website")
    def website_ltr(self, company: Company) -> str:
        return display.ltr_html(company.website)

    def formfield_for_dbfield(self, db_field, request: HttpRequest, **kwargs):
        if db_field.name == "website":
            kwargs["assume_scheme"] = "https"  # a typed "example.com" is https://example.com
        return super().formfield_for_dbfield(db_field, request, **kwargs)


@admin.register(Contact)
class ContactAdmin(ContactRecordMixin, OwnedAdmin):
    add_title = _("New contact")
    change_form_template = "admin/crm/record/contact.html"
    # The name and the email, once each (the record's `__str__` is both).
    list_display = ["name", "email_ltr", "phone_ltr", "company", "owner_name", "last_contacted", "created"]
    list_display_links = ["name", "email_ltr"]
    list_filter = [("owner", SalesPersonFilter), "language"]
    list_select_related = ["company", "owner"]
    search_fields = SEARCHED_FIELDS[Contact]
    autocomplete_fields = ["company"]
    inlines = [NewActivityInline]
    fields = [
        ("first_name", "last_name"),
        "email",
        "phone",
        "language",
        "company",
        "owner",
        "last_contacted_at",
    ]
    readonly_fields = ["last_contacted_at"]

    @admin.display(description=_("name"), ordering="last_name")
    def name(self, contact: Contact) -> str:
        """The person's full name; their email until they have one (a link needs a text)."""
        return (
            display.auto_dir_html(contact.full_name) if contact.full_name else display.ltr_html(contact.email)
        )

    @admin.display(description=_("email"), ordering="email")
    def email_ltr(self, contact: Contact) -> str:
        return display.ltr_html(contact.email)

    @admin.display(description=_("phone"))
    def phone_ltr(self, contact: Contact) -> str:
        return display.phone_html(contact.phone)

    @admin.display(description=_("last contacted"), ordering="last_contacted_at")
    def last_contacted(self, contact: Contact) -> str:
        return display.date_html(contact.last_contacted_at)

    def get_urls(self):
        write = self.admin_site.admin_view(partial(email.compose_view, self))
        return [path("<path:object_id>/email/", write, name="crm_contact_email"), *super().get_urls()]


@admin.register(Opportunity)
class OpportunityAdmin(OpportunityRecordMixin, OwnedAdmin):
    add_title = _("New opportunity")
    change_form_template = "admin/crm/record/opportunity.html"
    list_display = [
        "name",
        "company",
        "contact",
        "stage",
        "amount_in_currency",
        "owner_name",
        "next_step",
        "next_step_when",
        "close_date",
    ]
    list_filter = [
        "stage",
        "loss_reason",
        ("owner", SalesPersonFilter),
        next_action_filter("next_step_at", _("next step")),
    ]
    list_select_related = ["company", "contact", "stage", "owner"]
    search_fields = SEARCHED_FIELDS[Opportunity]
    autocomplete_fields = ["company", "contact"]
    inlines = [NewActivityInline]
    fields = [
        "name",
        "company",
        "contact",
        "stage",
        "amount",
        "currency",
        "expected_close_date",
        "owner",
        "next_step",
        "next_step_due",
        "loss_reason",
        "closing_reason",
        "stage_entered_at",
        "won_at",
        "lost_at",
    ]
    readonly_fields = ["next_step", "next_step_due", "stage_entered_at", "won_at", "lost_at"]

    def get_urls(self):
        views = [
            path("board/", self.admin_site.admin_view(self.board_view), name="crm_opportunity_board"),
            path("board/move/", self.admin_site.admin_view(self.move_view), name="crm_opportunity_move"),
        ]
        return [*views, *super().get_urls()]

    def board_view(self, request: HttpRequest):
        return board.board_view(self, request)

    @method_decorator(require_POST)
    def move_view(self, request: HttpRequest):
        return board.move_view(self, request)

    def changelist_view(self, request: HttpRequest, extra_context=None):
        extra_context = {**(extra_context or {}), "board_url": reverse("admin:crm_opportunity_board")}
        return super().changelist_view(request, extra_context)

    def save_model(self, request: HttpRequest, obj: Opportunity, form, change: bool) -> None:
        services.save_opportunity(obj, user=request.user)

    @admin.display(description=_("amount"), ordering="amount")
    def amount_in_currency(self, opportunity: Opportunity) -> str:
        return display.amount_html(opportunity.amount, opportunity.currency)

    @admin.display(description=_("next step date"), ordering="next_step_at")
    def next_step_when(self, opportunity: Opportunity) -> str:
        return display.next_action_html(opportunity.next_step, opportunity.next_step_at)

    @admin.display(description=_("expected close date"), ordering="expected_close_date")
    def close_date(self, opportunity: Opportunity) -> str:
        return display.day_html(opportunity.expected_close_date)

    @admin.display(description=_("next step date"), ordering="next_step_at")
    def next_step_due(self, opportunity: Opportunity) -> str:
        return due_date(opportunity.next_step_at)


@admin.register(OpportunityStage)
class OpportunityStageAdmin(PlainTitles, admin.ModelAdmin):
    add_title = _("New opportunity stage")
    list_display = ["__str__", "order", "probability", "is_won", "is_lost"]
    list_editable = ["order", "probability"]
    ordering = ["order", "id"]


@admin.register(DisqualificationReason)
class DisqualificationReasonAdmin(PlainTitles, admin.ModelAdmin):
    add_title = _("New disqualification reason")
    list_display = ["__str__", "order", "is_active"]
    list_editable = ["order", "is_active"]
    ordering = ["order", "id"]


@admin.register(LossReason)
class LossReasonAdmin(PlainTitles, admin.ModelAdmin):
    """Managers edit the list; a reason in use is deactivated rather than deleted (it is protected)."""

    add_title = _("New loss reason")

    list_display = ["__str__", "order", "is_active"]
    list_editable = ["order", "is_active"]
    ordering = ["order", "id"]
