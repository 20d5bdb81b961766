"""The offline generator: a deterministic, sector-aware first analysis, with no key and no network.

The text is content, not interface, so it is written here per language rather than through
gettext: a missing translation must never turn a French visitor's analysis into English.
"""

from . import AnalysisRequest

TEXTS = {
    "fr": {
        "label": "Analyse préliminaire automatique — à confirmer avec un consultant IGV.",
        "title": "Mini-analyse de marché : {brand} ({sector})",
        "overview": "Aperçu du marché israélien",
        "opportunities": "Opportunités",
        "risks": "Risques",
        "next_steps": "Prochaines étapes",
        "risk_lines": [
            "Une concurrence locale réactive et des acteurs internationaux déjà implantés.",
            "Des coûts d'entrée (loyers, logistique, importation) supérieurs à la moyenne européenne.",
            "Des exigences réglementaires et linguistiques (étiquetage en hébreu, normes locales).",
        ],
        "next_lines": [
            "Valider l'intérêt du marché par quelques entretiens avec des distributeurs ou partenaires.",
            "Estimer le budget d'entrée et le prix de vente cible en shekels.",
            "Prendre rendez-vous avec IGV pour une analyse approfondie de {brand}.",
        ],
        "sectors": {
            "retail": (
                "Le commerce de détail israélien est concentré dans les grands centres commerciaux et "
                "en forte croissance en ligne.",
                "Un positionnement omnicanal, avec un partenaire local pour la distribution.",
            ),
            "food": (
                "La restauration israélienne est dynamique, portée par une clientèle jeune, urbaine et "
                "curieuse des concepts étrangers ; la cacheroute compte pour une partie du marché.",
                "Un concept différenciant à Tel-Aviv, puis une extension par franchise.",
            ),
            "fashion": (
                "La mode en Israël est sensible au prix et aux tendances internationales, avec un fort "
                "poids des centres commerciaux.",
                "Une collection adaptée au climat et une présence sur les marketplaces locales.",
            ),
            "beauty": (
                "Le marché de la beauté est porté par une demande forte en produits naturels et premium.",
                "Les ventes en pharmacie et parapharmacie, et les influenceurs locaux.",
            ),
            "tech": (
                "Israël est un écosystème technologique dense, exigeant et très connecté aux "
                "marchés internationaux.",
                "Des partenariats avec des start-up et des groupes locaux, et des programmes "
                "d'innovation ouverte.",
            ),
            "health": (
                "La santé et le bien-être bénéficient d'un système de caisses de santé étendu et "
                "d'une population attentive à la prévention.",
                "Des accords avec les caisses de santé et les réseaux de cliniques privées.",
            ),
            "services": (
                "Les services aux entreprises et aux particuliers s'appuient sur la recommandation "
                "et la proximité.",
                "Une offre adaptée aux PME locales et aux entreprises internationales installées en Israël.",
            ),
            "other": (
                "Le marché israélien, d'environ dix millions d'habitants, est ouvert, connecté et "
                "réceptif aux marques étrangères.",
                "Un test de marché ciblé avant un lancement plus large.",
            ),
        },
    },
    "en": {
        "label": "Preliminary automatic analysis — to be confirmed with an IGV consultant.",
        "title": "Market mini-analysis: {brand} ({sector})",
        "overview": "Overview of the Israeli market",
        "opportunities": "Opportunities",
        "risks": "Risks",
        "next_steps": "Next steps",
        "risk_lines": [
            "Responsive local competitors and international players already established.",
            "Entry costs (rent, logistics, import) above the European average.",
            "Regulatory and language requirements (Hebrew labelling, local standards).",
        ],
        "next_lines": [
            "Validate market interest through a few interviews with distributors or partners.",
            "Estimate the entry budget and the target retail price in shekels.",
            "Book a meeting with IGV for an in-depth analysis of {brand}.",
        ],
        "sectors": {
            "retail": (
                "Israeli retail is concentrated in large shopping centres and growing fast online.",
                "An omnichannel position, with a local distribution partner.",
            ),
            "food": (
                "Israel's food scene is lively, driven by young, urban customers curious about foreign "
                "concepts; kashrut matters for part of the market.",
                "A distinctive concept in Tel Aviv, then growth through franchising.",
            ),
            "fashion": (
                "Fashion in Israel is price-sensitive and follows international trends, with shopping "
                "centres carrying much weight.",
                "A collection suited to the climate and a presence on local marketplaces.",
            ),
            "beauty": (
                "The beauty market is driven by strong demand for natural and premium products.",
                "Pharmacy and drugstore sales, and local influencers.",
            ),
            "tech": (
                "Israel is a dense, demanding technology ecosystem, closely tied to international markets.",
                "Partnerships with start-ups and local groups, and open innovation programmes.",
            ),
            "health": (
                "Health and wellness benefit from a broad network of health funds and a "
                "prevention-minded population.",
                "Agreements with health funds and private clinic networks.",
            ),
            "services": (
                "Services to businesses and individuals rely on referrals and proximity.",
                "An offer tailored to local SMEs and to international companies based in Israel.",
            ),
            "other": (
                "The Israeli market, about ten million people, is open, connected and receptive to "
                "foreign brands.",
                "A targeted market test before a broader launch.",
            ),
        },
    },
    "he": {
        "label": "ניתוח אוטומטי ראשוני — יש לאמת מול יועץ IGV.",
        "title": "מיני-ניתוח שוק: {brand} ({sector})",
        "overview": "סקירת השוק הישראלי",
        "opportunities": "הזדמנויות",
        "risks": "סיכונים",
        "next_steps": "הצעדים הבאים",
        "risk_lines": [
            "מתחרים מקומיים זריזים ושחקנים בינלאומיים שכבר פועלים בשוק.",
            "עלויות כניסה (שכירות, לוגיסטיקה, יבוא) גבוהות מהממוצע האירופי.",
            "דרישות רגולציה ושפה (סימון בעברית, תקנים מקומיים).",
        ],
        "next_lines": [
            "לאמת את העניין בשוק בכמה שיחות עם מפיצים או שותפים.",
            "להעריך את תקציב הכניסה ואת מחיר המכירה היעד בשקלים.",
            "לקבוע פגישה עם IGV לניתוח מעמיק של {brand}.",
        ],
        "sectors": {
            "retail": (
                "הקמעונאות בישראל מרוכזת בקניונים גדולים וצומחת במהירות ברשת.",
                "מיצוב רב-ערוצי, עם שותף הפצה מקומי.",
            ),
            "food": (
                "סצנת המזון בישראל תוססת, מונעת בידי קהל צעיר ועירוני הסקרן לקונספטים מחו״ל; "
                "הכשרות חשובה לחלק מהשוק.",
                "קונספט ייחודי בתל אביב, ואחר כך התרחבות בזכיינות.",
            ),
            "fashion": (
                "האופנה בישראל רגישה למחיר ועוקבת אחר מגמות בינלאומיות, ולקניונים משקל רב.",
                "קולקציה המותאמת לאקלים ונוכחות בזירות המסחר המקומיות.",
            ),
            "beauty": (
                "שוק היופי מונע בביקוש גבוה למוצרים טבעיים ויוקרתיים.",
                "מכירות בבתי מרקחת ושיתופי פעולה עם משפיענים מקומיים.",
            ),
            "tech": (
                "ישראל היא אקוסיסטם טכנולוגי צפוף ותובעני, המחובר היטב לשווקים הבינלאומיים.",
                "שותפויות עם סטארט-אפים וקבוצות מקומיות, ותוכניות חדשנות פתוחה.",
            ),
            "health": (
                "תחום הבריאות והרווחה נשען על רשת רחבה של קופות חולים ועל ציבור המודע למניעה.",
                "הסכמים עם קופות החולים ועם רשתות מרפאות פרטיות.",
            ),
            "services": (
                "שירותים לעסקים ולפרטיים נשענים על המלצות ועל קרבה ללקוח.",
                "הצעה המותאמת לעסקים קטנים ובינוניים ולחברות בינלאומיות הפועלות בישראל.",
            ),
            "other": (
                "השוק הישראלי, כעשרה מיליון תושבים, פתוח, מחובר וקשוב למותגים זרים.",
                "בדיקת שוק ממוקדת לפני השקה רחבה.",
            ),
        },
    },
}

SECTOR_NAMES = {
    "fr": {
        "retail": "commerce de détail",
        "food": "restauration",
        "fashion": "mode",
        "beauty": "beauté",
        "tech": "technologie",
        "health": "santé",
        "services": "services",
        "other": "autre secteur",
    },
    "en": {
        "retail": "retail",
        "food": "food",
        "fashion": "fashion",
        "beauty": "beauty",
        "tech": "technology",
        "health": "health",
        "services": "services",
        "other": "other sector",
    },
    "he": {
        "retail": "קמעונאות",
        "food": "מזון ומסעדנות",
        "fashion": "אופנה",
        "beauty": "יופי וקוסמטיקה",
        "tech": "טכנולוגיה",
        "health": "בריאות",
        "services": "שירותים",
        "other": "תחום אחר",
    },
}


class OfflineGenerator:
    """Same request, same text: the default, so the site works with no key and no network."""

    def generate(self, request: AnalysisRequest) -> str:
        texts = TEXTS.get(request.language, TEXTS["fr"])
        sector = request.sector if request.sector in texts["sectors"] else "other"
        sector_name = SECTOR_NAMES.get(request.language, SECTOR_NAMES["fr"])[sector]
        overview, opportunity = texts["sectors"][sector]
        brand = request.brand_name
        sections = [
            texts["label"],
            texts["title"].format(brand=brand, sector=sector_name),
            f"{texts['overview']}\n{overview}",
            f"{texts['opportunities']}\n{opportunity}",
            texts["risks"] + "".join(f"\n- {line}" for line in texts["risk_lines"]),
            texts["next_steps"] + "".join(f"\n- {line.format(brand=brand)}" for line in texts["next_lines"]),
        ]
        return "\n\n".join(sections)
