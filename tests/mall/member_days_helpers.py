"""Shared parts of the member-day tests: a date well ahead (so the services
accept it), the instants around its Asia/Shanghai midnights, and a group
member day with tier discounts on chosen products."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from mall.services_member_days import member_day_create

DAY = dt.date(2030, 1, 18)
UTC = dt.UTC
# 2030-01-18 00:00 in Shanghai is 2030-01-17 16:00 UTC; the day ends at 2030-01-18 16:00 UTC.
DAY_START = dt.datetime(2030, 1, 17, 16, 0, tzinfo=UTC)
DAY_END = dt.datetime(2030, 1, 18, 16, 0, tzinfo=UTC)
BEFORE = DAY_START - dt.timedelta(seconds=1)
LAST_SECOND = DAY_END - dt.timedelta(seconds=1)
ON_THE_DAY = DAY_START + dt.timedelta(hours=10)


def discount(tier, cash, points=None):
    return {"tier": tier, "cash_off_percent": Decimal(str(cash)),
            "points_off_percent": Decimal(str(points if points is not None else cash))}


def make_member_day(actor, *, day=DAY, store=None, products=(), categories=(), discounts=(), multiplier="2.00",
                    stores=(), name="会员日"):
    return member_day_create(actor=actor, day=day, store=store, name=name, stores=stores, products=products,
                             categories=categories, points_multiplier=Decimal(multiplier), discounts=discounts)
