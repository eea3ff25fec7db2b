"""Every membership model is in the admin; the ledger is read-only there."""

import pytest
from django.contrib import admin
from django.urls import reverse

from accounts.models import AuditLog
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


def test_hq_changes_money_limits_in_the_list_with_an_audit_row(client, admin_user):
    """The list edits ceilings in place; each change is audited with its old value."""
    limits = list(models.TransactionLimit.objects.order_by("kind"))
    data = {"form-TOTAL_FORMS": str(len(limits)), "form-INITIAL_FORMS": str(len(limits)), "_save": "保存"}
    for n, limit in enumerate(limits):
        data.update({f"form-{n}-id": str(limit.pk), f"form-{n}-ceiling": str(limit.ceiling),
                     f"form-{n}-review_threshold": "" if limit.review_threshold is None else str(limit.review_threshold)})
    service = next(n for n, limit in enumerate(limits) if limit.kind == "service")
    data[f"form-{service}-ceiling"] = "300000.00"
    client.force_login(admin_user)
    response = client.post(reverse("admin:membership_transactionlimit_changelist"), data)
    assert response.status_code == 302
    assert models.TransactionLimit.objects.get(kind="service").ceiling == 300000
    row = AuditLog.objects.get(action="membership.transaction_limit.changed")  # the unchanged rows write nothing
    assert row.actor == admin_user
    assert row.data == {"kind": "service", "before": {"ceiling": "500000.00", "review_threshold": "50000.00"},
                        "after": {"ceiling": "300000.00", "review_threshold": "50000.00"}}
    # A row is changed, never deleted back to the defaults unseen.
    assert client.get(reverse("admin:membership_transactionlimit_delete", args=[limits[0].pk])).status_code == 403
