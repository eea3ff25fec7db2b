"""Counts of members per RFM segment and lifecycle stage, per owning store,
scoped by ``stores_for`` (the profiles come from the daily job)."""

from __future__ import annotations

from django.db.models import Count, Max

from accounts.scoping import stores_for
from membership.models import Lifecycle, MemberProfile, RFMSegment


def segment_counts(*, actor, store=None) -> dict:
    """``{"stores": [...], "rfm": {store_id: {segment: n}}, "lifecycle": {...},
    "rfm_total": {segment: n}, "lifecycle_total": {stage: n}, "computed_on": date}``.
    ``store`` (already one of the actor's stores) narrows to one store."""
    stores = stores_for(actor).order_by("code")
    if store is not None:
        stores = stores.filter(pk=store.pk)
    store_list = list(stores.values("pk", "code", "name"))
    profiles = MemberProfile.objects.filter(member__store__in=stores).order_by()
    rfm = {s["pk"]: dict.fromkeys(RFMSegment.values, 0) for s in store_list}
    life = {s["pk"]: dict.fromkeys(Lifecycle.values, 0) for s in store_list}
    for sid, segment, n in profiles.exclude(rfm_segment="").values_list("member__store_id", "rfm_segment").annotate(
            n=Count("pk")):
        rfm[sid][segment] = n
    for sid, stage, n in profiles.exclude(lifecycle="").values_list("member__store_id", "lifecycle").annotate(
            n=Count("pk")):
        life[sid][stage] = n
    return {
        "stores": store_list,
        "rfm": rfm,
        "lifecycle": life,
        "rfm_total": {k: sum(r[k] for r in rfm.values()) for k in RFMSegment.values},
        "lifecycle_total": {k: sum(r[k] for r in life.values()) for k in Lifecycle.values},
        "computed_on": profiles.aggregate(d=Max("computed_on"))["d"],
    }
