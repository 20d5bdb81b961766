"""Demo data for a newcomer: an admin, a sales person, ~50 requests in three languages and their leads."""

import os
import random
import uuid
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from mini_analysis.models import Language, MiniAnalysis, Status

DEMO_SIZE = 50
# A fixed namespace makes the demo requests' ids stable, so a second run finds them.
DEMO_NAMESPACE = uuid.UUID("6f1c1c0e-8c51-4a8e-9a59-6d0d3f1f2a10")

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
SECTORS = [
    "Restauration / Food",
    "Retail",
    "Fashion",
    "Beauty & Cosmetics",
    "Health",
    "Technology",
    "Hospitality",
    "Education",
    "Wine & Spirits",
    "Other",
]
STATUS_WEIGHTS = {Status.GENERATED: 70, Status.NEW: 10, Status.QUOTA_BLOCKED: 12, Status.ERROR: 8}
ANALYSIS = {
    Language.FRENCH: "Analyse préliminaire automatique pour {brand} ({sector}) : le marché israélien est "
    "dynamique, concentré autour de Tel-Aviv et de Jérusalem ; premières étapes recommandées : étude "
    "de la concurrence locale, choix d'un partenaire de distribution et adaptation de l'offre.",
    Language.ENGLISH: "Preliminary automatic analysis for {brand} ({sector}): the Israeli market is "
    "dynamic and concentrated around Tel Aviv and Jerusalem; recommended first steps: study local "
    "competitors, choose a distribution partner and adapt the offer.",
    Language.HEBREW: "ניתוח ראשוני אוטומטי עבור {brand} ({sector}): השוק הישראלי דינמי ומרוכז סביב תל "
    "אביב וירושלים; צעדים ראשונים מומלצים: בחינת המתחרים המקומיים, בחירת שותף הפצה והתאמת ההצעה.",
}


class Command(BaseCommand):
    help = (
        "Create demo data: an admin, a sales person and ~50 mini-analyses with their leads. Safe to re-run."
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
            _ensure_user("sales", "sales", superuser=False)
            created = _create_mini_analyses()
        if created:
            self.stdout.write(
                self.style.SUCCESS(f"Demo data: {created} mini-analyses and their leads created.")
            )
        else:
            self.stdout.write("Demo data already present: nothing to do.")
        self.stdout.write(f"Admin login: {username} / {password} — sales person: sales / sales")


def _admin_credentials() -> tuple[str, str]:
    return os.environ.get("DEMO_ADMIN_USERNAME", "admin"), os.environ.get("DEMO_ADMIN_PASSWORD", "admin")


def _ensure_user(username: str, password: str, *, superuser: bool) -> None:
    User = get_user_model()
    if User.objects.filter(username=username).exists():
        return
    user = User.objects.create_user(
        username=username,
        password=password,
        email=f"{username}@example.com",
        is_staff=True,
        is_superuser=superuser,
    )
    if not superuser:
        user.groups.add(Group.objects.get(name="Sales"))


def _create_mini_analyses() -> int:
    rng = random.Random(20250115)
    now = timezone.now()
    created = 0
    brands = [(language, brand) for language, names in BRANDS.items() for brand in names]
    for index, (language, brand) in enumerate(brands[:DEMO_SIZE]):
        request_id = uuid.uuid5(DEMO_NAMESPACE, str(index))
        status = rng.choices(list(STATUS_WEIGHTS), weights=list(STATUS_WEIGHTS.values()))[0]
        sector = rng.choice(SECTORS)
        slug = "".join(ch for ch in brand.lower() if ch.isascii() and ch.isalnum()) or f"client{index}"
        if MiniAnalysis.objects.filter(request_id=request_id).exists():
            continue
        MiniAnalysis.objects.create(
            request_id=request_id,
            email=f"contact@{slug}.example.com",
            phone=f"+9725{rng.choice('02348')}{rng.randrange(1_000_000, 9_999_999)}",
            brand_name=brand,
            sector=sector,
            language=language,
            status=status,
            analysis_text=ANALYSIS[language].format(brand=brand, sector=sector)
            if status == Status.GENERATED
            else "",
            consent_at=now,
            created_at=now - timedelta(days=rng.randrange(0, 120), minutes=rng.randrange(0, 1440)),
        )
        created += 1
    return created
