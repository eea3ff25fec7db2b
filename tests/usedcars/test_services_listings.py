"""Listings: publish rules (every missing item named), transitions, price history and badge."""

from __future__ import annotations

from decimal import Decimal

import pytest

from accounts.models import AuditLog
from accounts.labels import audit_action_label
from usedcars import exceptions as errors
from usedcars.exceptions import ListingIncomplete, ListingStateConflict, UsedcarsError, UsedcarsForbidden
from usedcars.models import ListingPhoto, ListingState, PhotoStatus, PriceChange, StockStatus, UsedCar
from usedcars.services import condition_report_save
from usedcars.services_listings import (
    listing_create, listing_publish, listing_reserve, listing_reserve_cancel, listing_sell, listing_update,
    listing_withdraw,
)
from tests.usedcars.helpers import add_ready_photos, complete_listing


def test_publish_of_an_empty_draft_names_every_missing_item(car_a, usedcar_a):
    listing = listing_create(actor=usedcar_a, car=car_a, title="朗逸")
    add_ready_photos(usedcar_a, car_a, 2)

    with pytest.raises(ListingIncomplete) as exc_info:
        listing_publish(actor=usedcar_a, listing=listing)

    assert exc_info.value.fields["missing"] == ["price", "photos", "condition_report"]
    message = str(exc_info.value.message)
    for part in (errors.MISSING_PRICE, errors.MISSING_CONDITION):
        assert str(part) in message
    assert "至少 6 张已处理的照片（现有 2 张）" in message
    listing.refresh_from_db()
    assert listing.state == ListingState.DRAFT


@pytest.mark.parametrize("lacking", ["vin", "price", "photos", "condition_report"])
def test_publish_names_the_one_missing_item(car_a, usedcar_a, lacking):
    listing = complete_listing(usedcar_a, car_a)
    if lacking == "vin":
        UsedCar.objects.filter(pk=car_a.pk).update(vin="")
    elif lacking == "price":
        listing.__class__.objects.filter(pk=listing.pk).update(price=None)
    elif lacking == "photos":  # a failed and a still-processing photo do not count
        photos = list(ListingPhoto.objects.filter(car=car_a))
        ListingPhoto.objects.filter(pk=photos[0].pk).update(status=PhotoStatus.FAILED)
        ListingPhoto.objects.filter(pk=photos[1].pk).update(status=PhotoStatus.PROCESSING)
    else:
        car_a.condition.delete()
    listing.refresh_from_db()
    listing.car.refresh_from_db()

    with pytest.raises(ListingIncomplete) as exc_info:
        listing_publish(actor=usedcar_a, listing=listing)
    assert exc_info.value.fields["missing"] == [lacking]


def test_complete_listing_publishes_then_reserves_and_sells(car_a, usedcar_a):
    listing = complete_listing(usedcar_a, car_a)

    listing = listing_publish(actor=usedcar_a, listing=listing)
    assert listing.state == ListingState.PUBLISHED and listing.published_at is not None

    listing = listing_reserve(actor=usedcar_a, listing=listing, deposit="5000", buyer_name="陈先生",
                              buyer_mobile="139 1234 5678")
    car_a.refresh_from_db()
    assert (listing.state, listing.deposit, listing.buyer_mobile) == (ListingState.RESERVED, Decimal("5000.00"),
                                                                      "13912345678")
    assert car_a.status == StockStatus.RESERVED

    listing = listing_sell(actor=usedcar_a, listing=listing)
    car_a.refresh_from_db()
    assert listing.state == ListingState.SOLD and listing.sale_price == Decimal("99800.00")
    assert car_a.status == StockStatus.SOLD and car_a.sold_at is not None
    actions = list(AuditLog.objects.filter(action__startswith="usedcars.listing.").values_list("action", flat=True))
    assert {"usedcars.listing.published", "usedcars.listing.reserved", "usedcars.listing.sold"} <= set(actions)
    assert all(audit_action_label(a) for a in actions)


@pytest.mark.parametrize(
    ("start", "move"),
    [
        ("draft", "reserve"), ("draft", "sell"), ("reserved", "publish"), ("reserved", "reserve"),
        ("sold", "withdraw"), ("sold", "publish"), ("withdrawn", "sell"), ("withdrawn", "reserve"),
    ],
)
def test_transitions_from_the_wrong_state_are_refused_with_409(car_a, usedcar_a, start, move):
    listing = complete_listing(usedcar_a, car_a)
    listing.__class__.objects.filter(pk=listing.pk).update(state=start)
    listing.refresh_from_db()
    calls = {
        "publish": lambda: listing_publish(actor=usedcar_a, listing=listing),
        "reserve": lambda: listing_reserve(actor=usedcar_a, listing=listing, deposit="1000"),
        "sell": lambda: listing_sell(actor=usedcar_a, listing=listing),
        "withdraw": lambda: listing_withdraw(actor=usedcar_a, listing=listing),
    }
    with pytest.raises(ListingStateConflict) as exc_info:
        calls[move]()
    assert exc_info.value.status_code == 409 and exc_info.value.fields == {"state": [start]}
    listing.refresh_from_db()
    assert listing.state == start


def test_withdraw_releases_a_reservation_and_a_withdrawn_listing_can_be_published_again(car_a, usedcar_a):
    listing = listing_publish(actor=usedcar_a, listing=complete_listing(usedcar_a, car_a))
    listing = listing_reserve(actor=usedcar_a, listing=listing, deposit="2000")

    listing = listing_withdraw(actor=usedcar_a, listing=listing, reason="车主反悔")
    car_a.refresh_from_db()
    assert listing.state == ListingState.WITHDRAWN and listing.deposit is None
    assert car_a.status == StockStatus.IN_STOCK

    assert listing_publish(actor=usedcar_a, listing=listing).state == ListingState.PUBLISHED


def test_reserve_cancel_puts_it_back_on_sale(car_a, usedcar_a):
    listing = listing_publish(actor=usedcar_a, listing=complete_listing(usedcar_a, car_a))
    listing = listing_reserve(actor=usedcar_a, listing=listing, deposit="2000")
    listing = listing_reserve_cancel(actor=usedcar_a, listing=listing)
    car_a.refresh_from_db()
    assert listing.state == ListingState.PUBLISHED and car_a.status == StockStatus.IN_STOCK


def test_deposit_must_be_positive_and_not_above_the_price(car_a, usedcar_a):
    listing = listing_publish(actor=usedcar_a, listing=complete_listing(usedcar_a, car_a, price="50000"))
    for deposit in ("0", "-5", "50000.01", "abc"):
        with pytest.raises(UsedcarsError):
            listing_reserve(actor=usedcar_a, listing=listing, deposit=deposit)
    listing.refresh_from_db()
    assert listing.state == ListingState.PUBLISHED


def test_price_history_and_the_price_drop_badge(car_a, usedcar_a, hq):
    listing = listing_create(actor=usedcar_a, car=car_a, title="朗逸", price="100000")
    assert not listing.price_dropped

    listing = listing_update(actor=usedcar_a, listing=listing, price="95000")
    assert listing.price_dropped and listing.previous_price == Decimal("100000.00")

    listing = listing_update(actor=hq, listing=listing, price="97000")
    assert not listing.price_dropped

    listing = listing_update(actor=usedcar_a, listing=listing, price="97000", title="朗逸 精品")  # same price
    history = list(PriceChange.objects.filter(listing=listing).order_by("id").values_list("old_price", "new_price"))
    assert history == [(None, Decimal("100000.00")), (Decimal("100000.00"), Decimal("95000.00")),
                       (Decimal("95000.00"), Decimal("97000.00"))]
    change = AuditLog.objects.filter(action="usedcars.listing.changed").order_by("id")[1]
    assert change.data["old_price"] == "95000.00" and change.data["new_price"] == "97000.00"


def test_a_sold_listing_cannot_be_edited_and_a_published_one_needs_a_price(car_a, usedcar_a):
    listing = listing_publish(actor=usedcar_a, listing=complete_listing(usedcar_a, car_a))
    with pytest.raises(UsedcarsError):
        listing_update(actor=usedcar_a, listing=listing, price=None)
    listing = listing_sell(actor=usedcar_a, listing=listing)
    with pytest.raises(UsedcarsError) as exc_info:
        listing_update(actor=usedcar_a, listing=listing, title="改名")
    assert exc_info.value.fields == {"state": [str(errors.LISTING_CLOSED)]}


def test_one_listing_per_car_and_consultants_cannot_edit(car_a, usedcar_a, consultant_a):
    listing_create(actor=usedcar_a, car=car_a, title="朗逸")
    with pytest.raises(UsedcarsError):
        listing_create(actor=usedcar_a, car=car_a, title="朗逸 2")
    with pytest.raises(UsedcarsForbidden):
        listing_update(actor=consultant_a, listing=car_a.listing, title="x")


def test_publish_copies_the_search_columns(car_a, usedcar_a):
    listing = complete_listing(usedcar_a, car_a)
    UsedCar.objects.filter(pk=car_a.pk).update(mileage=43_500)
    listing.car.refresh_from_db()
    listing = listing_publish(actor=usedcar_a, listing=listing)
    assert (listing.mileage, listing.store_id, listing.brand_id) == (43_500, car_a.store_id, car_a.brand_id)


def test_condition_report_grade_is_required(car_a, usedcar_a):
    with pytest.raises(UsedcarsError):
        condition_report_save(actor=usedcar_a, car=car_a, grade="E")


def test_a_transition_follows_the_state_in_the_database_not_a_stale_copy(car_a, usedcar_a, hq):
    """Withdrawing with a copy read while the listing was published, after someone
    else reserved it, still releases the reservation (the car is in stock again)."""
    listing = listing_publish(actor=usedcar_a, listing=complete_listing(usedcar_a, car_a))
    stale = listing.__class__.objects.select_related("car__store").get(pk=listing.pk)
    listing_reserve(actor=hq, listing=listing.__class__.objects.get(pk=listing.pk), deposit="1000")

    withdrawn = listing_withdraw(actor=usedcar_a, listing=stale)

    car_a.refresh_from_db()
    assert withdrawn.state == ListingState.WITHDRAWN and car_a.status == StockStatus.IN_STOCK
    assert AuditLog.objects.get(action="usedcars.listing.withdrawn").data["from"] == ListingState.RESERVED
