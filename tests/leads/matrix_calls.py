"""Permission-matrix rows for the call screen and the telephony webhook
(format: tests/test_permission_matrix.py).

``call`` is a filed (ended) call on a store-A lead, so hang-up answers 303
(idempotent) and the report form opens; store B's consultant gets 404 on
every call URL.  Starting a call without a target is a 400 for staff (the
role gate still answers first: 302 anonymous, 403 owner); scoping of the
start form is tested in tests/leads/test_portal_calls.py.  The webhook has
no session: without a signature everyone, signed in or not, gets 401."""

from __future__ import annotations

from tests.matrix import PORTAL_STORE_OBJECT, ROLES

CALL_LEAD_MOBILE = "13700008888"


def _call(fx):
    from leads.models import Call, CallStatus, Channel, ChannelKind
    from leads.services import lead_ingest

    Channel.objects.get_or_create(code="autohome", defaults={"name": "汽车之家", "kind": ChannelKind.PORTAL})
    lead, _ = lead_ingest(mobile=CALL_LEAD_MOBILE, channel="autohome", store=fx("store_a"), name="郑爽")
    call, _ = Call.objects.get_or_create(
        provider_call_id=f"matrix-call-{lead.pk}",
        defaults={"store": lead.store, "lead": lead, "agent": fx("consultant_a"), "status": CallStatus.ENDED},
    )
    return call


OBJECTS = {"call": _call}

STAFF_303 = {**PORTAL_STORE_OBJECT, **{r: 303 for r in ("consultant_a", "manager_a", "hq", "admin")}}
START_NO_TARGET = {"anonymous": 302, "owner": 403, "consultant_a": 400, "consultant_b": 400, "manager_a": 400, "hq": 400, "admin": 400,
                   "integration": 302}
WEBHOOK_UNSIGNED = dict.fromkeys(ROLES, 401)

# fmt: off
MATRIX = [
    ("portal:leads:call-start",                     "POST", START_NO_TARGET),
    (("portal:leads:call-screen", {"pk": "call"}),  "GET",  PORTAL_STORE_OBJECT),
    (("portal:leads:call-live", {"pk": "call"}),    "GET",  PORTAL_STORE_OBJECT),
    (("portal:leads:call-hangup", {"pk": "call"}),  "POST", STAFF_303),
    (("portal:leads:call-report", {"pk": "call"}),  "GET",  PORTAL_STORE_OBJECT),
    (("portal:leads:call-report", {"pk": "call"}),  "POST", STAFF_303, {"note": "矩阵测试"}),
    ("api:leads:telephony-webhook",                 "POST", WEBHOOK_UNSIGNED, {"id": "d1", "type": "answered", "call_id": "x"}),
]
# fmt: on
