"""The pipeline board: opportunities in columns by stage, Won and Lost included, moved by a form.

Each card carries a form that works without JavaScript (stage, loss reason, submit: a POST with
its CSRF token); `crm/static/crm/board.js` adds drag and drop and the keyboard on top of it and
asks the loss reason in a dialog. Every move goes through `services.move_opportunity`.

A constant number of queries whatever the number of opportunities: the totals per stage and
currency (count, amount, weighted amount = amount * the stage's probability), the cards, at most
`CARDS_PER_STAGE` per column (a window function: the longest in an open stage first, the latest
closed first), the rest one click away in the changelist. Closed columns hold the deals closed in
the last `CLOSED_DAYS` days, so a deal just won or lost stays in sight.
"""

from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from django import forms
from django.contrib import messages
from django.contrib.admin import ModelAdmin
from django.core.exceptions import PermissionDenied
from django.db.models import Count, DecimalField, ExpressionWrapper, F, Q, QuerySet, Sum, Window
from django.db.models.functions import RowNumber
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext

from .. import services, visibility
from ..models import LossReason, Opportunity, OpportunityStage
from ..models.pipeline import loss_reason_error
from ..selectors import active_staff
from .base import UserChoiceField

CARDS_PER_STAGE = 50
CLOSED_DAYS = 30
OPEN = Q(stage__is_won=False, stage__is_lost=False)


class OwnerFilterForm(forms.Form):
    owner = UserChoiceField(queryset=active_staff(), required=False, empty_label=None)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].label = gettext("Owner")
        self.fields["owner"].empty_label = gettext("Everyone")


class MoveForm(forms.Form):
    opportunity = forms.ModelChoiceField(queryset=Opportunity.objects.none())
    stage = forms.ModelChoiceField(queryset=OpportunityStage.objects.all())
    loss_reason = forms.ModelChoiceField(queryset=LossReason.objects.filter(is_active=True), required=False)

    def __init__(self, *args, opportunities: QuerySet[Opportunity], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["opportunity"].queryset = opportunities

    def clean(self) -> dict:
        cleaned = super().clean()
        if stage := cleaned.get("stage"):
            moved = Opportunity(stage=stage, loss_reason=cleaned.get("loss_reason"))
            if error := loss_reason_error(moved):
                self.add_error("loss_reason", error)
        return cleaned


@dataclass
class Column:
    stage: OpportunityStage
    count: int = 0
    totals: list[tuple[str, Decimal, Decimal]] = field(default_factory=list)  # (currency, amount, weighted)
    cards: list[Opportunity] = field(default_factory=list)


def board_opportunities(request: HttpRequest, owner=None) -> QuerySet[Opportunity]:
    """What the board shows this user: the open deals they may see, and those closed lately."""
    since = timezone.now() - timedelta(days=CLOSED_DAYS)
    opportunities = visibility.visible_opportunities(request.user).filter(
        OPEN | Q(stage_entered_at__gte=since)
    )
    return opportunities.filter(owner=owner) if owner is not None else opportunities


def board_columns(opportunities: QuerySet[Opportunity], stages: list[OpportunityStage]) -> list[Column]:
    columns = {stage.pk: Column(stage) for stage in stages}
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
        if column := columns.get(row["stage"]):
            column.count += row["count"]
            column.totals.append((row["currency"], row["total"], round(row["weighted_total"], 2)))
    cards = opportunities.select_related("company", "owner", "loss_reason")
    for part, order in ((cards.filter(OPEN), F("stage_entered_at").asc()), (cards.exclude(OPEN), None)):
        order = order or F("stage_entered_at").desc()
        ranked = part.annotate(
            rank=Window(RowNumber(), partition_by=F("stage"), order_by=[order, F("pk").asc()])
        )
        for card in ranked.filter(rank__lte=CARDS_PER_STAGE).order_by("stage", "rank"):
            if column := columns.get(card.stage_id):
                column.cards.append(card)
    return list(columns.values())


def board_view(model_admin: ModelAdmin, request: HttpRequest) -> HttpResponse:
    if not model_admin.has_view_permission(request):
        raise PermissionDenied
    owner_form = OwnerFilterForm(request.GET or None)
    owner = owner_form.cleaned_data["owner"] if owner_form.is_valid() else None
    stages = list(OpportunityStage.objects.order_by("order", "pk"))
    context = {
        **model_admin.admin_site.each_context(request),
        "title": gettext("Pipeline board"),
        "opts": model_admin.opts,
        "columns": board_columns(board_opportunities(request, owner), stages),
        # A sales person sees only their own deals: whose board to show is a manager's choice.
        "owner_form": owner_form if visibility.sees_everything(request.user) else None,
        "owner": owner,
        "stages": stages,
        "loss_reasons": list(LossReason.objects.filter(is_active=True)),
        "can_move": model_admin.has_change_permission(request),
        "changelist_url": reverse("admin:crm_opportunity_changelist"),
        "cards_per_stage": CARDS_PER_STAGE,
        "closed_days": CLOSED_DAYS,
    }
    return TemplateResponse(request, "admin/crm/opportunity/board.html", context)


def move_view(model_admin: ModelAdmin, request: HttpRequest) -> HttpResponse:
    """Move a card to another stage, to a lost one with its reason (a form POST, CSRF-checked);
    back to the board."""
    if not model_admin.has_change_permission(request):
        raise PermissionDenied
    form = MoveForm(request.POST, opportunities=visibility.visible_opportunities(request.user))
    if form.is_valid():
        opportunity, stage = form.cleaned_data["opportunity"], form.cleaned_data["stage"]
        reason = form.cleaned_data["loss_reason"]
        try:
            services.move_opportunity(opportunity, stage, user=request.user, loss_reason=reason)
        except services.PipelineError as error:
            model_admin.message_user(request, str(error), messages.ERROR)
        else:
            moved = {"opportunity": opportunity, "stage": stage, "reason": reason}
            message = (
                gettext("%(opportunity)s moved to %(stage)s (%(reason)s).")
                if stage.is_lost
                else gettext("%(opportunity)s moved to %(stage)s.")
            )
            model_admin.message_user(request, message % moved, messages.SUCCESS)
    elif "loss_reason" in form.errors:
        model_admin.message_user(request, form.errors["loss_reason"][0], messages.ERROR)
    else:
        model_admin.message_user(request, gettext("This move is not possible."), messages.ERROR)
    board_url = reverse("admin:crm_opportunity_board")
    next_url = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}
    ) or not next_url.startswith(board_url):
        next_url = board_url
    return HttpResponseRedirect(next_url)
