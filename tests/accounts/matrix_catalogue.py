"""Permission-matrix rows of the vehicle catalogue (车型库): its API (any
signed-in owner or staff member reads it; anonymous callers get 401 and an
integration credential, a DMS, 403), and the portal's vehicle registration
on a member's page with its picker fragment."""

from tests.matrix import PORTAL_PAGE, ROLES

API_CATALOGUE = {**dict.fromkeys(ROLES, 200), "anonymous": 401, "integration": 403}

# fmt: off
MATRIX = [
    ("api:accounts:catalogue-brands",                      "GET",  API_CATALOGUE),
    ("api:accounts:catalogue-series",                      "GET",  API_CATALOGUE, {"brand": "vw"}),
    ("api:accounts:catalogue-models",                      "GET",  API_CATALOGUE, {"series": "vw-lavida"}),
]
# fmt: on

# The member page's vehicle registration (a store-A member) and its picker fragment.
# A registered car answers 303 (back to the member page); store B's staff get 404.
PORTAL_VEHICLE_ADD = {
    "anonymous": 302, "owner": 403, "consultant_a": 303, "consultant_b": 404, "manager_a": 303, "hq": 303,
    "admin": 303, "integration": 302,
}
MATRIX += [
    (("portal:member-vehicle-add", {"pk": "member"}),      "POST", PORTAL_VEHICLE_ADD,
     {"plate": "京A99999", "brand": "vw", "series": "vw-lavida"}),
    ("portal:vehicle-picker",                              "GET",  PORTAL_PAGE, {"brand": "vw"}),
]
