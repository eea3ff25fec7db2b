"""Permission-matrix rows for the showroom pages (format: tests/test_permission_matrix.py).

Objects: a checked-in visit of today at store A (so the reception desk and
the calendar link to its feedback form) and a test-drive car of store A.
Floor pages are for sales roles and the group; fleet and hours for managers
and the group (consultants: 403)."""

from __future__ import annotations

from tests.leads.matrix_portal import PORTAL_POST_STORE_OBJECT
from tests.matrix import PORTAL_PAGE, PORTAL_STORE_OBJECT

SHOWROOM_MOBILE = "13700007777"


def _appointment(fx):
    import datetime as dt

    from django.utils import timezone

    from leads.models import Appointment, AppointmentKind, AppointmentSource, AppointmentStatus, Channel
    from leads.services.ingest import lead_ingest

    Channel.objects.get_or_create(code="walkin", defaults={"name": "自然到店", "kind": "walkin"})
    lead, _ = lead_ingest(mobile=SHOWROOM_MOBILE, channel="walkin", store=fx("store_a"), name="冯晓", model_interest="朗逸")
    now = timezone.now()
    return Appointment.objects.get_or_create(lead=lead, defaults={
        "store": fx("store_a"), "consultant": fx("consultant_a"), "kind": AppointmentKind.VISIT, "starts_at": now,
        "ends_at": now + dt.timedelta(minutes=30), "status": AppointmentStatus.CHECKED_IN, "checked_in_at": now,
        "source": AppointmentSource.CONSULTANT,
    })[0]


def _car(fx):
    from accounts.models import CarModel
    from leads.models import TestDriveCar

    model = CarModel.objects.filter(series__brand=fx("brand"), series__name="朗逸").order_by("id").first()
    return TestDriveCar.objects.get_or_create(plate="粤A8D888", defaults={
        "store": fx("store_a"), "car_model": model, "series": model.series})[0]


OBJECTS = {"appointment": _appointment, "test_drive_car": _car}

STAFF = ("consultant_a", "consultant_b", "manager_a", "hq", "admin")
FORM_INVALID = {**PORTAL_PAGE, **dict.fromkeys(STAFF, 400)}
FLEET_PAGE = {**PORTAL_PAGE, "consultant_a": 403, "consultant_b": 403}
FLEET_INVALID = {**FLEET_PAGE, "manager_a": 400, "hq": 400, "admin": 400}
FLEET_CAR = {**PORTAL_STORE_OBJECT, "consultant_a": 403, "consultant_b": 403}
APPOINTMENT_INVALID = {**PORTAL_STORE_OBJECT, **dict.fromkeys(("consultant_a", "manager_a", "hq", "admin"), 400)}

# fmt: off
MATRIX = [
    ("portal:leads:reception",                                        "GET",  PORTAL_PAGE),
    ("portal:leads:walk-in",                                          "POST", FORM_INVALID, {"mobile": ""}),
    ("portal:leads:calendar",                                         "GET",  PORTAL_PAGE),
    (("portal:leads:appointment-check-in", {"pk": "appointment"}),    "POST", PORTAL_POST_STORE_OBJECT),
    (("portal:leads:appointment-no-show", {"pk": "appointment"}),     "POST", PORTAL_POST_STORE_OBJECT),
    (("portal:leads:appointment-cancel", {"pk": "appointment"}),      "POST", PORTAL_POST_STORE_OBJECT),
    (("portal:leads:appointment-feedback", {"pk": "appointment"}),    "GET",  PORTAL_STORE_OBJECT),
    (("portal:leads:appointment-feedback", {"pk": "appointment"}),    "POST", APPOINTMENT_INVALID, {"rating": "9"}),
    (("portal:leads:lead-book", {"pk": "appointment.lead_id"}),       "GET",  PORTAL_STORE_OBJECT),
    (("portal:leads:lead-book", {"pk": "appointment.lead_id"}),       "POST", PORTAL_POST_STORE_OBJECT, {"kind": "visit"}),
    ("portal:leads:fleet",                                            "GET",  FLEET_PAGE),
    ("portal:leads:fleet",                                            "POST", FLEET_INVALID, {"plate": ""}),
    (("portal:leads:fleet-car", {"pk": "test_drive_car"}),            "GET",  FLEET_CAR),
    (("portal:leads:fleet-car", {"pk": "test_drive_car"}),            "POST", {**FLEET_CAR, "manager_a": 400, "hq": 400, "admin": 400}, {"plate": ""}),
    ("portal:leads:hours",                                            "GET",  FLEET_PAGE),
    # The manager's own store: every day closed is refused (400); HQ without a store is sent back to pick one.
    ("portal:leads:hours",                                            "POST", {**FLEET_PAGE, "manager_a": 400, "hq": 303, "admin": 303}, {}),
]
# fmt: on
