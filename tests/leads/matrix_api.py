"""Permission-matrix rows for the leads API (format: tests/test_permission_matrix.py).

Store A's lead and a task on it assigned to consultant_a; store B's
consultant gets 404 on both and a 400 (not 201) when handing a lead to store A."""

from __future__ import annotations

from tests.matrix import API_OWNER, API_STAFF, API_STAFF_STORE_OBJECT

LEAD_MOBILE = "13700009999"


def _lead(fx):
    from leads.models import Channel, ChannelKind
    from leads.services import lead_ingest

    Channel.objects.get_or_create(code="autohome", defaults={"name": "汽车之家", "kind": ChannelKind.PORTAL})
    lead, _ = lead_ingest(mobile=LEAD_MOBILE, channel="autohome", store=fx("store_a"), name="周杰", model_interest="帕萨特")
    return lead


def _task(fx):
    import datetime as dt

    from django.utils import timezone

    from leads.services import task_create

    lead = _lead(fx)
    return task_create(
        store=lead.store, assignee=fx("consultant_a"), lead=lead, title="回访", due_at=timezone.now() + dt.timedelta(hours=1),
        dedup_key=f"matrix:{lead.pk}",
    )


OBJECTS = {"lead": _lead, "task": _task}

STAFF_WRITE = {**API_STAFF, "consultant_a": 201, "consultant_b": 201, "manager_a": 201, "hq": 201, "admin": 201}
NEW_LEAD = {"mobile": "139 1111 2222", "name": "吴敏", "store": "S01", "channel": "walkin", "model_interest": "途观L"}
OWNER_REQUEST = {"model_interest": "帕萨特"}

# fmt: off
MATRIX = [
    ("api:leads:lead-list",                          "GET",  API_STAFF),
    # Store B's consultant may not hand a lead to store A: a field error, nothing created.
    ("api:leads:lead-list",                          "POST", {**STAFF_WRITE, "consultant_b": 400}, NEW_LEAD),
    (("api:leads:lead-detail", {"pk": "lead"}),      "GET",  API_STAFF_STORE_OBJECT),
    (("api:leads:lead-events", {"pk": "lead"}),      "POST", {**STAFF_WRITE, "consultant_b": 404}, {"kind": "viewed_model"}),
    (("api:leads:lead-stage", {"pk": "lead"}),       "POST", API_STAFF_STORE_OBJECT, {"stage": "contacted"}),
    ("api:leads:task-list",                          "GET",  API_STAFF),
    (("api:leads:task-close", {"pk": "task"}),       "POST", API_STAFF_STORE_OBJECT, {"outcome": "已加微信"}),
    ("api:leads:test-drive-request",                 "POST", {**API_OWNER, "owner": 201}, {**OWNER_REQUEST, "preferred_date": "2030-05-01"}),
    ("api:leads:price-request",                      "POST", {**API_OWNER, "owner": 201}, OWNER_REQUEST),
    # Owners read any open store's slots; staff their own stores' (store B's consultant: 404).
    (("api:leads:test-drive-slots", {"code": "store.code"}), "GET", {**API_STAFF_STORE_OBJECT, "owner": 200},
     {"series": "朗逸", "date": "2030-05-06"}),
]
# fmt: on

# Allocation (leads.services.allocation): managers and HQ assign; consultants 403, another store's lead
# 404.  The rows send no valid staff id (data is static), so the allowed roles get the 400 of a bad
# target; the successful paths are in tests/leads/test_api_assign.py.
ASSIGN_BAD_TARGET = {**API_STAFF, "consultant_a": 403, "consultant_b": 403, "manager_a": 400, "hq": 400, "admin": 400}
NO_STAFF = {"to": 0, "reason": "矩阵测试"}

MATRIX += [
    (("api:leads:lead-assign", {"pk": "lead"}), "POST", {**ASSIGN_BAD_TARGET, "consultant_b": 404}, NO_STAFF),
    ("api:leads:lead-assign-bulk",              "POST", ASSIGN_BAD_TARGET, {**NO_STAFF, "leads": [0]}),
    ("api:leads:lead-list",                     "GET",  API_STAFF, {"assigned_to": "none"}),
]
