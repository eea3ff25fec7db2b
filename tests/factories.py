"""factory_boy factories for the shared fixtures (tests/conftest.py) and for
any test that needs more objects of the same kind: ``StoreFactory(code="S03")``,
``StaffFactory(role=Role.MANAGER, store=store)``, ``MemberFactory(store=store)``.

Generated values come from one counter shared by the staff usernames and the
member mobiles, as the fixtures have always numbered them."""

from __future__ import annotations

import itertools

import factory
from factory.django import DjangoModelFactory, Password

from accounts.demo import mobile_for
from accounts.models import Brand, Member, Role, Store, User
from accounts.services import owner_username_new

PASSWORD = "dealerops-demo"
numbers = itertools.count(1)  # shared by staff usernames and member mobiles (and their cars)


class BrandFactory(DjangoModelFactory):
    class Meta:
        model = Brand
        django_get_or_create = ("code",)

    code = "vw"
    name = "大众"


class StoreFactory(DjangoModelFactory):
    """A store selling ``brands`` (default: the one brand every test store sells)."""

    class Meta:
        model = Store
        skip_postgeneration_save = True  # brands is a many-to-many: nothing to save again

    code = factory.Sequence(lambda n: f"T{n:02d}")
    name = factory.LazyAttribute(lambda o: f"{o.code} 测试门店")
    province = "广东"
    city = "广州"

    @factory.post_generation
    def brands(self, create, extracted, **kwargs):
        if create:
            self.brands.add(*(extracted if extracted is not None else [BrandFactory()]))


class StaffFactory(DjangoModelFactory):
    """A staff login (``role``, ``store``) whose password is ``PASSWORD``."""

    class Meta:
        model = User

    role = Role.CONSULTANT
    store = None
    username = factory.LazyAttribute(lambda o: f"{o.role}{next(numbers)}")
    last_name = "测"
    first_name = "试"
    password = Password(PASSWORD)


class MemberFactory(DjangoModelFactory):
    """A member of ``store`` (no car: the ``make_member`` fixture adds one)."""

    class Meta:
        model = Member

    store = factory.SubFactory(StoreFactory)
    name = "王伟"
    mobile = factory.LazyFunction(lambda: mobile_for(50_000 + next(numbers)))


class OwnerFactory(DjangoModelFactory):
    """An owner login (opaque username, no password) for ``phone``."""

    class Meta:
        model = User

    username = factory.LazyFunction(owner_username_new)
    role = Role.OWNER
    phone_verified = True
    password = Password(None)
