"""Permission-matrix rows for the lead reports and reactivation pages."""

from tests.matrix import PORTAL_PAGE, PORTAL_STORE_OBJECT


def _batch(fx):
    from leads.models import ReactivationBatch, ReactivationMode

    return ReactivationBatch.objects.get_or_create(store=fx("store_a"), mode=ReactivationMode.CALL)[0]


OBJECTS = {"batch": _batch}

# Consultants may view reactivation batches of their store but not launch them.
LAUNCHERS = {**PORTAL_PAGE, "consultant_a": 403, "consultant_b": 403}

# fmt: off
MATRIX = [
    ("portal:leads:report",                                   "GET",  PORTAL_PAGE),
    ("portal:leads:report-export",                            "GET",  PORTAL_PAGE),
    ("portal:leads:reactivation-list",                        "GET",  PORTAL_PAGE),
    ("portal:leads:reactivation-create",                      "GET",  LAUNCHERS),
    ("portal:leads:reactivation-create",                      "POST", LAUNCHERS, {"action": "preview", "mode": "call"}),
    (("portal:leads:reactivation-detail", {"pk": "batch"}),   "GET",  PORTAL_STORE_OBJECT),
]
# fmt: on
