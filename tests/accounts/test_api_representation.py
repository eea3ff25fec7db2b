"""``/api/v1/me/``'s serializer answers through an explicit function
(``accounts/api/representation.py``); it must write exactly the body the
generic DRF path writes from the declared fields, with values and nulls."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from rest_framework import serializers

from accounts.api.serializers import MeSerializer
from accounts.models import Member

pytestmark = pytest.mark.django_db


def generic(member):
    return serializers.Serializer.to_representation(MeSerializer(), member)


def test_me_written_out_as_the_declared_fields_write_them(member_a, member_b):
    member_a.birthday = dt.date(1990, 2, 28)
    member_a.marketing_consent = True
    member_a.consent_at = timezone.now()
    member_a.consent_source = "miniprogram"
    member_a.save()
    for member in Member.objects.filter(pk__in=[member_a.pk, member_b.pk]).select_related("store"):
        assert MeSerializer().to_representation(member) == generic(member)
    assert generic(Member.objects.get(pk=member_b.pk))["birthday"] is None
