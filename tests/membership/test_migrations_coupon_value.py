"""Migration 0006 on templates written before it: a percentage coupon or one
without a face value counted as 0 yuan under the approval rule; each gets the
store employee's threshold as its approval value (store employees need a
manager to issue it), cash coupons keep their face value."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("membership", "0005_chinese_verbose_names")]
AFTER = [("membership", "0006_coupon_approval_value")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def test_existing_percentage_and_zero_value_templates_need_a_manager():
    old = migrate(BEFORE)
    Settings = old.get_model("membership", "MembershipSettings")
    Template = old.get_model("membership", "CouponTemplate")
    Settings.objects.update_or_create(pk=1, defaults={"staff_coupon_limit": Decimal("800")})
    discount = Template.objects.create(name="五折", kind="discount", discount_percent=50, valid_days=3).pk
    cake = Template.objects.create(name="蛋糕", kind="birthday_cake", value=0, valid_days=3).pk
    cash = Template.objects.create(name="代金", kind="cash_off", value=Decimal("50"), valid_days=3).pk
    try:
        new = migrate(AFTER)
        Template = new.get_model("membership", "CouponTemplate")
        values = dict(Template.objects.values_list("pk", "approval_value"))
        assert values == {discount: Decimal("800"), cake: Decimal("800"), cash: None}
    finally:
        migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
