"""Portal stock pages: the list with aging badges, margin, VIN/plate search and
filters, scoped to the caller's stores; the CSV export is scoped and audited; a car's
page runs the listing's transitions and shows the service's refusal."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditLog
from usedcars.models import Listing, ListingState, UsedCar
from usedcars.services_listings import listing_create
from tests.usedcars.helpers import make_car

LIST = reverse("portal:usedcars:stock-list")
EXPORT = reverse("portal:usedcars:stock-export")


def test_stock_list_shows_aging_margin_and_finds_a_plate(client, usedcar_a, store_a):
    old = make_car(usedcar_a, store_a, plate="粤A11111", purchase_cost="80000")
    UsedCar.objects.filter(pk=old.pk).update(stocked_at=timezone.now() - dt.timedelta(days=65))
    listing_create(actor=usedcar_a, car=old, title="老车", price="90000")
    fresh = make_car(usedcar_a, store_a, plate="粤A22222")
    client.force_login(usedcar_a)

    page = client.get(LIST).content.decode()
    found = client.get(LIST, {"q": "22222"}).content.decode()

    assert old.vin in page and fresh.vin in page
    assert "超 60 天" in page and "¥10000.00" in page  # margin: 90000 − 80000
    assert fresh.vin in found and old.vin not in found
    nul = client.get(LIST, {"q": "22\x00222"})  # no plate holds a NUL (PostgreSQL would refuse the query)
    assert nul.status_code == 200 and fresh.vin not in nul.content.decode()


def test_another_stores_staff_see_neither_the_car_nor_its_page(client, usedcar_a, store_a, consultant_b):
    car = make_car(usedcar_a, store_a)
    client.force_login(consultant_b)

    assert car.vin not in client.get(LIST).content.decode()
    assert client.get(reverse("portal:usedcars:car-detail", kwargs={"pk": car.pk})).status_code == 404


def test_export_is_scoped_and_audited(client, usedcar_a, hq, store_a, store_b):
    mine = make_car(usedcar_a, store_a)
    theirs = make_car(hq, store_b)
    client.force_login(usedcar_a)

    response = client.get(EXPORT)
    body = b"".join(response.streaming_content).decode("utf-8-sig", "replace")

    assert response.status_code == 200
    assert mine.vin in body and theirs.vin not in body
    entry = AuditLog.objects.get(action="usedcars.stock.exported")
    assert entry.actor == usedcar_a and entry.data["rows"] == 1


def test_publish_refusal_is_shown_and_withdraw_works(client, usedcar_a, store_a):
    car = make_car(usedcar_a, store_a)
    listing = listing_create(actor=usedcar_a, car=car, title="2021款 朗逸", price="98000")
    url = reverse("portal:usedcars:car-detail", kwargs={"pk": car.pk})
    client.force_login(usedcar_a)

    refused = client.post(url, {"action": "publish"}, follow=True).content.decode()
    assert "还不能发布" in refused and "车况报告" in refused
    assert Listing.objects.get(pk=listing.pk).state == ListingState.DRAFT

    client.post(url, {"action": "withdraw"})
    assert Listing.objects.get(pk=listing.pk).state == ListingState.WITHDRAWN


def test_listing_is_created_and_photos_uploaded_ordered_and_covered(client, usedcar_a, store_a, settings):
    from tests.usedcars.helpers import jpeg_upload
    from usedcars.models import ListingPhoto, PhotoStatus

    car = make_car(usedcar_a, store_a)
    client.force_login(usedcar_a)

    client.post(reverse("portal:usedcars:car-listing", kwargs={"pk": car.pk}), {"title": "朗逸 白色", "price": "95000"})
    client.post(reverse("portal:usedcars:car-photos", kwargs={"pk": car.pk}),
                {"images": [jpeg_upload("a.jpg"), jpeg_upload("b.jpg", colour=(200, 10, 10))]})
    page = client.get(reverse("portal:usedcars:car-detail", kwargs={"pk": car.pk})).content.decode()

    listing = Listing.objects.get(car=car)
    assert (listing.title, str(listing.price)) == ("朗逸 白色", "95000.00")
    first, second = ListingPhoto.objects.filter(car=car).order_by("position", "id")
    assert "朗逸 白色" in page and first.status in (PhotoStatus.PROCESSING, PhotoStatus.READY)
    assert first.is_cover
    client.post(reverse("portal:usedcars:car-photos", kwargs={"pk": car.pk}), {"photo": second.pk, "action": "up"})
    assert list(ListingPhoto.objects.filter(car=car).order_by("position", "id").values_list("pk", flat=True)) == [
        second.pk, first.pk]
    bad = client.post(reverse("portal:usedcars:car-listing", kwargs={"pk": car.pk}), {"title": "", "price": "-1"},
                      follow=True).content.decode()
    assert "请填写标题" in bad or "售价应大于 0" in bad or "请填写有效的金额" in bad
