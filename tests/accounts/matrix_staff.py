"""Permission-matrix rows of the staff logins page and the temporary-password
reset (issue 10, item 13): store managers and admins only; the reset target
is a consultant of store A."""

from tests.matrix import PORTAL_PAGE

STAFF_ADMIN_PAGE = {**PORTAL_PAGE, "consultant_a": 403, "consultant_b": 403, "hq": 403}

OBJECTS = {
    "staff": lambda fx: fx("consultant_a"),
}

# fmt: off
MATRIX = [
    ("portal:staff-list",                                  "GET",  STAFF_ADMIN_PAGE),
    (("portal:staff-password-reset", {"pk": "staff"}),     "POST", STAFF_ADMIN_PAGE),
]
# fmt: on
