"""Permission-matrix rows for the RFM / lifecycle segments page."""

from tests.matrix import PORTAL_PAGE

# fmt: off
MATRIX = [
    ("portal:membership:segments",       "GET",  PORTAL_PAGE),
]
# fmt: on
