"""Writes of flash sales: a one-off sale (one ``FlashSale`` occurrence with
its items) and a weekly sale materialised as its next occurrences, each with
its own sale stock.  HQ may sell any SKU, a store manager (or a store's
integration) their store's own products (``mall.services.manage_check``).
Orders of flash-sale items: ``mall.services_orders.order_create``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from accounts.audit import audit_record
from accounts.models import User
from mall import exceptions as errors
from mall.exceptions import MallError
from mall.models import FlashSale, FlashSaleItem, Sku
from mall.services import manage_check

MAX_ITEMS = 50


def _invalid(field: str, message) -> MallError:
    return MallError(message, code="invalid", fields={field: [str(message)]})


def _item_values(n: int, data: Mapping[str, Any]) -> dict[str, Any]:
    sku = data.get("sku")
    if not isinstance(sku, Sku):
        sku = Sku.objects.select_related("product__store").filter(pk=sku, is_active=True).first() if isinstance(
            sku, int) and not isinstance(sku, bool) else None
    if sku is None:
        raise _invalid(f"items.{n}.sku", errors.NOT_SOLD_HERE)
    cash, points = data.get("sale_price_cash"), data.get("sale_price_points")
    if cash is None and points is None:
        raise _invalid(f"items.{n}", errors.SKU_NEEDS_PRICE)
    if (cash is not None and Decimal(cash) <= 0) or (points is not None and int(points) <= 0):
        raise _invalid(f"items.{n}", errors.SKU_VALUE_INVALID)
    stock, limit = data.get("sale_stock"), data.get("limit_per_member", 1)
    if not isinstance(stock, int) or stock < 0 or not isinstance(limit, int) or limit < 1:
        raise _invalid(f"items.{n}", errors.SKU_VALUE_INVALID)
    return {"sku": sku, "sale_price_cash": Decimal(cash) if cash is not None else None,
            "sale_price_points": int(points) if points is not None else None, "sale_stock": stock,
            "limit_per_member": limit}


def _items_checked(actor: User, items: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    values = [_item_values(n, item) for n, item in enumerate(items or ())]
    if not values or len(values) > MAX_ITEMS:
        raise _invalid("items", errors.SKU_NEEDS_ONE)
    if len({v["sku"].pk for v in values}) != len(values):
        raise _invalid("items", errors.FLASH_SKU_TWICE)
    for value in values:
        manage_check(actor, value["sku"].product.store)
    return values


def _occurrence(*, actor: User, name: str, starts_at: dt.datetime, ends_at: dt.datetime, series: str,
                values: list[dict[str, Any]]) -> FlashSale:
    sale = FlashSale.objects.create(name=name[:64], starts_at=starts_at, ends_at=ends_at, series=series)
    FlashSaleItem.objects.bulk_create([FlashSaleItem(sale=sale, **value) for value in values])
    audit_record(actor=actor, action="mall.flash_sale.created", obj=sale, store=None, data={
        "name": sale.name, "starts_at": starts_at.isoformat(), "ends_at": ends_at.isoformat(),
        "items": len(values), "stock": sum(v["sale_stock"] for v in values),
    })
    return sale


def flash_sale_create(*, actor: User, name: str, starts_at: dt.datetime, ends_at: dt.datetime,
                      items: Iterable[Mapping[str, Any]]) -> FlashSale:
    """One sale (``items``: ``[{"sku", "sale_price_cash", "sale_price_points",
    "sale_stock", "limit_per_member"}]``)."""
    name = (name or "").strip()
    if not name:
        raise _invalid("name", errors.PRODUCT_NEEDS_NAME)
    if ends_at <= starts_at:
        raise _invalid("ends_at", errors.FLASH_WINDOW)
    values = _items_checked(actor, items)
    with transaction.atomic():
        return _occurrence(actor=actor, name=name, starts_at=starts_at, ends_at=ends_at, series="", values=values)


def flash_sale_schedule_weekly(*, actor: User, name: str, series: str, weekday: int, start: dt.time, end: dt.time,
                               items: Iterable[Mapping[str, Any]], weeks: int = 4,
                               now: dt.datetime | None = None) -> list[FlashSale]:
    """The next ``weeks`` occurrences of a weekly sale (``weekday`` 0 = Monday,
    local time ``start``–``end``), each with the items' full sale stock.
    Idempotent per ``series``: an occurrence that exists is kept as it is.
    Returns the occurrences created."""
    if not 0 <= weekday <= 6 or end <= start or not (series or "").strip() or not 1 <= weeks <= 52:
        raise _invalid("weekday", errors.FLASH_WINDOW)
    values = _items_checked(actor, items)
    today = timezone.localdate(now or timezone.now())
    first = today + dt.timedelta(days=(weekday - today.weekday()) % 7)
    tz = timezone.get_current_timezone()
    created = []
    with transaction.atomic():
        for week in range(weeks):
            day = first + dt.timedelta(weeks=week)
            starts_at = dt.datetime.combine(day, start, tzinfo=tz)
            ends_at = dt.datetime.combine(day, end, tzinfo=tz)
            if ends_at <= (now or timezone.now()) or FlashSale.objects.filter(series=series, starts_at=starts_at).exists():
                continue
            created.append(_occurrence(actor=actor, name=name.strip() or series, starts_at=starts_at, ends_at=ends_at,
                                       series=series[:64], values=values))
    return created
