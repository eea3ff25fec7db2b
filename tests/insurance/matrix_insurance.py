"""Permission-matrix rows for insurance (format: tests/test_permission_matrix.py).

The quote API is for staff: a plate not on file with a start date in the past
gets the refusal (400 start_date_past) whoever the staff member is; scoping
(another store's vehicle: 404) is proven in tests/insurance/test_api_quotes.py."""

from __future__ import annotations

from tests.matrix import API_STAFF, PORTAL_PAGE, PORTAL_STORE_OBJECT


def _quote(fx):
    """A kept quote for member_a's vehicle (store A)."""
    import datetime

    from django.utils import timezone

    from insurance.models import Quote
    from insurance.rating_seed import seed_rating_rules
    from insurance.services_quotes import quote_create, rating_input_for

    vehicle = fx("member_a").vehicles.get()
    existing = Quote.objects.filter(vehicle=vehicle).first()
    if existing:
        return existing
    seed_rating_rules()
    start = timezone.localdate() + datetime.timedelta(days=10)
    inp = rating_input_for(vehicle=vehicle, usage="family", seats=5, start_date=start, pricing_coefficient=1)
    return quote_create(actor=fx("hq"), vehicle=vehicle, insurer_code="picc", inp=inp)[0]


OBJECTS = {"insurance_quote": _quote}

STAFF_REFUSED = {**API_STAFF, "consultant_a": 400, "consultant_b": 400, "manager_a": 400, "hq": 400, "admin": 400}
PAST_QUOTE = {"plate": "琼A99999", "usage": "family", "seats": 5, "start_date": "2020-01-01", "insurer": "picc"}

# fmt: off
MATRIX = [
    ("api:insurance:quote-create",                             "POST", STAFF_REFUSED, PAST_QUOTE),
    ("portal:insurance:quote",                                 "GET",  PORTAL_PAGE),
    ("portal:insurance:quote",                                 "POST", {**PORTAL_PAGE, "consultant_a": 400, "consultant_b": 400, "manager_a": 400, "hq": 400, "admin": 400}, {"plate": "琼A99999"}),
    ("portal:insurance:quote-list",                            "GET",  PORTAL_PAGE),
    (("portal:insurance:quote-detail", {"pk": "insurance_quote"}), "GET", PORTAL_STORE_OBJECT),
]
# fmt: on
