"""Every membership model is in the admin; the ledger is read-only there."""

import pytest
from django.contrib import admin
from django.urls import reverse

from membership import models

pytestmark = pytest.mark.django_db

REGISTERED = [models.Tier, models.CardPlan, models.MembershipCard, models.PointsEntry, models.EarningRule,
              models.MembershipSettings, models.CouponTemplate, models.Coupon, models.Transaction,
              models.MemberProfile, models.Tag, models.CareAction, models.DailyRun, models.TransactionLimit,
              models.ApprovalRequest]


@pytest.mark.parametrize("model", REGISTERED)
def test_membership_model_pages_open_for_admin(client, admin_user, model):
    assert admin.site.is_registered(model)
    client.force_login(admin_user)
    url = reverse(f"admin:membership_{model._meta.model_name}_changelist")
    assert client.get(url).status_code == 200


def test_points_ledger_cannot_be_edited_in_admin(client, admin_user, card_a):
    client.force_login(admin_user)
    assert client.get(reverse("admin:membership_pointsentry_add")).status_code == 403
