"""The sales profiles in the admin: languages and "away" for the automatic assignment.

A manager (the `crm.assign_lead` permission, or a superuser) sees and edits every profile; a sales
person sees, creates and edits only their own, so they can mark themselves away before a leave.
"""

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from ..assignment import sales_people
from ..display import user_name
from ..models import SalesProfile
from .base import PlainTitles, user_choice_field


@admin.register(SalesProfile)
class SalesProfileAdmin(PlainTitles, admin.ModelAdmin):
    add_title = _("New sales profile")
    list_display = ["person", "speaks_french", "speaks_english", "speaks_hebrew", "is_away", "last_turn"]
    list_editable = ["is_away"]
    list_filter = ["is_away", "speaks_french", "speaks_english", "speaks_hebrew"]
    search_fields = ["user__username", "user__first_name", "user__last_name", "user__email"]
    list_select_related = ["user"]
    readonly_fields = ["last_turn"]
    fieldsets = [
        (None, {"fields": ["user", "is_away"]}),
        (_("Languages spoken"), {"fields": ["speaks_french", "speaks_english", "speaks_hebrew"]}),
        (_("Automatic assignment"), {"fields": ["last_turn"]}),
        (_("Language and time"), {"fields": ["language", "time_zone"]}),
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet[SalesProfile]:
        profiles = super().get_queryset(request)
        if self.manages_team(request):
            return profiles
        return profiles.filter(user=request.user)

    def get_readonly_fields(self, request: HttpRequest, obj: SalesProfile | None = None) -> list[str]:
        # Whose profile it is never changes: that would hand one person's turn to another.
        return [*self.readonly_fields, "user"] if obj is not None else self.readonly_fields

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "user":
            users = sales_people().filter(sales_profile__isnull=True)
            if not self.manages_team(request):
                users = users.filter(pk=request.user.pk)
            kwargs["queryset"] = users.order_by("username")
        return super().formfield_for_foreignkey(db_field, request, **user_choice_field(db_field, kwargs))

    @admin.display(description=_("user"), ordering="user__username")
    def person(self, profile: SalesProfile) -> str:
        return user_name(profile.user)

    def manages_team(self, request: HttpRequest) -> bool:
        return request.user.has_perm("crm.assign_lead")
