"""Permission-matrix rows of the renewal pipeline (format: tests/test_permission_matrix.py).

Portal actions answer 303 (a refusal is a message on the next page); store
B's staff get 404 on store A's renewal and quote.  The owner (owner_a =
member_a) answers a quote sent to them.  ``MOBILE_MATRIX``: the mini-site
rows, run by tests/insurance/test_renewals_web.py (anonymous → mobile:login,
staff → the portal: both 302)."""

from __future__ import annotations

from tests.matrix import API_OWNER, PORTAL_PAGE, PORTAL_STORE_OBJECT, ROLES


def _renewal(fx):
    """A store-A renewal: member_a's car's policy ending in 30 days, swept in."""
    import datetime
    from decimal import Decimal

    from django.utils import timezone

    from insurance.models import Insurer, Policy, Renewal
    from insurance.rating_seed import seed_rating_rules
    from insurance.services_renewals import renewals_open

    existing = Renewal.objects.filter(policy__number="MATRIX-1").first()
    if existing:
        return existing
    seed_rating_rules()
    vehicle = fx("member_a").vehicles.get()
    end = timezone.localdate() + datetime.timedelta(days=30)
    Policy.objects.create(vehicle=vehicle, plate=vehicle.plate, kind="compulsory", insurer=Insurer.objects.get(code="picc"),
                          number="MATRIX-1", start_date=end.replace(year=end.year - 1), end_date=end,
                          premium=Decimal("950.00"), store=vehicle.member.store)
    renewals_open(today=timezone.localdate())
    return Renewal.objects.get(policy__number="MATRIX-1")


def _sent_quote(fx):
    """A quote for member_a's car, sent to them."""
    from insurance.services_renewals import quote_send
    from tests.insurance.matrix_insurance import _quote

    _renewal(fx)
    quote = _quote(fx)
    if quote.status == "draft":
        quote_send(actor=fx("hq"), quote=quote)
    return quote


OBJECTS = {"insurance_renewal": _renewal, "insurance_sent_quote": _sent_quote}

PORTAL_ACTION = {**PORTAL_STORE_OBJECT, "consultant_a": 303, "manager_a": 303, "hq": 303, "admin": 303}
MOBILE_OWNER = {**dict.fromkeys(ROLES, 302), "owner": 200}
MOBILE_OWNER_ACTION = {**dict.fromkeys(ROLES, 302), "owner": 303}

# fmt: off
MATRIX = [
    ("portal:insurance:renewal-list",                                   "GET",  PORTAL_PAGE),
    (("portal:insurance:renewal-lost", {"pk": "insurance_renewal"}),    "POST", PORTAL_ACTION, {"reason": "price"}),
    (("portal:insurance:quote-send", {"pk": "insurance_quote"}),        "POST", PORTAL_ACTION),
    (("portal:insurance:quote-renew", {"pk": "insurance_sent_quote"}),  "POST", PORTAL_ACTION, {"number_compulsory": "M-1"}),
    ("api:insurance:my-policy-list",                                    "GET",  API_OWNER),
    ("api:insurance:my-quote-list",                                     "GET",  API_OWNER),
    (("api:insurance:my-quote-accept", {"pk": "insurance_sent_quote"}), "POST", API_OWNER),
    (("api:insurance:my-quote-call-me", {"pk": "insurance_sent_quote"}), "POST", API_OWNER),
]

MOBILE_MATRIX = [
    ("mobile:insurance:policies",                                        "GET",  MOBILE_OWNER),
    (("mobile:insurance:quote-accept", {"pk": "insurance_sent_quote"}),  "POST", MOBILE_OWNER_ACTION),
    (("mobile:insurance:quote-call-me", {"pk": "insurance_sent_quote"}), "POST", MOBILE_OWNER_ACTION),
]
# fmt: on
