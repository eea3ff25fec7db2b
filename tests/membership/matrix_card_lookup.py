from tests.matrix import PORTAL_PAGE

# fmt: off
MATRIX = [
    ("portal:membership:card-lookup", "GET", PORTAL_PAGE),
]
# fmt: on
