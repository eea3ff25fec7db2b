"""Drag-and-drop photo order: the service keeps an explicit cover, refuses a wrong set
of ids and is atomic; the portal endpoint (JSON, used by static/js/photo_order.js)
answers 400 with a field error for bad ids, 403 for a consultant, 404 for another
store's car; the up/down buttons still work without JavaScript."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import AuditLog
from usedcars.exceptions import UsedcarsError, UsedcarsForbidden
from usedcars.models import ListingPhoto
from usedcars.services_photos import photo_reorder, photo_set_cover
from tests.usedcars.helpers import add_ready_photos, make_car


def _order(car):
    return list(ListingPhoto.objects.filter(car=car).order_by("position", "id").values_list("pk", flat=True))


def _url(car):
    return reverse("portal:usedcars:car-photo-order", kwargs={"pk": car.pk})


def test_reorder_sets_positions_keeps_the_chosen_cover_and_is_audited(car_a, usedcar_a):
    a, b, c = (p.pk for p in add_ready_photos(usedcar_a, car_a, 3))
    photo_set_cover(actor=usedcar_a, photo=ListingPhoto.objects.get(pk=b))

    photo_reorder(actor=usedcar_a, car=car_a, photo_ids=[c, a, b])

    assert _order(car_a) == [c, a, b]
    assert list(ListingPhoto.objects.filter(car=car_a, is_cover=True).values_list("pk", flat=True)) == [b]
    assert AuditLog.objects.filter(action="usedcars.photo.reordered").last().data == {"photos": [c, a, b]}


@pytest.mark.parametrize("bad", ["missing", "duplicate", "foreign", "text"])
def test_reorder_refuses_a_wrong_set_of_ids_and_changes_nothing(car_a, usedcar_a, store_a, bad):
    a, b, c = (p.pk for p in add_ready_photos(usedcar_a, car_a, 3))
    other = add_ready_photos(usedcar_a, make_car(usedcar_a, store_a), 1)[0].pk
    ids = {"missing": [c, a], "duplicate": [c, a, b, a], "foreign": [c, a, other], "text": [c, a, "b"]}[bad]

    with pytest.raises(UsedcarsError) as refused:
        photo_reorder(actor=usedcar_a, car=car_a, photo_ids=ids)

    assert "photos" in refused.value.fields
    assert _order(car_a) == [a, b, c]


def test_a_consultant_cannot_reorder(car_a, usedcar_a, consultant_a):
    ids = [p.pk for p in add_ready_photos(usedcar_a, car_a, 2)]
    with pytest.raises(UsedcarsForbidden):
        photo_reorder(actor=consultant_a, car=car_a, photo_ids=ids[::-1])
    assert _order(car_a) == ids


def test_the_endpoint_saves_the_dropped_order(client, car_a, usedcar_a):
    a, b, c = (p.pk for p in add_ready_photos(usedcar_a, car_a, 3))
    client.force_login(usedcar_a)

    response = client.post(_url(car_a), {"photos": [b, c, a]})

    assert response.status_code == 200
    assert response.json() == {"photos": [b, c, a]}
    assert _order(car_a) == [b, c, a]


@pytest.mark.parametrize("posted", [["{a}"], ["{a}", "{a}", "{b}"], ["{a}", "{b}", "x\x00"], []])
def test_the_endpoint_answers_400_with_a_field_error_for_bad_ids(client, car_a, usedcar_a, posted):
    a, b = (p.pk for p in add_ready_photos(usedcar_a, car_a, 2))
    client.force_login(usedcar_a)

    response = client.post(_url(car_a), {"photos": [v.format(a=a, b=b) for v in posted]})

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid" and body["fields"]["photos"] and body["detail"]
    assert _order(car_a) == [a, b]


def test_the_endpoint_is_403_for_a_consultant_and_404_for_another_stores_car(client, car_a, usedcar_a,
                                                                             consultant_a, consultant_b, hq, store_b):
    ids = [p.pk for p in add_ready_photos(usedcar_a, car_a, 2)]
    client.force_login(consultant_a)
    assert client.post(_url(car_a), {"photos": ids[::-1]}).status_code == 403
    client.force_login(consultant_b)
    assert client.post(_url(car_a), {"photos": ids[::-1]}).status_code == 404
    # a manager of store A cannot reach store B's car either
    car_b = make_car(hq, store_b)
    photo_b = add_ready_photos(hq, car_b, 1)[0].pk
    client.force_login(usedcar_a)
    assert client.post(_url(car_b), {"photos": [photo_b]}).status_code == 404
    assert _order(car_a) == ids


def test_the_car_page_wires_the_drag_and_drop_and_keeps_the_buttons(client, car_a, usedcar_a):
    ids = [p.pk for p in add_ready_photos(usedcar_a, car_a, 2)]
    client.force_login(usedcar_a)

    page = client.get(reverse("portal:usedcars:car-detail", kwargs={"pk": car_a.pk})).content.decode()

    assert f'data-photo-order-url="{_url(car_a)}"' in page
    assert all(f'data-photo-id="{pk}"' in page for pk in ids)
    assert "js/photo_order.js" in page
    assert 'value="up"' in page and 'value="down"' in page  # the no-JavaScript fallback

    client.post(reverse("portal:usedcars:car-photos", kwargs={"pk": car_a.pk}), {"photo": ids[1], "action": "up"})
    assert _order(car_a) == ids[::-1]


def test_a_consultants_page_has_no_drag_and_drop(client, car_a, usedcar_a, consultant_a):
    add_ready_photos(usedcar_a, car_a, 2)
    client.force_login(consultant_a)
    page = client.get(reverse("portal:usedcars:car-detail", kwargs={"pk": car_a.pk})).content.decode()
    assert "data-photo-order-url" not in page
