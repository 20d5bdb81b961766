"""Demo data for a newcomer that tells the truth: requests over six months and the sales work on them.

An admin and two sales people; 50 requests in three languages with the form's sectors, dated over
six months, the generated ones through the real generator and PDF path (the offline generator);
their leads (through the `post_save` signal, then dated as their requests), a few older ones
marked as backfilled and a few typed in the admin; and the work of the sales people: stages,
calls, emails, meetings, notes, tasks (some overdue), conversions into a contact, a company and an
opportunity at each stage of the board, one won and one lost.

Safe to run twice: requests, typed leads, contacts and companies are found by their identity
keys (email and brand), and a lead already worked on (any activity) is left alone. A request's
`request_id` is random, as a visitor's: it is the key of its public page and PDF, so it must not
be derivable from this file.
The sales work is written by the CRM's services (`crm.services`: assignment, logging an activity,
the stage, `convert_lead`, `move_opportunity`), each given the moment of the story as its clock,
in the one transaction of the command.
"""

import os
import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from crm import services
from crm.demo_data import (
    AMOUNTS,
    BRANDS,
    DEMO_DAYS,
    DEMO_SIZE,
    MANUAL_LEADS,
    MIGRATED,
    OPPORTUNITY_STAGES,
    SALES_PEOPLE,
    STAGE_CYCLE,
    STAGE_PATHS,
    STATUS_CYCLE,
)
from crm.models import (
    Activity,
    ActivityKind,
    DisqualificationReason,
    Lead,
    LeadStage,
    LossReason,
    OpportunityStage,
    Source,
)
from mini_analysis.generation import generate_analysis
from mini_analysis.generators.offline import OfflineGenerator
from mini_analysis.keys import identity_key
from mini_analysis.models import MiniAnalysis, Status
from mini_analysis.sectors import Sector


class Command(BaseCommand):
    help = (
        "Create demo data: an admin, two sales people, ~50 mini-analyses over six months with their "
        "leads, PDFs and sales work. Safe to re-run."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--force",
            action="store_true",
            help="Run even when DEBUG is off (the demo accounts have known passwords).",
        )

    def handle(self, *args, force: bool = False, **options) -> None:
        if not settings.DEBUG and not force:
            raise CommandError(
                "seed_demo creates accounts with known passwords: it runs only with DEBUG=true (or --force)."
            )
        username, password = _admin_credentials()
        with transaction.atomic():
            _ensure_user(username, password, superuser=True)
            sales_people = [
                _ensure_user(name, name, superuser=False, first_name=first, last_name=last)
                for name, first, last in SALES_PEOPLE
            ]
            created = _create_mini_analyses()
            typed = _create_manual_leads()
            worked = _work_on_leads(sales_people)
        if created or typed or worked:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Demo data: {created} mini-analyses and their leads created, {typed} leads typed in, "
                    f"{worked} leads worked on."
                )
            )
        else:
            self.stdout.write("Demo data already present: nothing to do.")
        self.stdout.write(
            f"Admin login: {username} / {password} — sales people: sales / sales, sales2 / sales2"
        )


def _admin_credentials() -> tuple[str, str]:
    return os.environ.get("DEMO_ADMIN_USERNAME", "admin"), os.environ.get("DEMO_ADMIN_PASSWORD", "admin")


def _ensure_user(username: str, password: str, *, superuser: bool, first_name: str = "", last_name: str = ""):
    User = get_user_model()
    user = User.objects.filter(username=username).first()
    if user is not None:
        return user
    user = User.objects.create_user(
        username=username,
        password=password,
        email=f"{username}@example.com",
        first_name=first_name,
        last_name=last_name,
        is_staff=True,
        is_superuser=superuser,
    )
    if not superuser:
        user.groups.add(Group.objects.get(name="Sales"))
    return user


def _create_mini_analyses() -> int:
    """The requests, oldest last; generated ones through the real generator and PDF (offline).

    The signal creates each lead; one UPDATE then dates the new leads as their requests, and the
    oldest are marked as brought in by the backfill.
    """
    rng = random.Random(20250115)
    now = timezone.now()
    created_ids, backfilled_ids = [], []
    brands = [(language, brand) for language, names in BRANDS.items() for brand in names]
    # Interleave the languages so each month has requests in all three.
    brands.sort(key=lambda item: (BRANDS[item[0]].index(item[1]), item[0]))
    for index, (language, brand) in enumerate(brands[:DEMO_SIZE]):
        status = STATUS_CYCLE[index % len(STATUS_CYCLE)]
        sector = Sector.values[index % len(Sector.values)]
        phone = f"+9725{rng.choice('02348')}{rng.randrange(1_000_000, 9_999_999)}"
        created_at = now - timedelta(days=index * DEMO_DAYS / DEMO_SIZE, hours=2 + rng.randrange(0, 10))
        slug = "".join(ch for ch in brand.lower() if ch.isascii() and ch.isalnum()) or f"client{index}"
        email = f"contact@{slug}.example.com"
        email_key, brand_key = identity_key(email, brand)
        if MiniAnalysis.objects.filter(email_key=email_key, brand_key=brand_key).exists():
            continue
        mini_analysis = MiniAnalysis.objects.create(
            email=email,
            phone=phone,
            brand_name=brand,
            sector=sector,
            language=language,
            status=Status.NEW if status == Status.GENERATED else status,
            consent_at=created_at,
            created_at=created_at,
        )
        if status == Status.GENERATED:
            generate_analysis(mini_analysis, OfflineGenerator())
        created_ids.append(mini_analysis.pk)
        if index >= DEMO_SIZE - MIGRATED:
            backfilled_ids.append(mini_analysis.pk)
    # The demo's visitors are invented: their analyses count as emailed, so the worker that
    # `make run` starts sends nothing (its queued email jobs find them sent and stop).
    MiniAnalysis.objects.filter(pk__in=created_ids, status=Status.GENERATED).update(emailed_at=now)
    request_date = MiniAnalysis.objects.filter(pk=OuterRef("mini_analysis_id")).values("created_at")
    Lead.objects.filter(mini_analysis_id__in=created_ids).update(created_at=Subquery(request_date))
    Lead.objects.filter(mini_analysis_id__in=backfilled_ids).update(source=Source.MIGRATION, migrated_at=now)
    return len(created_ids)


def _create_manual_leads() -> int:
    """Leads a sales person typed in the admin (no request), keyed by their identity."""
    now = timezone.now()
    created = 0
    for position, (email, brand, sector, language) in enumerate(MANUAL_LEADS):
        if Lead.objects.filter_identity(email, brand).exists():
            continue
        Lead.objects.create(
            email=email,
            brand_name=brand,
            sector=sector,
            language=language,
            phone="+97235550100",
            source=Source.MANUAL,
            created_at=now - timedelta(days=5 + position * 30),
            notes="Met at the Tel Aviv trade fair.",
        )
        created += 1
    return created


@dataclass
class _Plan:
    lead: Lead
    owner: object
    stage: str
    now: datetime

    def at(self, delay: timedelta) -> datetime:
        """A moment after the lead's creation, never in the future."""
        return min(self.lead.created_at + delay, self.now - timedelta(minutes=30))


def _work_on_leads(sales_people: list) -> int:
    """Assign two leads in three and give each assigned lead the work of its stage.

    Leads already worked on (any activity) keep what they have: the command stays safe to re-run.
    """
    now = timezone.now()
    leads = list(Lead.objects.order_by("created_at", "id").select_related("mini_analysis"))
    opportunity_stages = iter(OPPORTUNITY_STAGES)
    worked = 0
    for position, lead in enumerate(leads):
        if position % 3 == 2 or lead.activities.exists():
            continue
        owner = sales_people[position % 2]
        stage = STAGE_CYCLE[position % len(STAGE_CYCLE)]
        if stage == LeadStage.CONVERTED and now - lead.created_at < timedelta(days=14):
            stage = LeadStage.CONNECTED  # too young to have become a deal
        board_stage = next(opportunity_stages, "Proposal") if stage == LeadStage.CONVERTED else None
        _work_on(_Plan(lead, owner, stage, now), board_stage, position)
        worked += 1
    return worked


def _log(plan: _Plan, kind: str, subject: str, *, after: timedelta, body: str = "", **links) -> Activity:
    """A call, email, meeting or note logged `after` the lead's creation, as its owner logs one."""
    activity = Activity(kind=kind, subject=subject, body=body, lead=plan.lead, owner=plan.owner, **links)
    return services.record_activity(activity, user=plan.owner, now=plan.at(after))


def _plan_task(plan: _Plan, subject: str, *, due: datetime, after: timedelta, **links) -> Activity:
    """A task planned `after` the lead's creation, due at `due` (overdue when in the past)."""
    task = Activity(kind=ActivityKind.TASK, subject=subject, due_at=due, owner=plan.owner, **links)
    if not links:
        task.lead = plan.lead
    return services.record_activity(task, user=plan.owner, now=plan.at(after))


def _work_on(plan: _Plan, board_stage: str | None, position: int) -> None:
    """The activities, stage and conversion of one lead, written by the CRM's services as a sales
    person's clicks write them, each at its moment of the story (the services' `now`): the next
    action, first and last contact, stage entries and dates follow from them, as in production."""
    lead, day, hour = plan.lead, timedelta(days=1), timedelta(hours=1)
    services.assign_leads(
        Lead.objects.filter(pk=lead.pk), plan.owner, actor=plan.owner, now=plan.at(hour / 2)
    )
    if plan.stage == LeadStage.NEW:
        _log(plan, ActivityKind.NOTE, "Read the mini-analysis before calling", after=hour)
        return
    first_contact = hour * (2 + position % 20)  # from 2 h to 21 h: a median worth reading
    if plan.stage == LeadStage.ATTEMPTING:
        _log(
            plan,
            ActivityKind.CALL,
            "First call: no answer",
            body="Left a voice message.",
            after=first_contact,
        )
        due = plan.now + (-2 * day if position // 3 % 2 else day)  # half of them overdue
        _plan_task(plan, "Call again", due=due, after=first_contact)
    else:
        _log(plan, ActivityKind.CALL, "First call", after=first_contact)
    if plan.stage == LeadStage.CONNECTED:
        _log(plan, ActivityKind.EMAIL, "Sent our presentation", after=first_contact + hour)
        _plan_task(plan, "Book a meeting", due=plan.now + 2 * day, after=first_contact + hour)
    elif plan.stage == LeadStage.QUALIFIED:
        _log(plan, ActivityKind.MEETING, "Discovery meeting", after=first_contact + 3 * day)
        _log(plan, ActivityKind.NOTE, "Budget confirmed for this year", after=first_contact + 3 * day)
        _plan_task(plan, "Send the proposal", due=plan.now - day, after=first_contact + 3 * day)  # overdue
    elif plan.stage == LeadStage.CONVERTED:
        _log(plan, ActivityKind.MEETING, "Discovery meeting", after=first_contact + 2 * day)
        _convert(plan, board_stage, position)
        return
    reason = None
    if plan.stage == LeadStage.DISQUALIFIED:
        reason = DisqualificationReason.objects.order_by("order", "id")[position % 4]
    services.set_lead_stage(lead, plan.stage, user=plan.owner, reason=reason)


def _convert(plan: _Plan, board_stage: str, position: int) -> None:
    """The lead becomes a contact, a company and an opportunity (`convert_lead`), moved along the
    board to `board_stage` (`move_opportunity`), four days a step."""
    amount, currency = AMOUNTS[position // 3 % len(AMOUNTS)]
    path = [OpportunityStage.objects.get(name=name) for name in STAGE_PATHS[board_stage]]
    conversion = services.convert_lead(
        plan.lead,
        user=plan.owner,
        opportunity_name=f"{plan.lead.brand_name}: market entry",
        amount=amount,
        currency=currency,
        expected_close_date=(plan.now + timedelta(days=30)).date() if not path[-1].is_closed else None,
        now=plan.at(timedelta(days=3)),
    )
    opportunity = conversion.opportunity
    for step, stage in enumerate(path):
        lost_to = LossReason.objects.get(name="Chose a competitor") if stage.is_lost else None
        opportunity = services.move_opportunity(
            opportunity,
            stage,
            user=plan.owner,
            loss_reason=lost_to,
            now=plan.at(timedelta(days=3 + 4 * step)),
        )
    if stage.is_closed:
        reason = "Signed the market entry study." if stage.is_won else "Chose a local agency."
        services.model_update(opportunity, {"closing_reason": reason}, user=plan.owner, reason="closed")
    else:
        due = plan.now - timedelta(days=1) if position // 3 % 2 else plan.now + timedelta(days=5)
        after = timedelta(days=3 + 4 * (len(path) - 1))
        _plan_task(plan, "Follow up on the proposal", due=due, after=after, opportunity=opportunity)
