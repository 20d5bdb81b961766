"""The CRM's records as wide as people can make them, for the layout and accessibility browser tests.

Every text column holds the longest value its field accepts (200-character names, a 254-character
email, a 150-character username), in French, English and Hebrew; every badge (each status, sales
stage, source, activity kind, opportunity stage and currency) appears; dates are real ones with
two-digit days and months, some overdue. Short demo rows hide a column that a real one pushes off
the screen.
"""

import datetime
from dataclasses import dataclass

from django.utils import timezone

from crm import services
from crm.models import (
    Activity,
    ActivityKind,
    Company,
    Contact,
    DisqualificationReason,
    ImportMapping,
    Lead,
    LeadStage,
    LifecycleStageMapping,
    Opportunity,
    OpportunityStage,
    Source,
)
from crm.models.pipeline import Currency
from mini_analysis.models import Language, MiniAnalysis, Status

from .factories import UserFactory

# Text in each language, repeated to a field's full length by `longest`.
WORDS = {
    "fr": "Boulangerie Pâtisserie Lumière du Marais et Fils ",
    "en": "Brightwater Family Bakery and Coffee Roasters ",
    "he": "מאפיית השמש של תל אביב ובניו ",
}
STAGES = [
    ("Qualification", False, False),
    ("Negotiation", False, False),
    ("Won", True, False),
    ("Lost", False, True),
]
PHONES = ["+33612345678", "+972502345678", "+442079460958", "+4915123456789"]


def longest(text: str, length: int) -> str:
    """`text` repeated and cut to exactly `length` characters (no trailing space)."""
    value = (text * (length // len(text) + 1))[:length]
    return value[:-1] + "x" if value.endswith(" ") else value


def longest_email(length: int = 254, seed: str = "contact") -> str:
    """A valid address of `length` characters: a 64-character local part, 63-character labels."""
    local = longest(f"{seed}.commercial.", 64).rstrip(".")
    domain_length = length - len(local) - 1
    labels = []
    while domain_length - sum(len(label) + 1 for label in labels) > 63 + 8:
        labels.append(longest("boulangerie-lumiere-marais-", 63).strip("-"))
    rest = domain_length - sum(len(label) + 1 for label in labels) - len(".example")
    labels.append(longest("marais", rest))
    return f"{local}@{'.'.join(labels)}.example"


def moment(days: int, hour: int = 17) -> datetime.datetime:
    """A real date `days` from today at 17:45 local time (two-digit hours and minutes)."""
    day = timezone.localdate() + datetime.timedelta(days=days)
    return timezone.make_aware(datetime.datetime(day.year, day.month, day.day, hour, 45))


@dataclass
class WideRows:
    lead: Lead
    contact: Contact
    company: Company
    opportunity: Opportunity
    activity: Activity
    mini_analysis: MiniAnalysis
    import_mapping: ImportMapping
    lifecycle_stage: LifecycleStageMapping


def add_wide_rows() -> WideRows:
    """A few rows per CRM list, each as wide as its fields allow."""
    # No password: hashing one is a second of the test.
    owners = [
        # People are shown by their full name: the longest ones the user model takes.
        UserFactory(
            username=longest("dana.cohen-lefebvre.", 150).rstrip("."),
            first_name=longest("Dana-Marie ", 150),
            last_name=longest("Cohen-Lefebvre ", 150),
            password=None,
        ),
        UserFactory(
            username=longest("נועה_לוי_", 150).rstrip("_"),
            first_name=longest("נועה ", 150),
            last_name=longest("לוי ", 150),
            password=None,
        ),
    ]
    languages = list(WORDS)
    companies = [
        Company.objects.create(
            name=longest(f"{index} {WORDS[language]}", 200),
            sector=longest(WORDS[language], 120),
            website="https://" + longest("boulangerie-lumiere-marais.", 180).rstrip(".") + ".example/",
            country=longest("République démocratique du Congo ", 80),
            owner=owners[index % 2],
        )
        for index, language in enumerate(languages)
    ]
    contacts = [
        Contact.objects.create(
            first_name=longest(f"{index} {WORDS[language]}", 200),
            last_name=longest(f"{WORDS[language]} ", 200),
            email=longest_email(seed=f"contact{index}"),
            phone=PHONES[index],
            language=language,
            company=companies[index],
            owner=owners[index % 2],
            last_contacted_at=moment(-index - 3),
            created_at=moment(-40 - index),
        )
        for index, language in enumerate(languages)
    ]
    # The reference rows a migration seeds, again: a transactional test's flush removed them.
    stages = [
        OpportunityStage.objects.get_or_create(
            name=name, defaults={"order": order, "is_won": won, "is_lost": lost}
        )[0]
        for order, (name, won, lost) in enumerate(STAGES)
    ]
    reason, _ = DisqualificationReason.objects.get_or_create(name="Not interested")
    opportunities = [
        Opportunity.objects.create(
            name=longest(f"{index} {WORDS[languages[index % 3]]}", 200),
            company=companies[index % 3],
            contact=contacts[index % 3],
            stage=stage,
            amount="9999999999.99",
            currency=Currency.values[index % 3],
            owner=owners[index % 2],
            next_step=longest(WORDS[languages[index % 3]], 200),
            next_step_at=moment(index * 7 - 20),
            expected_close_date=(moment(index * 30 + 10)).date(),
        )
        for index, stage in enumerate(stages)
    ]
    leads = []
    for index, stage in enumerate(LeadStage.values):
        language = languages[index % 3]
        lead = Lead.objects.create(
            brand_name=longest(f"{index} {WORDS[language]}", 200),
            email=longest_email(seed=f"lead{index}"),
            phone=PHONES[index % len(PHONES)],
            sector=longest(WORDS[language], 120),
            language=language,
            status=Status.values[index % len(Status.values)],
            source=Source.values[index % len(Source.values)],
            assigned_to=owners[index % 2],
            next_action=longest(WORDS[language], 200),
            next_action_at=moment(index * 5 - 12),
            created_at=moment(-30 - index),
        )
        Lead.objects.filter(pk=lead.pk).update(
            stage=stage,
            disqualification_reason=reason if stage == LeadStage.DISQUALIFIED else None,
            contact=contacts[index % 3] if stage == LeadStage.CONVERTED else None,
            converted_at=moment(-2) if stage == LeadStage.CONVERTED else None,
        )
        leads.append(lead)
    # The records `WideRows` returns, whose pages show these activities inline.
    records = [{"lead": leads[0]}, {"contact": contacts[0]}, {"opportunity": opportunities[0]}]
    activities = [
        Activity.objects.create(
            kind=kind,
            subject=longest(WORDS[languages[index % 3]], 200),
            body=longest(WORDS[languages[index % 3]], 2000),
            due_at=moment(index * 4 - 9) if kind == ActivityKind.TASK else None,
            done_at=None if kind == ActivityKind.TASK else moment(-index - 1),
            owner=owners[index % 2],
            created_at=moment(-index - 10),
            **records[index % 3],
        )
        for index, kind in enumerate(ActivityKind.values)
    ]
    # An open task and a done one on each record page's inline.
    for record in records:
        Activity.objects.create(
            kind=ActivityKind.TASK,
            subject=longest(WORDS["he"], 200),
            due_at=moment(15),
            done_at=moment(-1),
            owner=owners[1],
            **record,
        )
    mini_analysis = MiniAnalysis.objects.create(
        email=longest_email(seed="visitor"),
        phone=PHONES[1],
        brand_name=longest(WORDS["fr"], 200),
        sector="food",
        language=Language.FRENCH,
        status=Status.GENERATED,
        analysis_text=longest(WORDS["fr"] + "\n", 3000),
    )
    import_mapping = services.save_import_mapping(
        ImportMapping(
            name=longest(WORDS["he"], 100),
            columns={longest(WORDS[language], 100): "brand_name" for language in WORDS},
            created_by=owners[0],
        ),
        actor=None,
    )
    lifecycle_stage = services.save_lifecycle_stage(
        LifecycleStageMapping(
            label=longest(WORDS["he"], 100),
            stage=LeadStage.DISQUALIFIED,
            disqualification_reason=DisqualificationReason.objects.order_by("pk").first(),
        )
    )
    return WideRows(
        leads[0],
        contacts[0],
        companies[0],
        opportunities[0],
        activities[0],
        mini_analysis,
        import_mapping,
        lifecycle_stage,
    )
