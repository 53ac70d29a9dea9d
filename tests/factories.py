"""Factories shared by every app's tests."""

import datetime
from decimal import Decimal

import factory
from django.utils import timezone

from deals.models import Client, Commitment, CommitmentKind, Deal
from handoff.models import Role, Team, TeamKind, User

PASSWORD = "correct-horse-battery"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@handoff.test")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    role = Role.SALES
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Team {n}")
    kind = TeamKind.SALES


class ClientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Client

    name = factory.Sequence(lambda n: f"Client {n}")
    industry = "Retail"


class DealFactory(factory.django.DjangoModelFactory):
    """A draft deal. Move it through the workflow with deals.services, never by status."""

    class Meta:
        model = Deal

    title = factory.Sequence(lambda n: f"Deal {n}")
    client = factory.SubFactory(ClientFactory)
    owner = factory.SubFactory(UserFactory, role=Role.SALES)
    value = Decimal("50000.00")
    expected_close_date = factory.LazyFunction(
        lambda: timezone.localdate() + datetime.timedelta(days=30)
    )
    expected_start_date = factory.LazyFunction(
        lambda: timezone.localdate() + datetime.timedelta(days=45)
    )


class CommitmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Commitment

    deal = factory.SubFactory(DealFactory)
    kind = CommitmentKind.SCOPE
    summary = factory.Sequence(lambda n: f"Promise {n}")
    promised_date = factory.LazyFunction(lambda: timezone.localdate() + datetime.timedelta(days=90))
    effort_days = Decimal("10.0")
