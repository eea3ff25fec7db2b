"""Permission-matrix rows for plate events (format: tests/test_permission_matrix.py).

The gate webhook is signed (unsigned: 401 for everyone; the signature cases
are in tests/insurance/test_plate_events.py).  An alert opens only for its
recipient (store A's manager here; anyone else: 404); an unknown plate of
store A is linked by store A's staff or HQ (303 back to the list; store B: 404)."""

from __future__ import annotations

from tests.matrix import PORTAL_PAGE, PORTAL_STORE_OBJECT, ROLES


def _unknown_plate(fx):
    """An unknown plate seen at store A."""
    from django.utils import timezone

    from insurance.models import PlateEvent, PlateEventStatus

    store = fx("store_a")
    return PlateEvent.objects.get_or_create(
        store=store, event_id="MATRIX-UNKNOWN",
        defaults={"plate": "粤B7A123", "seen_at": timezone.now(), "status": PlateEventStatus.UNKNOWN},
    )[0]


def _plate_alert(fx):
    """An alert of store A for its manager."""
    from insurance.models import PlateAlert

    event = _unknown_plate(fx)
    return PlateAlert.objects.get_or_create(event=event, defaults={
        "store": event.store, "recipient": fx("manager_a"), "text": "粤B7A123 已到店"})[0]


OBJECTS = {"plate_event_unknown": _unknown_plate, "plate_alert": _plate_alert}

WEBHOOK_UNSIGNED = dict.fromkeys(ROLES, 401)
ALERT_OPEN = {**PORTAL_PAGE, "consultant_a": 404, "consultant_b": 404, "manager_a": 303, "hq": 404, "admin": 404}
LINK = {**PORTAL_STORE_OBJECT, "consultant_a": 303, "manager_a": 303, "hq": 303, "admin": 303}

# fmt: off
MATRIX = [
    ("api:insurance:plate-event",                                           "POST", WEBHOOK_UNSIGNED, {"event_id": "E1", "store": "S01", "plate": "粤B12345", "seen_at": "2026-06-01T10:00:00+08:00"}),
    ("portal:insurance:plate-alerts",                                       "GET",  PORTAL_PAGE),
    (("portal:insurance:plate-alert-open", {"pk": "plate_alert"}),          "POST", ALERT_OPEN),
    ("portal:insurance:unknown-plates",                                     "GET",  PORTAL_PAGE),
    (("portal:insurance:unknown-plate-link", {"pk": "plate_event_unknown"}), "POST", LINK, {"mobile": "13700000000"}),
]
# fmt: on
