"""What a column of an imported file can be: the CRM's fields, the headers other tools give them
(HubSpot, Pipedrive, Salesforce, Zoho, Excel, ours), and a mapping saved by a manager
(`ImportMapping`). Other tools' lifecycle stages are a table the managers edit
(`LifecycleStageMapping`, read by `values.RowReader`).

Headers and values are compared by `simple_key`: case, accents, punctuation and spacing aside.
"""

import unicodedata

from django.utils.translation import gettext_lazy as _

# The fields a column can fill, in the order of the mapping form. `full_name` is split into the
# first and last name (`crm.names.split_name`); `owner` is a user, `created_at` the lead's date.
FIELDS = {
    "email": _("email"),
    "first_name": _("first name"),
    "last_name": _("last name"),
    "full_name": _("full name"),
    "phone": _("phone"),
    "brand_name": _("brand name"),
    "sector": _("sector"),
    "language": _("language"),
    "stage": _("sales stage"),
    "disqualification_reason": _("disqualification reason"),
    "owner": _("owner"),
    "created_at": _("created"),
    "notes": _("notes"),
    "status": _("analysis status"),
    "source": _("source"),
}
REQUIRED_FIELDS = ["email", "brand_name"]

# Headers by field, as `simple_key` writes them. A field's own name (our export's header) is
# matched first; a tool's prefix (“Person - ”, “Contact ”) or suffix (“ - Work”, “ 1”) is tried off.
HEADERS = {
    "email": [
        "email",
        "e mail",
        "email address",
        "e mail address",
        "mail",
        "courriel",
        "adresse email",
        "adresse e mail",
        "adresse mail",
        "work email",
        "primary email",
        "אימייל",
        "דואל",
        "מייל",
        "דואר אלקטרוני",
    ],
    "first_name": ["first name", "firstname", "given name", "prenom", "שם פרטי"],
    "last_name": ["last name", "lastname", "surname", "family name", "nom", "nom de famille", "שם משפחה"],
    "full_name": [
        "full name",
        "name",
        "contact name",
        "person name",
        "lead name",
        "nom complet",
        "contact",
        "שם",
        "שם מלא",
        "איש קשר",
    ],
    "phone": [
        "phone",
        "phone number",
        "mobile",
        "mobile phone",
        "mobile phone number",
        "mobile number",
        "telephone",
        "tel",
        "cell",
        "cell phone",
        "telephone mobile",
        "portable",
        "numero de telephone",
        "טלפון",
        "נייד",
        "טלפון נייד",
        "מספר טלפון",
    ],
    "brand_name": [
        "brand",
        "brand name",
        "company",
        "company name",
        "account",
        "account name",
        "company account",
        "organization",
        "organisation",
        "organization name",
        "organisation name",
        "business",
        "business name",
        "entreprise",
        "societe",
        "marque",
        "nom de la marque",
        "nom de l entreprise",
        "חברה",
        "מותג",
        "שם החברה",
        "שם המותג",
        "ארגון",
        "עסק",
    ],
    "sector": [
        "sector",
        "industry",
        "secteur",
        "secteur d activite",
        "industrie",
        "activite",
        "תחום",
        "ענף",
        "מגזר",
    ],
    "language": ["language", "preferred language", "langue", "שפה"],
    "stage": [
        "stage",
        "sales stage",
        "lifecycle stage",
        "lead status",
        "lead stage",
        "etape",
        "phase",
        "statut du prospect",
        "etape de vente",
        "שלב",
        "שלב מכירה",
        "סטטוס ליד",
    ],
    "disqualification_reason": [
        "disqualification reason",
        "lost reason",
        "motif de disqualification",
        "סיבת פסילה",
    ],
    "owner": [
        "owner",
        "contact owner",
        "lead owner",
        "record owner",
        "account owner",
        "assigned to",
        "assigned to id",
        "assignee",
        "sales rep",
        "salesperson",
        "sales person",
        "proprietaire",
        "responsable",
        "commercial",
        "assigne a",
        "בעלים",
        "נציג",
        "אחראי",
        "משויך ל",
    ],
    "created_at": [
        "created",
        "created at",
        "create date",
        "created date",
        "created time",
        "date created",
        "creation date",
        "lead created",
        "person created",
        "date de creation",
        "cree le",
        "תאריך יצירה",
        "נוצר",
    ],
    "notes": [
        "notes",
        "note",
        "description",
        "comments",
        "comment",
        "remarks",
        "commentaire",
        "commentaires",
        "remarques",
        "הערות",
        "הערה",
    ],
    "status": ["analysis status"],
    "source": [],  # another tool's "Lead Source" ("Web", "Trade show") is not ours: mapped by hand
}
# Our export's columns that no import sets (computed, or kept by the CRM): ignored by default.
EXPORT_ONLY_COLUMNS = {
    "id",
    "next_action",
    "next_action_at",
    "assigned_to_name",
    "contact",
    "updated_at",
    "pdf_url",
}
HEADER_PREFIXES = ["person ", "contact ", "lead ", "organization ", "organisation ", "deal "]
HEADER_SUFFIXES = [
    " work",
    " home",
    " other",
    " office",
    " mobile",
    " value",
    " 1",
    " 2",
    " primary",
    " main",
]


def simple_key(text: str) -> str:
    """“Prénom ”, “PRENOM” and “prénom” as one: accents off, case folded, punctuation as spaces."""
    decomposed = unicodedata.normalize("NFKD", str(text))
    letters = "".join(
        character if character.isalnum() else " "
        for character in decomposed
        if not unicodedata.combining(character) and character not in '"׳״'  # דוא"ל is one word
    )
    return " ".join(letters.casefold().split())


def field_of_header(header: str) -> str | None:
    """The field a column is, by its header: our own name first, then the other tools' names."""
    key = simple_key(header)
    if key.replace(" ", "_") in EXPORT_ONLY_COLUMNS:
        return None
    if key.replace(" ", "_") in FIELDS:
        return key.replace(" ", "_")
    for candidate in _variants(key):
        for field, names in HEADERS.items():
            if candidate in names:
                return field
    return None


def _variants(key: str) -> list[str]:
    variants = [key]
    for prefix in HEADER_PREFIXES:
        if key.startswith(prefix):
            variants.append(key.removeprefix(prefix))
    for variant in list(variants):
        for suffix in HEADER_SUFFIXES:
            if variant.endswith(suffix):
                variants.append(variant.removesuffix(suffix))
    return variants


def guess_mapping(headers: list[str], saved: dict[str, str] | None = None) -> list[str]:
    """A field (or "" to ignore) for each column: a saved mapping's choice (`ImportMapping.columns`,
    by folded header) first, then the header's own field; the first column of a field wins."""
    saved = saved or {}
    chosen = [saved.get(simple_key(header)) for header in headers]
    chosen = [field if field == "" or field in FIELDS else None for field in chosen]  # a field since gone
    mapping: list[str] = []
    for header, field in zip(headers, chosen, strict=True):
        if field is None:
            field = field_of_header(header) or ""
            field = "" if field in mapping or field in chosen else field
        mapping.append("" if field in mapping else field)
    return mapping
