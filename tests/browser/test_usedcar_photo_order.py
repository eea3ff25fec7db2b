"""A used-car manager drags the third photo of a car before the first on its portal
page (native HTML5 drag and drop, static/js/photo_order.js): the new order is saved
without a page load and is still there after a reload; the chosen cover stays."""

import pytest
from playwright.sync_api import expect

from accounts.models import Role
from usedcars.models import ListingPhoto
from tests.usedcars.helpers import add_ready_photos, make_car

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _order(car):
    return list(ListingPhoto.objects.filter(car=car).order_by("position", "id").values_list("pk", flat=True))


def test_manager_reorders_photos_by_drag_and_drop(page, sign_in, make_staff, store_a, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    manager = make_staff(Role.USEDCAR, store_a, username="s01_usedcar")
    car = make_car(manager, store_a)
    a, b, c = (p.pk for p in add_ready_photos(manager, car, 3))

    sign_in(page, manager.username)
    page.goto(f"/portal/usedcars/{car.pk}/")
    photos = page.get_by_test_id("usedcar-photo-list")
    expect(photos.locator("[data-photo-id]")).to_have_count(3)

    page.drag_and_drop(f'[data-photo-id="{c}"]', f'[data-photo-id="{a}"]', target_position={"x": 5, "y": 5})

    expect(page.get_by_test_id("usedcar-photo-order-status")).to_have_text("已保存照片顺序。")
    assert _order(car) == [c, a, b]
    assert ListingPhoto.objects.get(pk=a).is_cover  # the cover is kept

    page.reload()
    ids = photos.locator("[data-photo-id]").evaluate_all("els => els.map(e => Number(e.dataset.photoId))")
    assert ids == [c, a, b]
