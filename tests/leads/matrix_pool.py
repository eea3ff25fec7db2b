"""Permission-matrix rows for the public pool (公海): portal pages and API.

Objects: a pooled lead of store A (taken back from another consultant, so
consultant_a may claim it), and an open lead of store A owned by
consultant_a (to release).  Claims are for consultants and DCC agents of
the lead's store; the pending list and the rule for managers and HQ; the
overview for HQ."""

from __future__ import annotations

from tests.matrix import API_STAFF, API_STAFF_STORE_OBJECT, PORTAL_GROUP_PAGE, PORTAL_PAGE, PORTAL_STORE_OBJECT


def _pooled(fx):
    import datetime as dt

    from django.utils import timezone

    from accounts.models import Role
    from leads.models import Channel, Lead
    from leads.services.ingest import lead_ingest
    from leads.services.pool import pool_take_back

    Channel.objects.get_or_create(code="walkin", defaults={"name": "自然到店", "kind": "walkin"})
    former = fx("make_staff")(Role.CONSULTANT, fx("store_a"), username="s01_former")
    lead, _ = lead_ingest(mobile="13700007777", channel="walkin", store=fx("store_a"), name="钱多", model_interest="途观L")
    Lead.objects.filter(pk=lead.pk).update(assigned_to=former, assigned_at=timezone.now() - dt.timedelta(days=2))
    pool_take_back(store_ids=[lead.store_id])
    return Lead.objects.get(pk=lead.pk)


def _owned(fx):
    from leads.models import Channel
    from leads.services.ingest import lead_ingest
    from leads.services.scoring import lead_assign

    Channel.objects.get_or_create(code="walkin", defaults={"name": "自然到店", "kind": "walkin"})
    lead, _ = lead_ingest(mobile="13700006666", channel="walkin", store=fx("store_a"), name="孙丽", model_interest="帕萨特")
    return lead_assign(lead=lead, to=fx("consultant_a"), actor=None)


OBJECTS = {"pool_lead": _pooled, "owned_lead": _owned}

REVIEWERS = {**PORTAL_PAGE, "consultant_a": 403, "consultant_b": 403}  # managers and HQ
# A claim: consultant_a wins (303 to the lead); store B's consultant gets 404;
# managers and HQ may not claim (403); the superuser passes the role check and
# the service refuses (a message, 303 back to the pool).
PORTAL_CLAIM = {**PORTAL_STORE_OBJECT, "consultant_a": 303, "manager_a": 403, "hq": 403, "admin": 303}
# A release: only the owner succeeds; everyone else is told so (a message, 303).
PORTAL_RELEASE = {**PORTAL_STORE_OBJECT, "consultant_a": 303, "manager_a": 303, "hq": 303, "admin": 303}
API_CLAIM = {**API_STAFF_STORE_OBJECT, "manager_a": 403, "hq": 403, "admin": 403}
API_RELEASE = {**API_STAFF_STORE_OBJECT, "manager_a": 403, "hq": 403, "admin": 403}

# fmt: off
MATRIX = [
    ("portal:leads:pool-list",                                "GET",  PORTAL_PAGE),
    ("portal:leads:pool-pending",                             "GET",  REVIEWERS),
    ("portal:leads:pool-pending",                             "POST", {**REVIEWERS, "manager_a": 303, "hq": 303, "admin": 303}, {}),
    ("portal:leads:pool-rule",                                "GET",  REVIEWERS),
    ("portal:leads:pool-rule",                                "POST", {**REVIEWERS, "manager_a": 400, "hq": 400, "admin": 400}, {}),
    ("portal:leads:pool-overview",                            "GET",  PORTAL_GROUP_PAGE),
    (("portal:leads:pool-claim", {"pk": "pool_lead"}),        "POST", PORTAL_CLAIM),
    (("portal:leads:pool-release", {"pk": "owned_lead"}),     "POST", PORTAL_RELEASE, {"reason": "客户去外地了"}),
    ("api:leads:lead-pool",                                   "GET",  API_STAFF),
    (("api:leads:lead-claim", {"pk": "pool_lead"}),           "POST", API_CLAIM),
    (("api:leads:lead-release", {"pk": "owned_lead"}),        "POST", API_RELEASE, {"reason": "客户去外地了"}),
]
# fmt: on
