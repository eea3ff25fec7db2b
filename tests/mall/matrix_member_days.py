"""Permission-matrix rows for member days (format: tests/test_permission_matrix.py).

Objects: store A's own member day (``mall_member_day``) and a group member
day held at every store (``mall_group_member_day``).  The portal pages are
for store managers (their store's days) and HQ; consultants get 403; a
manager opens a group day but may not edit it (403).  The API lists the
upcoming days to anyone signed in."""

from __future__ import annotations

import datetime as dt

from tests.mall.matrix_mall import API_READ, MALL_PAGE, MALL_POST
from tests.matrix import ROLES

STORE_DAY = dt.date(2030, 3, 18)
GROUP_DAY = dt.date(2030, 4, 18)


def _member_day(fx, *, store, day):
    from decimal import Decimal

    from mall.models import MemberDay
    from mall.services_member_days import member_day_create

    existing = MemberDay.objects.filter(day=day, store=store).first()
    return existing or member_day_create(actor=fx("hq"), day=day, store=store, points_multiplier=Decimal("2"))


OBJECTS = {
    "mall_member_day": lambda fx: _member_day(fx, store=fx("store_a"), day=STORE_DAY),
    "mall_group_member_day": lambda fx: _member_day(fx, store=None, day=GROUP_DAY),
}

MEMBER_DAY_FORM = {"name": "会员日", "day": "2030-05-18", "points_multiplier": "2", "is_active": "on"}

# fmt: off
MATRIX = [
    ("portal:mall:member-day-list",                                       "GET",  MALL_PAGE),
    ("portal:mall:member-day-create",                                     "GET",  MALL_PAGE),
    ("portal:mall:member-day-create",                                     "POST", MALL_POST, MEMBER_DAY_FORM),
    (("portal:mall:member-day-edit", {"pk": "mall_member_day"}),          "GET",  MALL_PAGE),
    (("portal:mall:member-day-edit", {"pk": "mall_member_day"}),          "POST", MALL_POST,
     {**MEMBER_DAY_FORM, "day": "2030-03-18"}),
    # a group day: the store manager sees it listed but does not edit it
    (("portal:mall:member-day-edit", {"pk": "mall_group_member_day"}),    "GET",  {**MALL_PAGE, "manager_a": 403}),
    ("api:mall:member-day-list",                                          "GET",  API_READ),
]
# fmt: on

assert all(set(row[2]) == set(ROLES) for row in MATRIX)
