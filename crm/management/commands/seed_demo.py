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
The pipeline rows are written through the models in the one transaction of the command,
respecting every constraint (see `_work_on`).
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
    Company,
    Contact,
    DisqualificationReason,
    Lead,
    LeadStage,
    LossReason,
    Opportunity,
    OpportunityStage,
    OpportunityStageEntry,
    Source,
)
from mini_analysis.generation import generate_analysis
from mini_analysis.generators.offline import OfflineGenerator
from mini_analysis.keys import identity_key, normalize_key
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


def _activity(
    plan: _Plan, kind: str, subject: str, *, body: str = "", done: timedelta | None = None, due=None, **links
) -> Activity:
    when = plan.at(done) if done is not None else None
    return Activity.objects.create(
        kind=kind,
        subject=subject,
        body=body,
        lead=plan.lead,
        done_at=when,
        due_at=due,
        owner=plan.owner,
        created_by=plan.owner,
        created_at=when or plan.at(timedelta(hours=1)),
        **links,
    )


def _work_on(plan: _Plan, board_stage: str | None, position: int) -> None:
    """The activities, stage and next action of one lead, as the pipeline's services would leave them.

    After the merge with the pipeline's services (`crm.services`: logging an activity, changing the
    stage, `convert_lead`), these writes should go through them.
    """
    lead, day, hour = plan.lead, timedelta(days=1), timedelta(hours=1)
    lead.assigned_to = plan.owner
    if plan.stage == LeadStage.NEW:
        _activity(plan, ActivityKind.NOTE, "Read the mini-analysis before calling", done=hour)
        lead.save(update_fields=["assigned_to"])
        return
    first_contact = hour * (2 + position % 20)  # from 2 h to 21 h: a median worth reading
    answered = plan.stage != LeadStage.ATTEMPTING
    contacts = [
        _activity(
            plan,
            ActivityKind.CALL,
            "First call" if answered else "First call: no answer",
            body="" if answered else "Left a voice message.",
            done=first_contact,
        )
    ]
    next_action = None
    if plan.stage == LeadStage.ATTEMPTING:
        next_action = ("Call again", plan.now + (-2 * day if position // 3 % 2 else day))  # half overdue
    elif plan.stage == LeadStage.CONNECTED:
        contacts.append(
            _activity(plan, ActivityKind.EMAIL, "Sent our presentation", done=first_contact + hour)
        )
        next_action = ("Book a meeting", plan.now + 2 * day)
    elif plan.stage == LeadStage.QUALIFIED:
        contacts.append(
            _activity(plan, ActivityKind.MEETING, "Discovery meeting", done=first_contact + 3 * day)
        )
        _activity(plan, ActivityKind.NOTE, "Budget confirmed for this year", done=first_contact + 3 * day)
        next_action = ("Send the proposal", plan.now - day)  # overdue
    elif plan.stage == LeadStage.DISQUALIFIED:
        lead.disqualification_reason = DisqualificationReason.objects.order_by("order", "id")[position % 4]
    else:
        contacts.append(
            _activity(plan, ActivityKind.MEETING, "Discovery meeting", done=first_contact + 2 * day)
        )
        _convert(plan, board_stage, position)
    if next_action is not None:
        _activity(plan, ActivityKind.TASK, next_action[0], due=next_action[1])
        lead.next_action, lead.next_action_at = next_action
    lead.stage = plan.stage
    lead.first_contacted_at = min(activity.done_at for activity in contacts)
    lead.last_contacted_at = max(activity.done_at for activity in contacts)
    lead.save()


def _convert(plan: _Plan, board_stage: str, position: int) -> None:
    """The lead becomes a contact, a company and an opportunity, moved along the board to `board_stage`."""
    lead = plan.lead
    company = Company.objects.filter(brand_key=normalize_key(lead.brand_name)).first()
    if company is None:
        company = Company.objects.create(name=lead.brand_name, sector=lead.sector, owner=plan.owner)
    contact = Contact.objects.filter(email_key=normalize_key(lead.email)).first()
    if contact is None:
        contact = Contact.objects.create(
            email=lead.email, phone=lead.phone, language=lead.language, company=company, owner=plan.owner
        )
    converted_at = plan.at(timedelta(days=3))
    amount, currency = AMOUNTS[position // 3 % len(AMOUNTS)]
    path = [OpportunityStage.objects.get(name=name) for name in STAGE_PATHS[board_stage]]
    stage = path[-1]
    moved = [plan.at(timedelta(days=3 + 4 * step)) for step in range(len(path))]
    opportunity = Opportunity.objects.create(
        name=f"{lead.brand_name}: market entry",
        company=company,
        contact=contact,
        stage=stage,
        amount=amount,
        currency=currency,
        owner=plan.owner,
        expected_close_date=(plan.now + timedelta(days=30)).date() if not stage.is_closed else None,
        closing_reason="Signed the market entry study."
        if stage.is_won
        else "Chose a local agency."
        if stage.is_lost
        else "",
        won_at=moved[-1] if stage.is_won else None,
        lost_at=moved[-1] if stage.is_lost else None,
        loss_reason=LossReason.objects.get(name="Chose a competitor") if stage.is_lost else None,
        stage_entered_at=moved[-1],
        created_at=converted_at,
    )
    OpportunityStageEntry.objects.bulk_create(
        OpportunityStageEntry(opportunity=opportunity, stage=step, entered_at=when, entered_by=plan.owner)
        for step, when in zip(path, moved, strict=True)
    )
    lead.contact, lead.opportunity = contact, opportunity
    lead.converted_at, lead.converted_by = converted_at, plan.owner
    contact.last_contacted_at = plan.at(timedelta(days=2))
    contact.save(update_fields=["last_contacted_at"])
    if not stage.is_closed:
        due = plan.now - timedelta(days=1) if position // 3 % 2 else plan.now + timedelta(days=5)
        opportunity.next_step, opportunity.next_step_at = "Follow up on the proposal", due
        opportunity.save(update_fields=["next_step", "next_step_at"])
        _activity(plan, ActivityKind.TASK, "Follow up on the proposal", due=due, opportunity=opportunity)
