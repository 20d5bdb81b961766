import factory

from mini_analysis.models import Language, MiniAnalysis, Status


class MiniAnalysisFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MiniAnalysis

    email = factory.Sequence(lambda n: f"client{n}@example.com")
    phone = "+972501234567"
    brand_name = factory.Sequence(lambda n: f"Brand {n}")
    sector = "Restauration / Food"
    language = Language.FRENCH
    status = Status.NEW
