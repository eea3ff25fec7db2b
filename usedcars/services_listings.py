"""Listings of used cars: create and edit (with the price history and the price-drop
badge), and the state machine

    draft ──publish──▶ published ──reserve──▶ reserved ──sell──▶ sold
      ▲                   │  ▲                   │
      └──── withdrawn ◀───┘  └──reserve_cancel───┘   (draft/published/reserved ──withdraw──▶ withdrawn;
                                                      withdrawn ──publish──▶ published)

Every transition locks the listing's row, reads its state afresh and writes with a
compare-and-set on it (``_move``): of two staff reserving the same car at once one wins
and the other gets a 409 ``listing_state``; the car's stock status follows, in the same
transaction, from the state the listing really left (not one read before the lock).  Publishing is refused unless the listing is
complete, and the refusal names every missing item at once (``ListingIncomplete``
with ``fields["missing"]``).  Every change writes an audit row."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.audit import audit_record
from accounts.models import User
from accounts.validators import clean_vin, normalize_mobile, validate_mobile
from usedcars import exceptions as errors
from usedcars.exceptions import ListingIncomplete, ListingStateConflict
from usedcars.models import (
    ConditionReport, Listing, ListingPhoto, ListingState, PhotoStatus, PriceChange, StockStatus, UsedCar,
)
from usedcars.services import invalid, manage_check, money, usedcar_mark

MIN_READY_PHOTOS = 6
MAX_HIGHLIGHTS = 10
MAX_HIGHLIGHT_CHARS = 30
NOT_SET = object()


def _price(value) -> Decimal | None:
    if value is None or value == "":
        return None
    price = money(value, field="price", allow_zero=False)
    return price


def _highlights(value) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise invalid("highlights", errors.HIGHLIGHTS_INVALID)
    items = [str(v).strip() for v in value if str(v).strip()]
    if len(items) > MAX_HIGHLIGHTS or any(len(v) > MAX_HIGHLIGHT_CHARS for v in items):
        raise invalid("highlights", errors.HIGHLIGHTS_INVALID)
    return items


def _mobile(value) -> str:
    if not value or not str(value).strip():
        return ""
    try:
        mobile = normalize_mobile(str(value))
        validate_mobile(mobile)
    except ValidationError as exc:
        raise invalid("buyer_mobile", exc.messages[0]) from exc
    return mobile


def _search_columns(car: UsedCar) -> dict:
    return {"store": car.store, "brand": car.brand, "series": car.series, "mileage": car.mileage,
            "first_registration": car.first_registration}


@transaction.atomic
def listing_create(*, actor: User, car: UsedCar, title: str, description: str = "", price=None,
                   highlights=None, featured: bool = False) -> Listing:
    """The car's listing, as a draft (one per car)."""
    manage_check(actor, car.store)
    if Listing.objects.filter(car=car).exists():
        raise invalid("car", errors.LISTING_EXISTS)
    title = (title or "").strip()[:100]
    if not title:
        raise invalid("title", errors.LISTING_NEEDS_TITLE)
    price = _price(price)
    listing = Listing.objects.create(
        car=car, title=title, description=(description or "").strip(), price=price,
        highlights=_highlights(highlights), featured=bool(featured), **_search_columns(car),
    )
    if price is not None:
        PriceChange.objects.create(listing=listing, old_price=None, new_price=price,
                                   actor=actor if getattr(actor, "pk", None) else None)
    audit_record(actor=actor, action="usedcars.listing.created", obj=listing, store=car.store,
                 data={"title": title, "price": str(price) if price is not None else None})
    return listing


@transaction.atomic
def listing_update(*, actor: User, listing: Listing, title=NOT_SET, description=NOT_SET, price=NOT_SET,
                   highlights=NOT_SET, featured=NOT_SET) -> Listing:
    """Change what is given.  A new price is recorded in the price history; a lower
    one than before shows the price-drop badge (``Listing.price_dropped``)."""
    car = listing.car
    manage_check(actor, car.store)
    locked = Listing.objects.select_for_update(of=("self",)).get(pk=listing.pk)
    if locked.state == ListingState.SOLD:
        raise invalid("state", errors.LISTING_CLOSED)
    changes: dict = {}
    if title is not NOT_SET:
        title = (title or "").strip()[:100]
        if not title:
            raise invalid("title", errors.LISTING_NEEDS_TITLE)
        changes["title"] = title
    if description is not NOT_SET:
        changes["description"] = (description or "").strip()
    if highlights is not NOT_SET:
        changes["highlights"] = _highlights(highlights)
    if featured is not NOT_SET:
        changes["featured"] = bool(featured)
    old_price = locked.price
    if price is not NOT_SET:
        new_price = _price(price)
        if new_price is None and locked.state != ListingState.DRAFT:
            raise invalid("price", errors.PRICE_INVALID)
        if new_price != old_price:
            changes["price"] = new_price
            changes["previous_price"] = old_price
            if new_price is not None:
                PriceChange.objects.create(listing=locked, old_price=old_price, new_price=new_price,
                                           actor=actor if getattr(actor, "pk", None) else None)
    if changes:
        for key, value in changes.items():
            setattr(locked, key, value)
        locked.save(update_fields=[*changes, "updated_at"])
        data = {"fields": sorted(k for k in changes if k != "previous_price")}
        if "price" in changes:
            data.update({"old_price": str(old_price) if old_price is not None else None,
                         "new_price": str(changes["price"]) if changes["price"] is not None else None})
        audit_record(actor=actor, action="usedcars.listing.changed", obj=locked, store=car.store, data=data)
    return locked


@transaction.atomic
def listing_set_featured(*, actor: User, listing: Listing, featured: bool) -> Listing:
    """Mark the listing featured (精选: shown first on the mini-site, with a badge) or
    not.  Managers of its store (and HQ); a sold listing stays as it is.  Audited
    (``usedcars.listing.featured`` / ``usedcars.listing.unfeatured``) only when it changes."""
    car = listing.car
    manage_check(actor, car.store)
    locked = Listing.objects.select_for_update(of=("self",)).get(pk=listing.pk)
    if locked.state == ListingState.SOLD:
        raise invalid("state", errors.LISTING_CLOSED)
    featured = bool(featured)
    if locked.featured != featured:
        locked.featured = featured
        locked.save(update_fields=["featured", "updated_at"])
        audit_record(actor=actor, action="usedcars.listing.featured" if featured else "usedcars.listing.unfeatured",
                     obj=locked, store=car.store, data={"title": locked.title})
    return locked


# --- publishing ----------------------------------------------------------------------------------


def listing_missing(listing: Listing) -> list[tuple[str, str]]:
    """What the listing still lacks to be published: ``[(code, label), …]`` in a fixed
    order (VIN, price, photos, condition report, car in stock); empty when complete."""
    car = listing.car
    missing: list[tuple[str, str]] = []
    try:
        vin_ok = bool(car.vin) and clean_vin(car.vin) == car.vin
    except ValidationError:
        vin_ok = False
    if not vin_ok:
        missing.append(("vin", str(errors.MISSING_VIN)))
    if listing.price is None or listing.price <= 0:
        missing.append(("price", str(errors.MISSING_PRICE)))
    ready = ListingPhoto.objects.filter(car=car, status=PhotoStatus.READY).count()
    if ready < MIN_READY_PHOTOS:
        missing.append(("photos", str(errors.MISSING_PHOTOS % {"min": MIN_READY_PHOTOS, "ready": ready})))
    if not ConditionReport.objects.filter(car=car).exists():
        missing.append(("condition_report", str(errors.MISSING_CONDITION)))
    if UsedCar.objects.filter(pk=car.pk).values_list("status", flat=True).first() != StockStatus.IN_STOCK:
        missing.append(("in_stock", str(errors.MISSING_IN_STOCK)))
    return missing


def _conflict(listing: Listing, verb) -> ListingStateConflict:
    state = Listing.objects.filter(pk=listing.pk).values_list("state", flat=True).first() or listing.state
    return ListingStateConflict(errors.STATE_CONFLICT % {"state": ListingState(state).label, "verb": verb},
                                fields={"state": [state]})


def _move(listing: Listing, *, from_states, verb, **values) -> tuple[Listing, str]:
    """The one way a listing changes state: lock its row (PostgreSQL; SQLite's
    IMMEDIATE transaction already holds the write lock), read the state afresh, refuse
    unless it is one of ``from_states`` (409), then write.  Returns the listing and the
    state it came from, so the caller keeps the car's status in step with what really
    happened, not with what it read before the lock."""
    locked = Listing.objects.select_for_update(of=("self",)).filter(pk=listing.pk).first()
    if locked is None or locked.state not in from_states:
        raise _conflict(listing, verb)
    was = locked.state
    if not Listing.objects.filter(pk=listing.pk, state=was).update(updated_at=timezone.now(), **values):
        raise _conflict(listing, verb)  # defensive: the row is locked, nothing can move it meanwhile
    listing.refresh_from_db()
    return listing, was


@transaction.atomic
def listing_publish(*, actor: User, listing: Listing) -> Listing:
    """Publish a complete draft (or a withdrawn listing again).  An incomplete one is
    refused with every missing item named (``ListingIncomplete``)."""
    manage_check(actor, listing.car.store)
    if listing.state not in (ListingState.DRAFT, ListingState.WITHDRAWN):
        raise _conflict(listing, errors.VERB_PUBLISH)
    missing = listing_missing(listing)
    if missing:
        raise ListingIncomplete(
            errors.LISTING_INCOMPLETE % {"items": "、".join(label for _, label in missing)},
            fields={"missing": [code for code, _ in missing]},
        )
    car = listing.car
    listing, _was = _move(listing, from_states=(ListingState.DRAFT, ListingState.WITHDRAWN), verb=errors.VERB_PUBLISH,
                    state=ListingState.PUBLISHED, published_at=timezone.now(), withdrawn_at=None,
                    **_search_columns(car))
    audit_record(actor=actor, action="usedcars.listing.published", obj=listing, store=car.store,
                 data={"price": str(listing.price)})
    return listing


@transaction.atomic
def listing_reserve(*, actor: User, listing: Listing, deposit, buyer_name: str = "", buyer_mobile: str = "") -> Listing:
    """A buyer paid a deposit (订金): published → reserved, the car reserved."""
    car = listing.car
    manage_check(actor, car.store)
    amount = money(deposit, field="deposit", allow_zero=False)
    if listing.price is not None and amount > listing.price:
        raise invalid("deposit", errors.DEPOSIT_INVALID)
    mobile = _mobile(buyer_mobile)
    listing, _was = _move(listing, from_states=(ListingState.PUBLISHED,), verb=errors.VERB_RESERVE,
                    state=ListingState.RESERVED, reserved_at=timezone.now(), deposit=amount,
                    buyer_name=(buyer_name or "").strip()[:64], buyer_mobile=mobile)
    usedcar_mark(car=car, status=StockStatus.RESERVED)
    audit_record(actor=actor, action="usedcars.listing.reserved", obj=listing, store=car.store,
                 data={"deposit": str(amount)})
    return listing


@transaction.atomic
def listing_reserve_cancel(*, actor: User, listing: Listing) -> Listing:
    """The buyer stepped back: reserved → published, the car in stock again."""
    car = listing.car
    manage_check(actor, car.store)
    listing, _was = _move(listing, from_states=(ListingState.RESERVED,), verb=errors.VERB_UNRESERVE,
                    state=ListingState.PUBLISHED, reserved_at=None, deposit=None, buyer_name="", buyer_mobile="")
    usedcar_mark(car=car, status=StockStatus.IN_STOCK)
    audit_record(actor=actor, action="usedcars.listing.reserve_cancelled", obj=listing, store=car.store)
    return listing


@transaction.atomic
def listing_sell(*, actor: User, listing: Listing, sale_price=None) -> Listing:
    """Sold (published or reserved → sold); ``sale_price`` defaults to the price."""
    car = listing.car
    manage_check(actor, car.store)
    amount = money(sale_price, field="sale_price", allow_zero=False) if sale_price not in (None, "") else listing.price
    now = timezone.now()
    listing, _was = _move(listing, from_states=(ListingState.PUBLISHED, ListingState.RESERVED), verb=errors.VERB_SELL,
                    state=ListingState.SOLD, sold_at=now, sale_price=amount)
    usedcar_mark(car=car, status=StockStatus.SOLD, sold_at=now)
    audit_record(actor=actor, action="usedcars.listing.sold", obj=listing, store=car.store,
                 data={"sale_price": str(amount) if amount is not None else None})
    return listing


@transaction.atomic
def listing_withdraw(*, actor: User, listing: Listing, reason: str = "") -> Listing:
    """Take the listing off the market (draft, published or reserved → withdrawn); a
    reservation is released (the car is in stock again)."""
    car = listing.car
    manage_check(actor, car.store)
    listing, was = _move(listing, from_states=(ListingState.DRAFT, ListingState.PUBLISHED, ListingState.RESERVED),
                         verb=errors.VERB_WITHDRAW, state=ListingState.WITHDRAWN, withdrawn_at=timezone.now(),
                         reserved_at=None, deposit=None, buyer_name="", buyer_mobile="")
    if was == ListingState.RESERVED:
        usedcar_mark(car=car, status=StockStatus.IN_STOCK)
    audit_record(actor=actor, action="usedcars.listing.withdrawn", obj=listing, store=car.store,
                 data={"from": was, "reason": (reason or "").strip()[:200]})
    return listing
