"""Shared parts of the permission matrix (see tests/test_permission_matrix.py).

Later apps put their rows in ``tests/<app>/matrix_*.py`` modules, each with a
``MATRIX`` list in the same row format and, for new kinds of object, an
``OBJECTS`` dict; ``app_rows()`` collects them, so apps never edit one shared
file at the same time."""

from __future__ import annotations

import importlib
from pathlib import Path

from accounts.models import ApiClient

ROLES = ("anonymous", "owner", "consultant_a", "consultant_b", "manager_a", "hq", "admin", "integration")

# The conftest fixture that signs in as each role (None: not signed in).
ROLE_FIXTURES = {
    "anonymous": None,
    "owner": "owner_a",  # the owner login of member_a (store A)
    "consultant_a": "consultant_a",
    "consultant_b": "consultant_b",
    "manager_a": "manager_a",
    "hq": "hq",
    "admin": "admin_user",
    # Store A's integration credential (ApiClient): it sends its bearer token,
    # never a session, so the portal and the mini-site see it as anonymous.
    "integration": "integration_a",
}

# Objects the URLs point at, all of store A.  ``fx(name)`` returns a conftest
# fixture.  A later app adds its object here, e.g.
#     "lead": lambda fx: lead_create(store=fx("store_a"), ...),
OBJECTS = {
    "member": lambda fx: fx("member_a"),
    "store": lambda fx: fx("store_a"),
    "vehicle": lambda fx: fx("member_a").vehicles.get(),
}

# --- Expected statuses ----------------------------------------------------------------------
# Portal: anonymous → the login page (302); an owner is not staff (403); an
# integration credential has no session (302).
PORTAL_PAGE = {  # any staff page that is not about one object
    "anonymous": 302, "owner": 403, "consultant_a": 200, "consultant_b": 200, "manager_a": 200, "hq": 200, "admin": 200,
    "integration": 302,
}
PORTAL_STORE_OBJECT = {**PORTAL_PAGE, "consultant_b": 404}  # a store-A object: store B's staff get 404
PORTAL_GROUP_PAGE = {**PORTAL_PAGE, "consultant_a": 403, "consultant_b": 403, "manager_a": 403}  # HQ/admin only
# API: anonymous → 401; staff endpoints refuse owners (403) and vice versa; an
# integration credential only reaches views whose required_roles list it (403).
API_STAFF = {
    "anonymous": 401, "owner": 403, "consultant_a": 200, "consultant_b": 200, "manager_a": 200, "hq": 200, "admin": 200,
    "integration": 403,
}
API_STAFF_STORE_OBJECT = {**API_STAFF, "consultant_b": 404}
API_OWNER = {
    "anonymous": 401, "owner": 200, "consultant_a": 403, "consultant_b": 403, "manager_a": 403, "hq": 403, "admin": 403,
    "integration": 403,
}
API_PUBLIC = dict.fromkeys(ROLES, 200)



# Roles that reach no surface by session: a signed-out visitor and the integration credential.
SESSIONLESS = frozenset({"anonymous", "integration"})


def sign_in(client, actor) -> None:
    """Sign a test client in as a ``ROLE_FIXTURES`` actor: a user gets a
    session; an integration credential sends its bearer token on every
    request (``Authorization``), as a DMS would, and has no session."""
    if isinstance(actor, ApiClient):
        client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {actor.token}"
    else:
        client.force_login(actor)


def app_rows() -> list:
    rows = []
    root = Path(__file__).parent
    for path in sorted(root.glob("*/matrix_*.py")):
        module = importlib.import_module(f"tests.{path.parent.name}.{path.stem}")
        rows += getattr(module, "MATRIX", [])
        OBJECTS.update(getattr(module, "OBJECTS", {}))
    return rows
