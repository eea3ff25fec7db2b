"""Mini-site used-car pages: anyone browses published cars with filters and sorts and
opens a car's page (photos, condition report, holding store); a signed-in owner asks
about it or books a viewing (a lead and a task at the holding store) and requests a
valuation of their own vehicle; a visitor is sent to the SMS-code sign-in."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from leads.models import FollowUpTask
from usedcars.models import Inquiry, InquiryKind
from usedcars.services_listings import listing_publish
from tests.matrix import ROLE_FIXTURES, ROLES, SESSIONLESS, sign_in
from tests.usedcars.helpers import complete_listing, make_car
from tests.usedcars.matrix_usedcars import MOBILE_MATRIX, OBJECTS
from tests.usedcars.test_public_api import published

LIST = reverse("mobile:usedcars:list")


def test_anyone_browses_with_filters_and_sorts(client, hq, store_a, store_b):
    cheap = published(hq, store_a, price="50000", mileage=80_000)
    dear = published(hq, store_b, price="150000", mileage=10_000)

    everything = client.get(LIST).content.decode()
    cheap_only = client.get(LIST, {"price_max": "60000"}).content.decode()
    shanghai = client.get(LIST, {"city": "上海"}).content.decode()
    by_mileage = client.get(LIST, {"ordering": "mileage"}).content.decode()
    bad = client.get(LIST, {"price_min": "abc"})

    assert cheap.title in everything and dear.title in everything
    assert cheap.title in cheap_only and dear.title not in cheap_only
    assert dear.title in shanghai and cheap.title not in shanghai
    assert by_mileage.index(dear.title) < by_mileage.index(cheap.title)
    assert bad.status_code == 200 and "部分筛选条件无效" in bad.content.decode()


def test_a_cars_page_shows_photos_condition_and_store_and_sends_a_visitor_to_sign_in(client, usedcar_a, store_a):
    listing = complete_listing(usedcar_a, make_car(usedcar_a, store_a))
    listing_publish(actor=usedcar_a, listing=listing)

    page = client.get(reverse("mobile:usedcars:detail", kwargs={"pk": listing.pk})).content.decode()

    assert page.count("<img") >= 6 and "轻微划痕" in page and store_a.name in page
    assert reverse("mobile:login") in page and 'data-testid="usedcar-inquiry"' not in page


def test_a_draft_cars_page_is_a_404(client, usedcar_a, car_a):
    from usedcars.services_listings import listing_create

    listing = listing_create(actor=usedcar_a, car=car_a, title="草稿", price="90000")
    assert client.get(reverse("mobile:usedcars:detail", kwargs={"pk": listing.pk})).status_code == 404


def test_an_owner_books_a_viewing_from_the_cars_page(client, owner_a, member_a, hq, store_b):
    listing = published(hq, store_b)
    client.force_login(owner_a)
    when = timezone.localtime() + dt.timedelta(days=3)

    page = client.get(reverse("mobile:usedcars:detail", kwargs={"pk": listing.pk})).content.decode()
    response = client.post(reverse("mobile:usedcars:inquiry", kwargs={"pk": listing.pk}),
                           {"kind": "viewing", "message": "周末看车", "preferred_time": when.strftime("%Y-%m-%dT%H:%M")})

    assert 'data-testid="usedcar-inquiry"' in page
    assert response.status_code == 302
    inquiry = Inquiry.objects.get()
    assert (inquiry.kind, inquiry.member, inquiry.store) == (InquiryKind.VIEWING, member_a, store_b)
    assert FollowUpTask.objects.filter(lead=inquiry.lead, store=store_b).exists()


def test_a_viewing_without_a_time_shows_the_services_error(client, owner_a, hq, store_a):
    listing = published(hq, store_a)
    client.force_login(owner_a)

    response = client.post(reverse("mobile:usedcars:inquiry", kwargs={"pk": listing.pk}), {"kind": "viewing"})

    assert response.status_code == 200 and "请选择看车时间" in response.content.decode()
    assert not Inquiry.objects.exists()


def test_an_owner_asks_to_sell_their_vehicle(client, owner_a, member_a, store_a, usedcar_a):
    vehicle = member_a.vehicles.get()
    client.force_login(owner_a)

    form = client.get(reverse("mobile:usedcars:sell"))
    response = client.post(reverse("mobile:usedcars:sell"), {"vehicle": vehicle.pk, "message": "想换新车"})

    assert form.status_code == 200
    assert response.status_code == 302
    inquiry = Inquiry.objects.get()
    assert (inquiry.kind, inquiry.vehicle, inquiry.store) == (InquiryKind.VALUATION, vehicle, store_a)
    assert inquiry.task.assignee == usedcar_a


def test_selling_needs_sign_in(client, db):
    response = client.get(reverse("mobile:usedcars:sell"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("mobile:login"))


# --- permission rows (tests/usedcars/matrix_usedcars.py MOBILE_MATRIX) -------------------------------

def _name(url) -> str:
    return url if isinstance(url, str) else url[0]


@pytest.mark.parametrize(("row", "role"), [(row, role) for row in MOBILE_MATRIX for role in ROLES],
                         ids=[f"{r[1]} {_name(r[0])} as {role}" for r in MOBILE_MATRIX for role in ROLES])
def test_mobile_permission_rows(row, role, request, client, member_a, member_b):
    url, method, expected = row[:3]
    data = row[3] if len(row) > 3 else None
    name = _name(url)
    kwargs = {} if isinstance(url, str) else {
        key: OBJECTS[ref](request.getfixturevalue).pk for key, ref in url[1].items()}
    fixture = ROLE_FIXTURES[role]
    if fixture is not None:
        sign_in(client, request.getfixturevalue(fixture))
    path = reverse(name, kwargs=kwargs)
    response = getattr(client, method.lower())(path, data)
    assert response.status_code == expected[role], f"{method} {name} as {role}: {response.status_code}"
    if response.status_code == 302:
        if role in SESSIONLESS:
            assert response["Location"].startswith(reverse("mobile:login"))
        elif role == "owner":
            assert response["Location"] == path.replace("inquiry/", "")
        else:
            assert response["Location"] == reverse("portal:dashboard")


def test_the_list_page_costs_the_same_queries_for_1_and_25_cars_and_on_a_later_page(client, hq, store_a):
    published(hq, store_a, photo=True)
    with CaptureQueriesContext(connection) as one:
        assert client.get(LIST).status_code == 200
    more = [published(hq, store_a, photo=True) for _ in range(24)]
    with CaptureQueriesContext(connection) as full:
        first = client.get(LIST).content.decode()
    with CaptureQueriesContext(connection) as later:
        second = client.get(LIST, {"page": 2}).content.decode()

    # Page 1 also asks for the 精选 strip (none here: one query for its ids); later pages do not.
    assert len(one) == len(full) == len(later) + 1
    assert more[-1].title in first and more[-1].title not in second  # newest first, 20 a page
