import factory

from mini_analysis.models import Language, MiniAnalysis, Status


class MiniAnalysisFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MiniAnalysis

    email = factory.Sequence(lambda n: f"client{n}@example.com")
    phone = "+972502345678"
    brand_name = factory.Sequence(lambda n: f"Brand {n}")
    sector = "Restauration / Food"
    language = Language.FRENCH
    status = Status.NEW


# What a visitor posts in a valid form (the form's and the views' tests start from it).
VALID_FORM_DATA = {
    "email": "visitor@example.com",
    "phone": "052-555-1234",
    "brand_name": "Maison Lumière",
    "sector": "retail",
    "consent": "on",
}
