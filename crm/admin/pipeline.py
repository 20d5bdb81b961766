"""Companies, contacts, opportunities, and the editable lists behind them (stages, reasons)."""

from functools import partial

from django.contrib import admin
from django.http import HttpRequest
from django.urls import path, reverse
from django.utils.decorators import method_decorator
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST
from simple_history.admin import SimpleHistoryAdmin

from .. import services
from ..display import email_delivery
from ..models import Company, Contact, DisqualificationReason, LossReason, Opportunity, OpportunityStage
from ..selectors import active_staff, contact_timeline
from . import board, email
from .activities import ActivityInline, save_activities
from .base import CrmMedia, VisibleToAdmin, due_date, next_action_filter, viewer_of

TIMELINE_LENGTH = 50


class OwnedAdmin(VisibleToAdmin, SimpleHistoryAdmin):
    """A record with an owner (a staff account, the creator by default) and activities inline."""

    list_per_page = 50
    show_facets = admin.ShowFacets.NEVER
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


@admin.register(Company)
class CompanyAdmin(OwnedAdmin):
    list_display = ["name", "sector", "website", "country", "owner", "created_at"]
    list_filter = ["owner"]
    list_select_related = ["owner"]
    search_fields = ["name"]
    fields = ["name", "sector", "website", "country", "owner", "created_at", "updated_at"]
    readonly_fields = ["created_at", "updated_at"]

    def formfield_for_dbfield(self, db_field, request: HttpRequest, **kwargs):
        if db_field.name == "website":
            kwargs["assume_scheme"] = "https"  # a typed "example.com" is https://example.com
        return super().formfield_for_dbfield(db_field, request, **kwargs)


@admin.register(Contact)
class ContactAdmin(OwnedAdmin):
    list_display = [
        "__str__",
        "email_ltr",
        "phone_ltr",
        "company",
        "owner",
        "last_contacted_at",
        "created_at",
    ]
    list_filter = ["owner", "language"]
    list_select_related = ["company", "owner"]
    search_fields = ["email", "first_name", "last_name"]
    autocomplete_fields = ["company"]
    inlines = [ActivityInline]
    fields = [
        ("first_name", "last_name"),
        "email",
        "phone",
        "language",
        "company",
        "owner",
        "last_contacted_at",
        "timeline",
    ]
    readonly_fields = ["last_contacted_at", "timeline"]

    @admin.display(description=_("email"), ordering="email")
    def email_ltr(self, contact: Contact) -> str:
        return format_html("<bdi>{}</bdi>", contact.email)

    @admin.display(description=_("phone"))
    def phone_ltr(self, contact: Contact) -> str:
        return format_html('<bdi dir="ltr">{}</bdi>', contact.phone or "")

    @admin.display(description=_("timeline"))
    def timeline(self, contact: Contact) -> str:
        """Its own activities and those of its prospects and opportunities, newest first."""
        if contact.pk is None:
            return "-"
        activities = contact_timeline(contact, viewer_of(contact))[:TIMELINE_LENGTH]
        if not activities:
            return _("No activity yet.")
        rows = format_html_join(
            "",
            '<li><time datetime="{}">{}</time> · {} · {}{}{}</li>',
            (
                (
                    activity.created_at.isoformat(),
                    due_date(activity.done_at or activity.due_at),
                    activity.get_kind_display(),
                    activity.subject,
                    email_delivery(activity),
                    f" ({activity.lead})" if activity.lead_id and activity.contact_id is None else "",
                )
                for activity in activities
            ),
        )
        return format_html('<ul class="crm-timeline">{}</ul>', rows)

    def get_urls(self):
        write = self.admin_site.admin_view(partial(email.compose_view, self))
        return [path("<path:object_id>/email/", write, name="crm_contact_email"), *super().get_urls()]


@admin.register(Opportunity)
class OpportunityAdmin(OwnedAdmin):
    list_display = [
        "name",
        "company",
        "contact",
        "stage",
        "amount",
        "currency",
        "owner",
        "next_step",
        "next_step_due",
        "expected_close_date",
    ]
    list_filter = ["stage", "loss_reason", "owner", next_action_filter("next_step_at", _("next step"))]
    list_select_related = ["company", "contact", "stage", "owner"]
    search_fields = ["name", "company__name", "contact__email"]
    autocomplete_fields = ["company", "contact"]
    inlines = [ActivityInline]
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

    @admin.display(description=_("next step date"), ordering="next_step_at")
    def next_step_due(self, opportunity: Opportunity) -> str:
        return due_date(opportunity.next_step_at)


@admin.register(OpportunityStage)
class OpportunityStageAdmin(admin.ModelAdmin):
    list_display = ["__str__", "order", "probability", "is_won", "is_lost"]
    list_editable = ["order", "probability"]
    ordering = ["order", "id"]


@admin.register(DisqualificationReason)
class DisqualificationReasonAdmin(admin.ModelAdmin):
    list_display = ["__str__", "order", "is_active"]
    list_editable = ["order", "is_active"]
    ordering = ["order", "id"]


@admin.register(LossReason)
class LossReasonAdmin(admin.ModelAdmin):
    """Managers edit the list; a reason in use is deactivated rather than deleted (it is protected)."""

    list_display = ["__str__", "order", "is_active"]
    list_editable = ["order", "is_active"]
    ordering = ["order", "id"]
