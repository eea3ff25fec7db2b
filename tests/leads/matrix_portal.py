"""Permission-matrix rows for the leads portal pages (format: tests/test_permission_matrix.py).

Objects: store A's lead, an open task on it assigned to consultant_a, and a
channel QR code of store A.  POSTs that succeed answer 303 (See Other)."""

from __future__ import annotations

from tests.matrix import PORTAL_PAGE, PORTAL_STORE_OBJECT

LEAD_MOBILE = "13700008888"


def _channel(code="walkin", name="自然到店", kind="walkin"):
    from leads.models import Channel

    return Channel.objects.get_or_create(code=code, defaults={"name": name, "kind": kind})[0]


def _lead(fx):
    from leads.services.ingest import lead_ingest

    lead, _ = lead_ingest(mobile=LEAD_MOBILE, channel=_channel(), store=fx("store_a"), name="郑爽", model_interest="途观L")
    return lead


def _task(fx):
    import datetime as dt

    from django.utils import timezone

    from leads.services.followup import task_create

    lead = _lead(fx)
    return task_create(
        store=lead.store, assignee=fx("consultant_a"), lead=lead, title="首次回访",
        due_at=timezone.now() + dt.timedelta(hours=1), dedup_key=f"portal-matrix:{lead.pk}",
    )


def _qr(fx):
    from leads.models import ChannelQRCode

    return ChannelQRCode.objects.create(channel=_channel("event", "车展活动", "event"), store=fx("store_a"), event_name="五一车展")


OBJECTS = {"portal_lead": _lead, "portal_task": _task, "qr": _qr}

PORTAL_POST_STORE_OBJECT = {  # a POST on a store-A object that redirects (303) when done
    **PORTAL_STORE_OBJECT, "consultant_a": 303, "manager_a": 303, "hq": 303, "admin": 303,
}
PORTAL_FORM_INVALID = {**PORTAL_PAGE, **dict.fromkeys(("consultant_a", "consultant_b", "manager_a", "hq", "admin"), 400)}
IMPORT_PAGE = {**PORTAL_PAGE, "consultant_a": 403, "consultant_b": 403}  # managers, DCC and HQ import

# fmt: off
MATRIX = [
    ("portal:leads:lead-list",                                   "GET",  PORTAL_PAGE),
    ("portal:leads:lead-create",                                 "GET",  PORTAL_PAGE),
    ("portal:leads:lead-create",                                 "POST", PORTAL_PAGE, {"mobile": ""}),  # form errors, 200
    ("portal:leads:lead-import",                                 "GET",  IMPORT_PAGE),
    ("portal:leads:lead-import",                                 "POST", {**IMPORT_PAGE, "manager_a": 400, "hq": 400, "admin": 400}, {}),
    (("portal:leads:lead-detail", {"pk": "portal_lead"}),        "GET",  PORTAL_STORE_OBJECT),
    (("portal:leads:lead-stage", {"pk": "portal_lead"}),         "POST", PORTAL_POST_STORE_OBJECT, {"to_stage": "contacted"}),
    (("portal:leads:lead-not-now", {"pk": "portal_lead"}),       "POST", PORTAL_POST_STORE_OBJECT),
    ("portal:leads:task-list",                                   "GET",  PORTAL_PAGE),
    (("portal:leads:task-close", {"pk": "portal_task"}),         "POST", PORTAL_POST_STORE_OBJECT, {"outcome": "已加微信"}),
    ("portal:leads:qr-list",                                     "GET",  PORTAL_PAGE),
    ("portal:leads:qr-list",                                     "POST", PORTAL_FORM_INVALID, {}),
    (("portal:leads:qr-image", {"pk": "qr"}),                    "GET",  PORTAL_STORE_OBJECT),
]
# fmt: on

# Allocation (leads/portal/allocation.py): managers and HQ only.  A POST with no valid input
# answers 303 with a message (assign) or 400 with the form (a manager's rule and hand-over
# pages); HQ without a picked store is sent back to pick one (303).
ASSIGN_PAGE = {**PORTAL_PAGE, "consultant_a": 403, "consultant_b": 403}
ASSIGN_POST = {**ASSIGN_PAGE, "manager_a": 303, "hq": 303, "admin": 303}
STORE_FORM_INVALID = {**ASSIGN_PAGE, "manager_a": 400, "hq": 303, "admin": 303}

# fmt: off
MATRIX += [
    (("portal:leads:lead-assign", {"pk": "portal_lead"}), "POST", ASSIGN_POST, {"to": "", "reason": ""}),
    ("portal:leads:lead-assign-bulk",                     "POST", ASSIGN_POST, {"to": "", "reason": ""}),
    ("portal:leads:allocation-rule",                      "GET",  ASSIGN_PAGE),
    ("portal:leads:allocation-rule",                      "POST", STORE_FORM_INVALID, {"action": "rule"}),
    ("portal:leads:staff-handover",                       "GET",  ASSIGN_PAGE),
    ("portal:leads:staff-handover",                       "POST", STORE_FORM_INVALID, {}),
]
# fmt: on
