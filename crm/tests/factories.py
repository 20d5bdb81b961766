import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from crm.models import Lead, Source
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
