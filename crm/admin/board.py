"""The pipeline board: open opportunities in columns by stage, moved from stage to stage by a form.

Two queries whatever the number of opportunities: the totals per stage and currency (count,
amount, weighted amount = amount * the stage's probability), and the cards, at most
`CARDS_PER_STAGE` per column (a window function), the rest one click away in the changelist.
"""

from dataclasses import dataclass, field
from decimal import Decimal

from django import forms
from django.contrib import messages
from django.contrib.admin import ModelAdmin
from django.core.exceptions import PermissionDenied
from django.db.models import Count, DecimalField, ExpressionWrapper, F, QuerySet, Sum, Window
from django.db.models.functions import RowNumber
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext

from .. import services, visibility
from ..models import Opportunity, OpportunityStage
from ..selectors import active_staff
from .base import UserChoiceField

CARDS_PER_STAGE = 50


class OwnerFilterForm(forms.Form):
    owner = UserChoiceField(queryset=active_staff(), required=False, empty_label=None)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].label = gettext("Owner")
        self.fields["owner"].empty_label = gettext("Everyone")


class MoveForm(forms.Form):
    opportunity = forms.ModelChoiceField(queryset=Opportunity.objects.none())
    stage = forms.ModelChoiceField(queryset=OpportunityStage.objects.all())

    def __init__(self, *args, opportunities: QuerySet[Opportunity], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["opportunity"].queryset = opportunities


@dataclass
class Column:
    stage: OpportunityStage
    count: int = 0
    totals: list[tuple[str, Decimal, Decimal]] = field(default_factory=list)  # (currency, amount, weighted)
    cards: list[Opportunity] = field(default_factory=list)


def open_opportunities(request: HttpRequest, owner=None) -> QuerySet[Opportunity]:
    opportunities = visibility.visible_opportunities(request.user).filter(
        stage__is_won=False, stage__is_lost=False
    )
    return opportunities.filter(owner=owner) if owner is not None else opportunities


def board_columns(opportunities: QuerySet[Opportunity]) -> list[Column]:
    columns = {
        stage.pk: Column(stage)
        for stage in OpportunityStage.objects.filter(is_won=False, is_lost=False).order_by("order", "pk")
    }
    weighted = ExpressionWrapper(
        F("amount") * F("stage__probability") / Decimal(100),
        output_field=DecimalField(max_digits=14, decimal_places=2),
    )
    totals = (
        opportunities.order_by()
        .values("stage", "currency")
        .annotate(count=Count("pk"), total=Sum("amount"), weighted_total=Sum(weighted))
        .order_by("stage", "currency")
    )
    for row in totals:
        column = columns.get(row["stage"])
        if column is not None:
            column.count += row["count"]
            column.totals.append((row["currency"], row["total"], round(row["weighted_total"], 2)))
    ranked = opportunities.select_related("company", "contact", "owner").annotate(
        rank=Window(
            RowNumber(), partition_by=F("stage"), order_by=[F("stage_entered_at").asc(), F("pk").asc()]
        )
    )
    for card in ranked.filter(rank__lte=CARDS_PER_STAGE).order_by("stage", "rank"):
        if card.stage_id in columns:
            columns[card.stage_id].cards.append(card)
    return list(columns.values())


def board_view(model_admin: ModelAdmin, request: HttpRequest) -> HttpResponse:
    if not model_admin.has_view_permission(request):
        raise PermissionDenied
    owner_form = OwnerFilterForm(request.GET or None)
    owner = owner_form.cleaned_data["owner"] if owner_form.is_valid() else None
    columns = board_columns(open_opportunities(request, owner))
    context = {
        **model_admin.admin_site.each_context(request),
        "title": gettext("Pipeline board"),
        "opts": model_admin.opts,
        "columns": columns,
        "owner_form": owner_form,
        "owner": owner,
        "stages": OpportunityStage.objects.order_by("order", "pk"),
        "can_move": model_admin.has_change_permission(request),
        "changelist_url": reverse("admin:crm_opportunity_changelist"),
        "cards_per_stage": CARDS_PER_STAGE,
    }
    return TemplateResponse(request, "admin/crm/opportunity/board.html", context)


def move_view(model_admin: ModelAdmin, request: HttpRequest) -> HttpResponse:
    """Move a card to another stage (a form POST, CSRF-checked); back to the board."""
    if not model_admin.has_change_permission(request):
        raise PermissionDenied
    form = MoveForm(request.POST, opportunities=visibility.visible_opportunities(request.user))
    if form.is_valid():
        opportunity, stage = form.cleaned_data["opportunity"], form.cleaned_data["stage"]
        services.move_opportunity(opportunity, stage, user=request.user)
        model_admin.message_user(
            request,
            gettext("%(opportunity)s moved to %(stage)s.") % {"opportunity": opportunity, "stage": stage},
            messages.SUCCESS,
        )
    else:
        model_admin.message_user(request, gettext("This move is not possible."), messages.ERROR)
    board_url = reverse("admin:crm_opportunity_board")
    next_url = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}
    ) or not next_url.startswith(board_url):
        next_url = board_url
    return HttpResponseRedirect(next_url)
