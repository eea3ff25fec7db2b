"""Permission-matrix rows of the vehicle catalogue API (车型库): any signed-in
owner or staff member reads it; anonymous callers get 401 and an integration
credential (a DMS) 403."""

from tests.matrix import ROLES

API_CATALOGUE = {**dict.fromkeys(ROLES, 200), "anonymous": 401, "integration": 403}

# fmt: off
MATRIX = [
    ("api:accounts:catalogue-brands",                      "GET",  API_CATALOGUE),
    ("api:accounts:catalogue-series",                      "GET",  API_CATALOGUE, {"brand": "vw"}),
    ("api:accounts:catalogue-models",                      "GET",  API_CATALOGUE, {"series": "vw-lavida"}),
]
# fmt: on
