"""Factories for tests. Money records and archive rows are built through the ORM here;
tests of behaviour go through services, the API or the CLI."""

import random

import factory

from salesdesk.core.models import Plant, User, UserRole
from salesdesk.customers.models import Contact, Customer, Project
from salesdesk.ledger.models import Product
from salesdesk.lib import names, uscc

_rng = random.Random(20261129)


class PlantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Plant
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"PL{n:02d}")
    name = factory.Sequence(lambda n: f"第{n}搅拌站")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    name = factory.LazyAttribute(lambda o: o.username.title())
    password = factory.django.Password("pw")

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        # roles=[] means no role at all (the `nobody` persona); omitted means salesperson.
        for role in ["sales"] if extracted is None else extracted:
            UserRole.objects.get_or_create(user=self, role=role)
        self.__dict__.pop("roles", None)


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    code = factory.Sequence(lambda n: f"T{n:05d}")
    name = factory.Sequence(lambda n: f"测试建设{n}有限公司")
    search_key = factory.LazyAttribute(lambda o: names.search_key(o.name))
    name_key = factory.LazyAttribute(lambda o: names.name_key(o.name))
    name_head = factory.LazyAttribute(lambda o: names.name_head(o.name))
    credit_code = factory.LazyFunction(lambda: uscc.generate(_rng))
    owner = factory.SubFactory(UserFactory)
    status = "active"
    region = "北京"


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    customer = factory.SubFactory(CustomerFactory)
    name = factory.Sequence(lambda n: f"联系人{n}")
    role = "procurement"


class ProjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Project

    code = factory.Sequence(lambda n: f"TP{n:05d}")
    customer = factory.SubFactory(CustomerFactory)
    name = factory.Sequence(lambda n: f"测试工程{n}")
    owner = factory.LazyAttribute(lambda o: o.customer.owner)
    payment_terms_days = 30


class ProductFactory(factory.django.DjangoModelFactory):
    """A catalogue product; by default C30 concrete, the product most tests deliver."""

    class Meta:
        model = Product
        django_get_or_create = ("code",)

    code = "C30"
    name = "C30 混凝土"
    name_key = factory.LazyAttribute(lambda o: names.product_key(o.name))
    unit = "m3"
    grade = "C30"
