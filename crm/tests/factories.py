import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from crm.models import (
    Activity,
    ActivityKind,
    Company,
    Contact,
    Lead,
    LossReason,
    Opportunity,
    OpportunityStage,
    Source,
)
from mini_analysis.models import Language, Status


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.com")
    password = factory.django.Password("correct horse battery staple")
    is_staff = True


class SalesPersonFactory(UserFactory):
    class Meta:
        skip_postgeneration_save = True

    @factory.post_generation
    def sales_group(user, create, extracted, **kwargs):
        if create:
            user.groups.add(Group.objects.get(name="Sales"))


class LeadFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Lead

    email = factory.Sequence(lambda n: f"lead{n}@example.com")
    phone = "+972502345678"
    brand_name = factory.Sequence(lambda n: f"Lead brand {n}")
    sector = "Retail"
    language = Language.FRENCH
    status = Status.NEW
    source = Source.MINI_ANALYSIS


class CompanyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Company

    name = factory.Sequence(lambda n: f"Company {n}")
    sector = "Retail"


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    email = factory.Sequence(lambda n: f"contact{n}@example.com")
    first_name = factory.Sequence(lambda n: f"Contact{n}")
    last_name = "Levi"
    phone = "+972502345678"
    company = factory.SubFactory(CompanyFactory)


class OpportunityFactory(factory.django.DjangoModelFactory):
    """Saved through `services.save_opportunity`, as every writer does."""

    class Meta:
        model = Opportunity

    name = factory.Sequence(lambda n: f"Deal {n}")
    company = factory.SubFactory(CompanyFactory)
    contact = factory.SubFactory(ContactFactory, company=factory.SelfAttribute("..company"))
    stage = factory.LazyFunction(lambda: OpportunityStage.objects.get(name="Qualification"))
    amount = 1000
    # A lost deal says why (the rule of `save_opportunity`): the first reason of the list.
    loss_reason = factory.LazyAttribute(
        lambda opportunity: LossReason.objects.first() if opportunity.stage.is_lost else None
    )

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        from crm.services import save_opportunity

        return save_opportunity(model_class(*args, **kwargs), user=None)


class ActivityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Activity

    kind = ActivityKind.CALL
    subject = factory.Sequence(lambda n: f"Activity {n}")
    done_at = factory.LazyFunction(timezone.now)
