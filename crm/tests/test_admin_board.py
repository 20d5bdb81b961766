"""The pipeline board (`crm.admin.board`): columns by stage, Won and Lost included, with their
totals per currency in the reader's format, the owner filter, and moving a card with a form POST
(without JavaScript) that is recorded, to Lost with its reason."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from crm import services
from crm.models import Activity, ActivityKind, Lead, LeadStage, LossReason, Opportunity, OpportunityStage

from .factories import LeadFactory, OpportunityFactory, UserFactory

pytestmark = pytest.mark.django_db

BOARD = reverse("admin:crm_opportunity_board")
MOVE = reverse("admin:crm_opportunity_move")


def stage(name: str) -> OpportunityStage:
    return OpportunityStage.objects.get(name=name)


def columns(response) -> dict[str, object]:
    return {column.stage.name: column for column in response.context["columns"]}


def test_the_board_shows_every_stage_with_count_amount_and_weighted_amount(client, signed_in_seller):
    OpportunityFactory(owner=signed_in_seller, amount=Decimal("1000"))
    OpportunityFactory(owner=signed_in_seller, amount=Decimal("500"))
    OpportunityFactory(owner=signed_in_seller, amount=Decimal("200"), currency="USD", stage=stage("Proposal"))
    OpportunityFactory(owner=signed_in_seller, amount=Decimal("999"), stage=stage("Won"))

    response = client.get(BOARD)

    assert response.status_code == 200
    board = columns(response)
    assert list(board) == ["Qualification", "Meeting", "Proposal", "Negotiation", "Won", "Lost"]
    assert board["Qualification"].count == 2
    assert board["Qualification"].totals == [("EUR", Decimal("1500"), Decimal("150"))]
    assert board["Proposal"].totals == [("USD", Decimal("200"), Decimal("100"))]
    assert board["Meeting"].count == 0
    assert board["Won"].count == 1 and [card.amount for card in board["Won"].cards] == [Decimal("999")]
    assert sum(len(column.cards) for column in board.values()) == 4  # the deal just won stays in sight


def test_the_owner_filter_keeps_the_cards_of_one_owner(client):
    boss = UserFactory(is_superuser=True)
    client.force_login(boss)
    ana, ben = UserFactory(username="ana"), UserFactory(username="ben")
    OpportunityFactory(owner=ana, name="Ana's")
    OpportunityFactory(owner=ben, name="Ben's")
    response = client.get(BOARD, {"owner": ana.pk})
    cards = [card.name for column in response.context["columns"] for card in column.cards]
    assert cards == ["Ana's"]
    assert columns(response)["Qualification"].count == 1


def test_a_sales_person_sees_only_their_opportunities_on_the_board(client, signed_in_seller):
    OpportunityFactory(owner=signed_in_seller, name="Mine")
    OpportunityFactory(owner=UserFactory(), name="Theirs")
    response = client.get(BOARD)
    cards = [card.name for column in response.context["columns"] for card in column.cards]
    assert cards == ["Mine"]


def test_moving_a_card_to_won_is_recorded_with_its_author(client, signed_in_seller):
    opportunity = OpportunityFactory(owner=signed_in_seller)
    response = client.post(MOVE, {"opportunity": opportunity.pk, "stage": stage("Won").pk, "next": BOARD})
    assert response.status_code == 302 and response["Location"] == BOARD
    opportunity.refresh_from_db()
    assert opportunity.stage == stage("Won") and opportunity.won_at is not None
    assert opportunity.history.latest().history_user == signed_in_seller
    assert opportunity.stage_entries.latest("entered_at").entered_by == signed_in_seller


def test_moving_someone_elses_card_is_refused(client, signed_in_seller):
    opportunity = OpportunityFactory(owner=UserFactory())
    client.post(MOVE, {"opportunity": opportunity.pk, "stage": stage("Won").pk})
    opportunity.refresh_from_db()
    assert opportunity.stage == stage("Qualification")


def test_a_move_needs_the_csrf_token_and_a_post(seller):
    opportunity = OpportunityFactory(owner=seller)
    client = Client(enforce_csrf_checks=True)
    client.force_login(seller)
    assert client.post(MOVE, {"opportunity": opportunity.pk, "stage": stage("Won").pk}).status_code == 403
    assert client.get(MOVE).status_code == 405
    opportunity.refresh_from_db()
    assert opportunity.stage == stage("Qualification")


def test_a_move_needs_the_change_permission(client):
    viewer = UserFactory()
    viewer.user_permissions.add(Permission.objects.get(codename="view_opportunity"))
    client.force_login(viewer)
    opportunity = OpportunityFactory(owner=viewer)
    assert client.get(BOARD).status_code == 200
    assert client.post(MOVE, {"opportunity": opportunity.pk, "stage": stage("Won").pk}).status_code == 403


def test_an_outside_next_url_is_not_followed(client, signed_in_seller):
    opportunity = OpportunityFactory(owner=signed_in_seller)
    response = client.post(
        MOVE, {"opportunity": opportunity.pk, "stage": stage("Meeting").pk, "next": "https://evil.example/"}
    )
    assert response["Location"] == BOARD


def test_the_board_runs_as_many_queries_for_50_opportunities_as_for_10(client, signed_in_seller):
    OpportunityFactory.create_batch(10, owner=signed_in_seller)
    with CaptureQueriesContext(connection) as ten:
        client.get(BOARD)
    OpportunityFactory.create_batch(40, owner=signed_in_seller, stage=stage("Proposal"))
    with CaptureQueriesContext(connection) as fifty:
        client.get(BOARD)
    assert len(fifty) == len(ten)


def test_the_sales_workflow_from_overdue_call_to_won(client, signed_in_seller):
    """The issue's "done when": overdue next action, a logged call, qualify, convert, win; the
    history shows each step by the sales person."""
    lead = LeadFactory(assigned_to=signed_in_seller)
    task = services.record_activity(
        Activity(
            kind=ActivityKind.TASK, subject="Call", due_at=timezone.now() - timedelta(hours=2), lead=lead
        ),
        user=signed_in_seller,
    )
    overdue = client.get(reverse("admin:crm_lead_changelist"), {"next_action_at_when": "overdue"})
    assert list(overdue.context["cl"].result_list) == [lead]

    services.record_activity(
        Activity(kind=ActivityKind.CALL, subject="Reached her", lead=lead), user=signed_in_seller
    )
    services.complete_task(task, user=signed_in_seller)
    services.set_lead_stage(lead, LeadStage.QUALIFIED, user=signed_in_seller)
    client.post(
        reverse("admin:crm_lead_convert", args=[lead.pk]), {"create_opportunity": "on", "currency": "EUR"}
    )
    client.post(
        reverse("admin:crm_lead_convert", args=[lead.pk]), {"create_opportunity": "on", "currency": "EUR"}
    )
    lead.refresh_from_db()
    client.post(MOVE, {"opportunity": lead.opportunity_id, "stage": stage("Won").pk})

    lead.refresh_from_db()
    assert lead.stage == LeadStage.CONVERTED and lead.last_contacted_at is not None
    assert lead.opportunity.stage == stage("Won")
    assert Lead.objects.count() == 1 and lead.opportunity.leads.count() == 1
    steps = list(lead.history.order_by("history_id").values_list("stage", "history_user__username"))
    assert (LeadStage.QUALIFIED, "seller") in steps and steps[-1] == (LeadStage.CONVERTED, "seller")
    moves = list(
        lead.opportunity.history.order_by("history_id").values_list("stage__name", "history_user__username")
    )
    assert moves == [("Qualification", "seller"), ("Won", "seller")]


def test_the_board_speaks_hebrew_right_to_left(client, signed_in_seller):
    OpportunityFactory(owner=signed_in_seller, amount=Decimal("100"))
    page = client.get(BOARD, HTTP_ACCEPT_LANGUAGE="he").content.decode()
    assert 'dir="rtl"' in page
    assert "לוח הצנרת" in page and "הזדמנות אחת" in page and "הכשרה" in page


def reason(name: str) -> LossReason:
    return LossReason.objects.get(name=name)


def test_a_card_moved_to_lost_by_the_form_keeps_its_reason_and_stays_in_sight(client, signed_in_seller):
    opportunity = OpportunityFactory(owner=signed_in_seller, name="Acme deal")
    response = client.post(
        MOVE,
        {
            "opportunity": opportunity.pk,
            "stage": stage("Lost").pk,
            "loss_reason": reason("Price").pk,
            "next": BOARD,
        },
        follow=True,
    )
    opportunity.refresh_from_db()
    assert opportunity.stage == stage("Lost") and opportunity.loss_reason == reason("Price")
    assert opportunity.stage_entries.latest("entered_at").entered_by == signed_in_seller
    assert [str(message) for message in response.context["messages"]] == [
        "Acme deal déplacée vers Perdue (Prix)."
    ]
    lost = columns(response)["Lost"]
    assert lost.count == 1 and lost.cards == [opportunity]
    assert '<span class="crm-board-reason">Prix</span>' in response.content.decode()


def test_a_move_to_lost_without_a_reason_is_refused_with_the_reason_to_give(client, signed_in_seller):
    opportunity = OpportunityFactory(owner=signed_in_seller)
    response = client.post(MOVE, {"opportunity": opportunity.pk, "stage": stage("Lost").pk}, follow=True)
    opportunity.refresh_from_db()
    assert opportunity.stage == stage("Qualification") and opportunity.stage_entries.count() == 1
    assert [str(message) for message in response.context["messages"]] == [
        "Choisissez pourquoi cette affaire a été perdue."
    ]


def test_an_inactive_loss_reason_is_not_offered_and_is_refused(client, signed_in_seller):
    LossReason.objects.filter(name="Timing").update(is_active=False)
    opportunity = OpportunityFactory(owner=signed_in_seller)
    response = client.get(BOARD)
    assert [str(each) for each in response.context["loss_reasons"]] == [
        "Prix",
        "A choisi un concurrent",
        "Pas de budget",
        "Pas de décision",
        "Autre",
    ]
    client.post(
        MOVE, {"opportunity": opportunity.pk, "stage": stage("Lost").pk, "loss_reason": reason("Timing").pk}
    )
    opportunity.refresh_from_db()
    assert opportunity.stage == stage("Qualification")


@pytest.mark.parametrize("stage_name", ["Meeting", "Won", "Lost"])
def test_a_sales_person_cannot_move_someone_elses_card_to_any_stage(client, signed_in_seller, stage_name):
    theirs = OpportunityFactory(owner=UserFactory(), name="Theirs")
    response = client.post(
        MOVE,
        {"opportunity": theirs.pk, "stage": stage(stage_name).pk, "loss_reason": reason("Price").pk},
        follow=True,
    )
    theirs.refresh_from_db()
    assert theirs.stage == stage("Qualification") and theirs.stage_entries.count() == 1
    assert [str(message) for message in response.context["messages"]] == [
        "Ce déplacement n’est pas possible."
    ]
    assert "Theirs" not in response.content.decode()


def test_someone_elses_deal_is_neither_on_the_board_nor_on_its_page(client, signed_in_seller):
    theirs = OpportunityFactory(owner=UserFactory(), name="Theirs")
    services.move_opportunity(theirs, stage("Lost"), user=None, loss_reason=reason("Price"))
    assert "Theirs" not in client.get(BOARD).content.decode()
    change = client.get(reverse("admin:crm_opportunity_change", args=[theirs.pk]))
    assert change.status_code == 302  # Django's "does not exist" redirect to the admin index


def test_closed_columns_hold_the_deals_closed_in_the_last_30_days(client, signed_in_seller):
    recent, old = OpportunityFactory.create_batch(2, owner=signed_in_seller)
    for opportunity in (recent, old):
        services.move_opportunity(opportunity, stage("Won"), user=signed_in_seller)
    Opportunity.objects.filter(pk=old.pk).update(stage_entered_at=timezone.now() - timedelta(days=31))
    won = columns(client.get(BOARD))["Won"]
    assert won.count == 1 and won.cards == [recent]


def test_amounts_and_totals_per_currency_are_written_for_the_readers_language(client, signed_in_seller):
    OpportunityFactory(owner=signed_in_seller, amount=Decimal("36000"), currency="ILS")
    OpportunityFactory(owner=signed_in_seller, amount=Decimal("12500"), currency="EUR")
    OpportunityFactory(owner=signed_in_seller, amount=Decimal("500.5"), currency="EUR")
    french = client.get(BOARD).content.decode()
    assert "36\u202f000\xa0₪" in french and "13\u202f000,50\xa0€" in french  # the column's two totals
    assert "1\u202f300,05\xa0€" in french  # weighted at 10 %
    english = client.get(BOARD, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "€12,500" in english and "₪36,000" in english and "€13,000.50" in english
    hebrew = client.get(BOARD, HTTP_ACCEPT_LANGUAGE="he").content.decode()
    assert "\u200f36,000\xa0\u200f₪" in hebrew


def test_the_board_loads_its_script_from_the_site_and_has_no_inline_script_or_style(client, signed_in_seller):
    OpportunityFactory(owner=signed_in_seller)
    page = client.get(BOARD).content.decode()
    assert '<script src="/static/crm/board.js" defer></script>' in page
    assert "style=" not in page and "<script>" not in page and "onclick" not in page
    assert 'role="status" aria-live="polite"' in page and 'tabindex="0"' in page


def test_the_board_runs_as_many_queries_with_closed_deals_as_without(client, signed_in_seller):
    OpportunityFactory.create_batch(5, owner=signed_in_seller)
    with CaptureQueriesContext(connection) as before:
        client.get(BOARD)
    for opportunity in OpportunityFactory.create_batch(10, owner=signed_in_seller):
        services.move_opportunity(opportunity, stage("Lost"), user=None, loss_reason=reason("Price"))
    with CaptureQueriesContext(connection) as after:
        client.get(BOARD)
    assert len(after) == len(before)


def test_managers_edit_the_loss_reasons_and_sales_people_only_read_them(client, seller, boss):
    changelist = reverse("admin:crm_lossreason_changelist")
    client.force_login(seller)
    assert client.get(changelist).status_code == 200
    assert client.post(reverse("admin:crm_lossreason_add"), {"name": "Mine", "order": 1}).status_code == 403
    client.force_login(boss)
    client.post(reverse("admin:crm_lossreason_add"), {"name": "Too late", "order": 70, "is_active": "on"})
    assert LossReason.objects.filter(name="Too late", is_active=True).exists()


def test_the_opportunity_page_asks_the_loss_reason_of_a_lost_deal(client, signed_in_seller):
    opportunity = OpportunityFactory(owner=signed_in_seller)
    url = reverse("admin:crm_opportunity_change", args=[opportunity.pk])
    form = {
        "name": opportunity.name,
        "company": opportunity.company_id,
        "contact": opportunity.contact_id,
        "stage": stage("Lost").pk,
        "amount": "1000",
        "currency": "EUR",
        "owner": signed_in_seller.pk,
        "closing_reason": "",
        "activities-TOTAL_FORMS": "0",
        "activities-INITIAL_FORMS": "0",
        "activities-MIN_NUM_FORMS": "0",
        "activities-MAX_NUM_FORMS": "1000",
    }
    refused = client.post(url, form)
    assert refused.status_code == 200
    assert refused.context["adminform"].form.errors["loss_reason"] == [
        "Choisissez pourquoi cette affaire a été perdue."
    ]
    assert client.post(url, {**form, "loss_reason": reason("No budget").pk}).status_code == 302
    opportunity.refresh_from_db()
    assert opportunity.loss_reason == reason("No budget") and opportunity.lost_at is not None
