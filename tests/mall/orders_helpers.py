"""Shared parts of the order tests: a member with a card and points, SKUs
priced in cash, points and both, and the local payment backend's callbacks
landing on the real webhook in-process."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db.models import Sum
from django.utils import timezone
from django_q import tasks as django_q_tasks

from mall.models import Sku
from mall.payments.local import LocalPaymentBackend
from mall.payments.services import payment_callback_receive
from mall.payments.tasks import payment_local_callback
from membership.models import MembershipCard, PointsEntry
from membership.services import points as points_services
from tests.mall.conftest import make_product
from tests.mall.payments_helpers import WEBHOOK, as_meta


def give_points(member, points: int, key: str = "seed") -> None:
    points_services.points_earn(member=member, points=points, reason="测试", idempotency_key=key,
                                expires_at=timezone.now() + dt.timedelta(days=365))


def balance(member) -> int:
    return MembershipCard.objects.get(member=member).points_balance


def assert_ledger_consistent(member) -> None:
    card = MembershipCard.objects.get(member=member)
    entries = PointsEntry.objects.filter(member=member)
    total = entries.aggregate(s=Sum("points"))["s"] or 0
    assert card.points_balance == total == (entries.aggregate(s=Sum("remaining"))["s"] or 0) >= 0
    assert points_services.points_balance_verify() == []


def stock(sku) -> int:
    return Sku.objects.get(pk=sku.pk).stock


@pytest.fixture
def card(member_a, tiers):
    return MembershipCard.objects.create(member=member_a, tier=tiers["normal"])


@pytest.fixture
def rich(card, member_a):
    """member_a with a card and 10,000 points."""
    give_points(member_a, 10_000)
    return member_a


@pytest.fixture
def mixed_sku(hq):
    """99 yuan + 2,000 points, 5 in stock, sold at every store."""
    product = make_product(hq, name="全包围脚垫", skus=[{"name": "黑色", "price_cash": Decimal("99"),
                                                         "price_points": 2000, "stock": 5}])
    return product.skus.get()


@pytest.fixture
def points_sku(hq):
    product = make_product(hq, name="车载香薰", skus=[{"name": "标准", "price_points": 1500, "stock": 3}])
    return product.skus.get()


@pytest.fixture
def cash_sku(hq):
    product = make_product(hq, name="行车记录仪", skus=[{"name": "标准", "price_cash": Decimal("399.50"), "stock": 2}])
    return product.skus.get()


@pytest.fixture
def webhook(client, monkeypatch, settings):
    """The local backend's callbacks (queued after prepay or refund) run at
    once and land on the real webhook through the test client."""
    settings.PAYMENT_LOCAL_CALLBACK_DELAY = 0
    posted = []

    def deliver(url, headers, body):
        response = client.post(WEBHOOK, body, content_type="application/json", **as_meta(headers))
        posted.append(response.json())
        return response.status_code, response.content

    monkeypatch.setattr("mall.payments.services.deliver", deliver)
    monkeypatch.setattr(django_q_tasks, "async_task", lambda func, *args, **kwargs: payment_local_callback(*args))
    return posted


def send_callback(number: str, amount_fen: int, outcome: str = "paid"):
    """One signed local callback applied through the webhook's service."""
    backend = LocalPaymentBackend()
    headers, body = backend.callback(out_trade_no=number, amount_fen=amount_fen, outcome=outcome)
    return payment_callback_receive(headers=headers, body=body, backend=backend)
