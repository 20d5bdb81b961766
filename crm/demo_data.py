"""The demo's data: brands in three languages, how the requests and the sales work on them are spread
(statuses, stages, the board's stages, amounts), and the demo's sales people. Read by `seed_demo`."""

from decimal import Decimal

from crm.models import (
    Currency,
    LeadStage,
)
from mini_analysis.models import Language, Status
from mini_analysis.sectors import Sector

DEMO_SIZE = 50

BRANDS = {
    Language.FRENCH: [
        "Maison Lumière",
        "Boulangerie Soleil",
        "Atelier Céleste",
        "Les Jardins d'Orsay",
        "Café Montmartre",
        "Pâtisserie Rivoli",
        "Bijoux Élise",
        "Vins du Rhône",
        "Optique Belleville",
        "Savonnerie Provence",
        "Chocolats Duval",
        "Mode Parisienne",
        "Fromagerie Alpine",
        "Cosmétiques Azur",
        "Librairie du Port",
        "Brasserie Lyonnaise",
        "Parfums de Grasse",
        "Crêperie Bretonne",
    ],
    Language.ENGLISH: [
        "Northwind Coffee",
        "Bright Smile Dental",
        "Urban Threads",
        "Green Leaf Organics",
        "Blue Harbor Seafood",
        "Summit Outdoor Gear",
        "Golden Crust Bakery",
        "Pixel Forge Studio",
        "Maple & Oak Furniture",
        "Silver Lining Spa",
        "Red Rock Burgers",
        "Evergreen Pharmacy",
        "Starlight Cinemas",
        "Copper Kettle Tea",
        "Ironclad Fitness",
        "Blue Fern Florist",
    ],
    Language.HEBREW: [
        "קפה השדרה",
        "מאפיית הכרמל",
        "אופנת תל אביב",
        "פלאפל הזהב",
        "סטודיו אור",
        "גלידה בים",
        "חנות הספרים הירושלמית",
        "יין הגליל",
        "פיצה נפוליטנה",
        "תכשיטי ים המלח",
        "בית הקפה הירוק",
        "שוקולד גולן",
        "ספא המדבר",
        "מסעדת הנמל",
        "קוסמטיקה טבעית",
        "ביגל בייקרי",
    ],
}
DEMO_DAYS = 180  # the requests spread over about six months, the newest a few hours old
# Statuses by position, so every one is present: 7 in 10 generated.
STATUS_CYCLE = [Status.GENERATED] * 7 + [Status.NEW, Status.QUOTA_BLOCKED, Status.ERROR]
MIGRATED = 6  # the oldest requests' leads came from the backfill
MANUAL_LEADS = [
    ("dana@studio-dana.example.com", "Studio Dana", Sector.SERVICES, Language.HEBREW),
    ("marc@vergers-normands.example.com", "Vergers Normands", Sector.FOOD, Language.FRENCH),
    ("olivia@brightpath.example.com", "Brightpath Learning", Sector.TECH, Language.ENGLISH),
    ("lea@atelier-lea.example.com", "Atelier Léa", Sector.FASHION, Language.FRENCH),
]
SALES_PEOPLE = [("sales", "Yael", "Cohen"), ("sales2", "Noam", "Levi")]
# The stages of the assigned leads, in turn (the unassigned ones stay NEW).
STAGE_CYCLE = [
    LeadStage.ATTEMPTING,
    LeadStage.CONNECTED,
    LeadStage.CONVERTED,
    LeadStage.QUALIFIED,
    LeadStage.NEW,
    LeadStage.DISQUALIFIED,
    LeadStage.CONVERTED,
    LeadStage.ATTEMPTING,
    LeadStage.CONNECTED,
    LeadStage.QUALIFIED,
    LeadStage.CONVERTED,
]
# The board stage of each converted lead's opportunity, oldest lead first: every column has one.
OPPORTUNITY_STAGES = ["Won", "Lost", "Negotiation", "Proposal", "Meeting", "Qualification", "Proposal"]
STAGE_PATHS = {
    "Qualification": ["Qualification"],
    "Meeting": ["Qualification", "Meeting"],
    "Proposal": ["Qualification", "Meeting", "Proposal"],
    "Negotiation": ["Qualification", "Meeting", "Proposal", "Negotiation"],
    "Won": ["Qualification", "Meeting", "Proposal", "Negotiation", "Won"],
    "Lost": ["Qualification", "Meeting", "Lost"],
}
AMOUNTS = [
    (Decimal("4800"), Currency.EUR),
    (Decimal("12500"), Currency.EUR),
    (Decimal("36000"), Currency.ILS),
    (Decimal("7200"), Currency.USD),
    (Decimal("9900"), Currency.EUR),
    (Decimal("18000"), Currency.ILS),
    (Decimal("3500"), Currency.EUR),
]
