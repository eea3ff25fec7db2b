"""Permission-matrix rows for the used-car staff API (format: tests/test_permission_matrix.py).

Objects: ``used_car``, a car in store A's stock (no listing); ``used_car_listed``, a
car of store A with a draft listing (no photos, no condition report).  Reads: the
stores' staff; writes: used-car managers, store managers, HQ and admins (a
consultant 403); store B's staff 404 on store A's cars; owners and the integration
credential 403."""

from __future__ import annotations

from tests.matrix import API_OWNER, API_PUBLIC, API_STAFF, API_STAFF_STORE_OBJECT, PORTAL_PAGE, PORTAL_STORE_OBJECT


def _car(fx):
    from usedcars.models import UsedCar
    from tests.usedcars.helpers import make_car

    existing = UsedCar.objects.filter(store=fx("store_a"), listing__isnull=True).first()
    return existing or make_car(fx("hq"), fx("store_a"))


def _listed(fx):
    from usedcars.models import Listing
    from usedcars.services_listings import listing_create
    from tests.usedcars.helpers import make_car

    existing = Listing.objects.filter(store=fx("store_a")).first()
    if existing:
        return existing.car
    car = make_car(fx("hq"), fx("store_a"))
    listing_create(actor=fx("hq"), car=car, title="2021款 朗逸", price="98000")
    return car


OBJECTS = {"used_car": _car, "used_car_listed": _listed}

# Writes: a consultant 403 (store A) or 404 (store B); the managers and HQ get the
# service's answer for the body given.
WRITE = {**API_STAFF_STORE_OBJECT, "consultant_a": 403}
WRITE_400 = {**WRITE, "manager_a": 400, "hq": 400, "admin": 400}
WRITE_409 = {**WRITE, "manager_a": 409, "hq": 409, "admin": 409}
CREATE_400 = {**API_STAFF, "consultant_a": 403, "consultant_b": 403, "manager_a": 400, "hq": 400, "admin": 400}

# fmt: off
MATRIX = [
    ("api:usedcars:stock-list",                                    "GET",   API_STAFF),
    ("api:usedcars:stock-list",                                    "POST",  CREATE_400, {"source": "purchase"}),
    (("api:usedcars:stock-listing", {"pk": "used_car"}),           "POST",  {**WRITE, "manager_a": 201, "hq": 201, "admin": 201},
     {"title": "2021款 朗逸 1.5L", "price": "98000"}),
    (("api:usedcars:stock-listing", {"pk": "used_car_listed"}),    "PATCH", WRITE, {"price": "96000"}),
    (("api:usedcars:stock-photos", {"pk": "used_car"}),            "POST",  WRITE_400),
    (("api:usedcars:stock-publish", {"pk": "used_car_listed"}),    "POST",  WRITE_400),
    (("api:usedcars:stock-reserve", {"pk": "used_car_listed"}),    "POST",  WRITE_409, {"deposit": "2000"}),
    (("api:usedcars:stock-sell", {"pk": "used_car_listed"}),       "POST",  WRITE_409, {}),
]
# fmt: on


def _public(fx):
    """A published listing held by store B: the public detail shows its holding store's
    name to anyone, so the row's object is not store A's (the leak check would flag
    store A's name shown to store B's consultant, here public by design)."""
    from django.utils import timezone

    from usedcars.models import Listing, ListingState
    from usedcars.services_listings import listing_create
    from tests.usedcars.helpers import make_car

    existing = Listing.objects.filter(store=fx("store_b"), state=ListingState.PUBLISHED).first()
    if existing:
        return existing
    listing = listing_create(actor=fx("hq"), car=make_car(fx("hq"), fx("store_b")), title="2020款 帕萨特", price="128000")
    Listing.objects.filter(pk=listing.pk).update(state=ListingState.PUBLISHED, published_at=timezone.now())
    return listing


OBJECTS["public_listing"] = _public

# Public listings (no sign-in; the integration credential reads them too).
MATRIX += [
    ("api:usedcars:listings",                                      "GET",   API_PUBLIC),
    (("api:usedcars:listing-detail", {"pk": "public_listing"}),    "GET",   API_PUBLIC),
]

# Owners' requests (a lead with a task); staff and the integration credential 403, signed-out 401.
MATRIX += [
    (("api:usedcars:listing-inquiries", {"pk": "public_listing"}), "POST", {**API_OWNER, "owner": 201},
     {"kind": "question", "message": "还能便宜吗"}),
    (("api:usedcars:vehicle-valuation-requests", {"pk": "vehicle"}), "POST", {**API_OWNER, "owner": 201},
     {"message": "想置换"}),
]

# Mini-site rows (not in the shared matrix, which covers portal and API names): run by
# tests/usedcars/test_mobile_usedcars.py.  Anyone browses (staff too) and may ask as a
# visitor with an SMS code; the owner-only pages send others to the mini-site sign-in and staff to the portal (302).
MOBILE_PUBLIC = dict.fromkeys(API_PUBLIC, 200)
MOBILE_OWNER_ONLY = {**dict.fromkeys(API_PUBLIC, 302), "owner": 200}
MOBILE_MATRIX = [
    ("mobile:usedcars:list",                                       "GET",   MOBILE_PUBLIC),
    (("mobile:usedcars:detail", {"pk": "public_listing"}),         "GET",   MOBILE_PUBLIC),
    (("mobile:usedcars:inquiry", {"pk": "public_listing"}),        "POST",  dict.fromkeys(API_PUBLIC, 302),
     {"kind": "question", "message": "还能便宜吗"}),
    # A visitor's inquiry (name, mobile, SMS code): anyone; without a code requested first, 400 on the code.
    (("mobile:usedcars:visitor-inquiry", {"pk": "public_listing"}), "POST", dict.fromkeys(API_PUBLIC, 400),
     {"kind": "question", "name": "王先生", "mobile": "13912345678", "code": "123456"}),
    ("mobile:usedcars:sell",                                       "GET",   MOBILE_OWNER_ONLY),
    ("mobile:usedcars:sell",                                       "POST",  MOBILE_OWNER_ONLY, {"vehicle": "0"}),
]

# Portal: the stock list (any staff), the CSV export (managers, used-car managers, HQ:
# a consultant 403), a car's page (store B's staff 404) and its transitions (a
# consultant 403 from the service shown as a message: 303 back to the page).
MATRIX += [
    ("portal:usedcars:stock-list",                                 "GET",   PORTAL_PAGE),
    ("portal:usedcars:stock-export",                               "GET",   {**PORTAL_PAGE, "consultant_a": 403,
                                                                             "consultant_b": 403}),
    (("portal:usedcars:car-detail", {"pk": "used_car"}),           "GET",   PORTAL_STORE_OBJECT),
    (("portal:usedcars:car-detail", {"pk": "used_car_listed"}),    "POST",  {**PORTAL_STORE_OBJECT, "consultant_a": 303,
                                                                             "manager_a": 303, "hq": 303, "admin": 303},
     {"action": "withdraw"}),
]
MATRIX += [
    (("portal:usedcars:car-listing", {"pk": "used_car_listed"}),   "POST",  {**PORTAL_STORE_OBJECT, "consultant_a": 303,
                                                                             "manager_a": 303, "hq": 303, "admin": 303},
     {"title": "2021款 朗逸", "price": "96000"}),
    (("portal:usedcars:car-photos", {"pk": "used_car"}),           "POST",  {**PORTAL_STORE_OBJECT, "consultant_a": 303,
                                                                             "manager_a": 303, "hq": 303, "admin": 303},
     {"action": "cover", "photo": "0"}),
]

# Portal: entering a car (入库) and its trade-in picker: used-car managers, store managers,
# HQ and admins (a consultant 403).  A POST without the required fields comes back as
# the form with its errors (400).
MANAGE_PAGE = {**PORTAL_PAGE, "consultant_a": 403, "consultant_b": 403}
MATRIX += [
    ("portal:usedcars:car-create",                                 "GET",   MANAGE_PAGE),
    ("portal:usedcars:car-create",                                 "POST",  {**MANAGE_PAGE, "manager_a": 400, "hq": 400,
                                                                             "admin": 400},
     {"source": "purchase"}),
    ("portal:usedcars:trade-in-vehicles",                          "GET",   MANAGE_PAGE),
]

# Drag-and-drop photo order (JSON): a car without photos, so any ids are refused (400
# on ``photos``) for its managers; a consultant 403 (the service); store B 404.
# The share button: a draft listing cannot be shared (303 back to the page with the
# message); store B 404.
MATRIX += [
    (("portal:usedcars:car-photo-order", {"pk": "used_car"}),      "POST",  {**PORTAL_STORE_OBJECT, "consultant_a": 403,
                                                                             "manager_a": 400, "hq": 400, "admin": 400},
     {"photos": "0"}),
    (("portal:usedcars:car-share", {"pk": "used_car_listed"}),     "POST",  {**PORTAL_STORE_OBJECT, "consultant_a": 303,
                                                                             "manager_a": 303, "hq": 303, "admin": 303}),
]

OBJECTS["used_car_listing"] = lambda fx: _listed(fx).listing

# Staff share of a listing (any staff of its store): a draft is refused (400 on
# ``listing``); store B 404; owners and the integration credential 403.
MATRIX += [
    (("api:usedcars:listing-shares", {"pk": "used_car_listing"}),  "POST",  {**API_STAFF_STORE_OBJECT, "consultant_a": 400,
                                                                             "manager_a": 400, "hq": 400, "admin": 400}),
]
