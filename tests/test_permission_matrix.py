"""Who may see what: the permission matrix, ``stores_for`` and scoped lists.

PERMISSION MATRIX — a new view joins it with ONE line in ``MATRIX``::

    (url, method, expected)            or    (url, method, expected, data)

``url``
    a URL name, ``"portal:audit"``, or a name with kwargs,
    ``("portal:member-detail", {"pk": "member"})``.  A kwarg value names an
    object in ``OBJECTS`` and becomes its ``pk``; ``"member.mobile"`` takes
    another attribute.  Every object in ``OBJECTS`` belongs to store A.
``method``
    ``"GET"``, ``"POST"``, ``"PATCH"``, ``"DELETE"`` ...
``expected``
    ``{role: status}`` for every role in ``ROLES``: anonymous, owner,
    consultant_a, consultant_b, manager_a, hq, admin, integration (store A's
    integration credential, sending its bearer token).  The presets below cover
    the usual cases; spread one to adjust it:
    ``{**PORTAL_STORE_OBJECT, "consultant_a": 403}``.
``data``
    optional request body (sent as JSON to the API, as a form to the portal).

Each row runs once per role.  Staff of store B must get a 404, never a 403, on
store A's objects, and no page or answer they may open may show store A's
member or store (name, mobile, store name).  ``test_matrix_covers_every_view`` fails when a portal or
API URL name has no row, so a new view cannot be forgotten.  A row for an
object of a new kind also adds that object to ``OBJECTS`` (one line).
"""

from __future__ import annotations

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from accounts import selectors
from accounts.models import Role, Store
from accounts.scoping import scope, scoped_get, store_ids_for, stores_for

from tests.matrix import (  # noqa: F401  (presets re-exported for readers of this file)
    API_OWNER, API_PUBLIC, API_STAFF, API_STAFF_STORE_OBJECT, OBJECTS, PORTAL_GROUP_PAGE, PORTAL_PAGE,
    PORTAL_STORE_OBJECT, ROLE_FIXTURES, ROLES, app_rows, sign_in,
)

NEW_VEHICLE = {"plate": "京A88888", "series": "朗逸"}
# Signed provider webhooks have no session: unsigned, everyone (signed in or not) gets 401.
WEBHOOK_UNSIGNED = dict.fromkeys(ROLES, 401)

# fmt: off
MATRIX = [
    # --- portal ---------------------------------------------------------------------------
    ("portal:dashboard",                                   "GET",    PORTAL_PAGE),
    ("portal:member-list",                                 "GET",    PORTAL_PAGE),
    (("portal:member-detail", {"pk": "member"}),           "GET",    PORTAL_STORE_OBJECT),
    (("portal:member-reveal-mobile", {"pk": "member"}),    "POST",   PORTAL_STORE_OBJECT),
    (("portal:member-reveal-mobile", {"pk": "member"}),    "GET",    {**PORTAL_STORE_OBJECT, "consultant_a": 405, "consultant_b": 405, "manager_a": 405, "hq": 405, "admin": 405}),
    ("portal:audit",                                       "GET",    PORTAL_GROUP_PAGE),
    ("portal:outbox",                                      "GET",    PORTAL_GROUP_PAGE),
    # --- staff API ------------------------------------------------------------------------
    ("api:accounts:store-list",                            "GET",    API_STAFF),
    (("api:accounts:store-detail", {"pk": "store"}),       "GET",    API_STAFF_STORE_OBJECT),
    ("api:accounts:member-list",                           "GET",    API_STAFF),
    (("api:accounts:member-detail", {"pk": "member"}),     "GET",    API_STAFF_STORE_OBJECT),
    (("api:accounts:member-vehicles", {"pk": "member"}),   "GET",    API_STAFF_STORE_OBJECT),
    (("api:accounts:member-reveal-mobile", {"pk": "member"}), "POST", API_STAFF_STORE_OBJECT),
    # --- owner (mini-program) API -----------------------------------------------------------
    ("api:accounts:me",                                    "GET",    API_OWNER),
    ("api:accounts:me",                                    "PATCH",  API_OWNER, {"city": "广州"}),
    ("api:accounts:me-notifications",                      "GET",    API_OWNER),
    ("api:accounts:me-notifications",                      "PATCH",  API_OWNER, {"notify_sms": False}),
    ("api:accounts:my-vehicle-list",                       "GET",    API_OWNER),
    ("api:accounts:my-vehicle-list",                       "POST",   {**API_OWNER, "owner": 201}, NEW_VEHICLE),
    (("api:accounts:my-vehicle-detail", {"pk": "vehicle"}), "DELETE", {**API_OWNER, "owner": 204}),
    ("api:accounts:wechat-login",                          "POST",   API_PUBLIC, {"code": "wx-code-1"}),
    ("api:accounts:wechat-bind",                           "POST",   {**API_OWNER, "owner": 400}, {"ticket": "forged"}),
    # --- provider webhooks -------------------------------------------------------------------
    ("api:accounts:sms-reply-webhook",                     "POST",   WEBHOOK_UNSIGNED, {"id": "r1", "mobile": "13812345678", "content": "R"}),
    # --- OpenAPI schema and docs: staff only outside DEBUG (accounts/api/docs.py) ---------------
    ("api:schema",                                         "GET",    API_STAFF),
    ("api:docs",                                           "GET",    {**PORTAL_PAGE, "integration": 403}),
]
# Rows of later apps live beside their tests: tests/<app>/matrix_*.py define
# MATRIX (and OBJECTS for new kinds of object), collected here.
MATRIX += app_rows()
# fmt: on

# URL names that deliberately have no row (say why).
NOT_IN_MATRIX: dict[str, str] = {}
# Documentation, not data: its made-up examples ("masked: 138****5678") happen
# to match store A's member, so the leak check below skips it.
DOCUMENTATION = {"api:schema", "api:docs"}


def _url_name(url) -> str:
    return url if isinstance(url, str) else url[0]


def _build_url(url, fx) -> str:
    if isinstance(url, str):
        return reverse(url)
    name, kwargs = url
    resolved = {}
    for key, ref in kwargs.items():
        obj_name, _, attr = ref.partition(".")
        obj = OBJECTS[obj_name](fx)
        resolved[key] = getattr(obj, attr or "pk")
    return reverse(name, kwargs=resolved)


def _matrix_params():
    for row in MATRIX:
        url, method, expected = row[:3]
        for role in ROLES:
            yield pytest.param(row, role, id=f"{method} {_url_name(url)} as {role}")


@pytest.mark.django_db
@pytest.mark.parametrize(("row", "role"), list(_matrix_params()))
def test_permission_matrix(row, role, request, api, member_a, member_b):
    url, method, expected = row[:3]
    data = row[3] if len(row) > 3 else None
    fixture = ROLE_FIXTURES[role]
    if fixture is not None:
        sign_in(api, request.getfixturevalue(fixture))
    path = _build_url(url, request.getfixturevalue)
    is_api = path.startswith("/api/")
    kwargs = {"format": "json"} if is_api and data is not None else {}
    response = getattr(api, method.lower())(path, data, **kwargs)
    assert response.status_code == expected[role], (
        f"{method} {path} as {role}: {response.status_code}, expected {expected[role]}"
    )
    if response.status_code == 302:
        assert response["Location"].startswith(reverse("account_login"))
    if role == "consultant_b" and response.status_code < 300 and _url_name(url) not in DOCUMENTATION:
        # Whatever store B's staff may open shows nothing of store A.
        body = response.getvalue().decode()  # getvalue(): streamed downloads too
        leaks = [m for m in (member_a.name, member_a.mobile, member_a.masked_mobile, member_a.store.name) if m in body]
        assert not leaks, f"{method} {path} shows store A's {leaks} to store B's consultant"


def _names_under(resolver, prefix=()):
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            yield from _names_under(pattern, prefix + ((pattern.namespace,) if pattern.namespace else ()))
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield ":".join(prefix + (pattern.name,))


def test_matrix_covers_every_view():
    names = {name for name in _names_under(get_resolver()) if name.split(":")[0] in {"portal", "api"}}
    covered = {_url_name(row[0]) for row in MATRIX} | set(NOT_IN_MATRIX)
    assert names - covered == set(), "add a MATRIX row for each new view"
    assert covered - names == set(), "MATRIX names a URL that no longer exists"


def test_matrix_rows_name_every_role():
    for row in MATRIX:
        assert set(row[2]) == set(ROLES), f"{row[:2]} must give a status for every role"


# --- stores_for: the one definition of "which stores" ------------------------------------------


@pytest.mark.django_db
class TestStoresFor:
    def test_store_roles_see_their_own_store(self, store_a, store_b, consultant_a, consultant_b, manager_a, make_staff):
        assert list(stores_for(consultant_a)) == [store_a]
        assert list(stores_for(manager_a)) == [store_a]
        assert list(stores_for(consultant_b)) == [store_b]
        for role in (Role.DCC, Role.INSURANCE, Role.USEDCAR):
            assert list(stores_for(make_staff(role, store_b))) == [store_b]
        assert store_ids_for(consultant_a) == [store_a.pk]

    def test_group_roles_see_every_store(self, store_a, store_b, hq, admin_user):
        assert set(stores_for(hq)) == {store_a, store_b}
        assert set(stores_for(admin_user)) == {store_a, store_b}
        assert store_ids_for(hq) is None

    def test_superuser_sees_every_store_whatever_the_role(self, store_a, store_b, make_staff):
        superuser = make_staff(Role.OWNER, None, is_superuser=True)
        assert set(stores_for(superuser)) == {store_a, store_b}

    def test_owner_anonymous_and_inactive_see_none(self, store_a, store_b, owner_a, make_staff):
        from django.contrib.auth.models import AnonymousUser

        assert not stores_for(owner_a).exists()
        assert not stores_for(AnonymousUser()).exists()
        assert not stores_for(None).exists()
        assert not stores_for(make_staff(Role.CONSULTANT, store_a, is_active=False)).exists()
        assert not stores_for(make_staff(Role.HQ, None, is_active=False)).exists()
        assert store_ids_for(owner_a) == []

    def test_scope_and_scoped_get(self, store_a, member_a, member_b, consultant_a, consultant_b, hq):
        from django.http import Http404

        from accounts.models import Member

        assert list(scope(Member.objects.all(), consultant_a)) == [member_a]
        assert list(scope(Member.objects.all(), consultant_b)) == [member_b]
        assert set(scope(Member.objects.all(), hq)) == {member_a, member_b}
        assert scoped_get(Member.objects.all(), consultant_a, pk=member_a.pk) == member_a
        for bad in (member_b.pk, 10**9, "abc", None):
            with pytest.raises(Http404):
                scoped_get(Member.objects.all(), consultant_a, pk=bad)


# --- Lists hold only the actor's stores' rows ----------------------------------------------


def _ids(response) -> set[int]:
    return {row["id"] for row in response.json()["results"]}


@pytest.mark.django_db
class TestScopedLists:
    @pytest.fixture(autouse=True)
    def _members(self, make_member, store_a, store_b, member_a, member_b):
        self.a_members = {member_a.pk, make_member(store_a, name="陈静").pk}
        self.b_members = {member_b.pk}

    def test_api_member_list(self, api_as, consultant_a, consultant_b, manager_a, hq):
        assert _ids(api_as(consultant_a).get("/api/v1/members/")) == self.a_members
        assert _ids(api_as(manager_a).get("/api/v1/members/")) == self.a_members
        assert _ids(api_as(consultant_b).get("/api/v1/members/")) == self.b_members
        assert _ids(api_as(hq).get("/api/v1/members/")) == self.a_members | self.b_members

    def test_api_member_search_and_filters_stay_in_scope(self, api_as, consultant_b, store_a, member_a):
        client = api_as(consultant_b)
        assert _ids(client.get("/api/v1/members/", {"q": "李娜"})) == set()
        assert _ids(client.get("/api/v1/members/", {"q": "5678"})) == set()
        # Another store's id is refused like an unknown one: no hint that it exists.
        other = client.get("/api/v1/members/", {"store": store_a.pk})
        unknown = client.get("/api/v1/members/", {"store": 10**9})
        assert other.status_code == unknown.status_code == 400
        assert other.json()["fields"].keys() == unknown.json()["fields"].keys() == {"store"}

    def test_api_member_filter_by_own_store(self, api_as, hq, consultant_a, store_a, store_b):
        assert _ids(api_as(hq).get("/api/v1/members/", {"store": store_b.pk})) == self.b_members
        assert _ids(api_as(consultant_a).get("/api/v1/members/", {"store": store_a.pk})) == self.a_members

    def test_api_store_list(self, api_as, store_a, store_b, consultant_a, consultant_b, hq, admin_user):
        assert _ids(api_as(consultant_a).get("/api/v1/stores/")) == {store_a.pk}
        assert _ids(api_as(consultant_b).get("/api/v1/stores/")) == {store_b.pk}
        assert _ids(api_as(hq).get("/api/v1/stores/")) == {store_a.pk, store_b.pk}
        assert _ids(api_as(admin_user).get("/api/v1/stores/")) == {store_a.pk, store_b.pk}

    def test_portal_member_list(self, client, consultant_a, consultant_b, hq):
        client.force_login(consultant_b)
        response = client.get(reverse("portal:member-list"))
        assert {m.pk for m in response.context["members"]} == self.b_members
        assert "李娜" not in response.content.decode()
        client.force_login(consultant_a)
        assert {m.pk for m in client.get(reverse("portal:member-list")).context["members"]} == self.a_members
        searched = client.get(reverse("portal:member-list"), {"q": "张伟"})  # store B's member
        assert list(searched.context["members"]) == []
        client.force_login(hq)
        assert {m.pk for m in client.get(reverse("portal:member-list")).context["members"]} == self.a_members | self.b_members

    def test_dashboard_counts(self, client, consultant_a, consultant_b, manager_a, hq):
        # store A: 2 members with a vehicle each; staff consultant_a and manager_a.
        assert selectors.dashboard_counts(actor=consultant_a) == {
            "stores": 1, "members": 2, "vehicles": 2, "consenting": 0, "staff": 2}
        assert {m.pk for m in selectors.member_list(actor=consultant_a)[:8]} == self.a_members
        assert [s.code for s in selectors.store_list(actor=consultant_a)] == ["S01"]
        assert selectors.outbox_counts(actor=consultant_a) == {}
        assert selectors.dashboard_counts(actor=consultant_b) == {
            "stores": 1, "members": 1, "vehicles": 1, "consenting": 0, "staff": 1}
        # A consultant's home is their day (the leads panel), not the store counts.
        client.force_login(consultant_a)
        response = client.get(reverse("portal:dashboard"))
        assert not response.context["show_overview"] and "counts" not in response.context
        client.force_login(hq)
        counts = client.get(reverse("portal:dashboard")).context["counts"]
        # every store; staff: consultant_a, consultant_b, manager_a and hq itself.
        assert counts == {"stores": 2, "members": 3, "vehicles": 3, "consenting": 0, "staff": 4}

    def test_selectors_refuse_other_store_objects(self, consultant_b, member_a, store_a):
        from django.http import Http404

        with pytest.raises(Http404):
            selectors.member_get(actor=consultant_b, pk=member_a.pk)
        with pytest.raises(Http404):
            selectors.vehicle_list_for_member(actor=consultant_b, member_id=member_a.pk)
        with pytest.raises(Http404):
            selectors.store_get(actor=consultant_b, pk=store_a.pk)
        assert not selectors.audit_list(actor=consultant_b).exists()
        assert Store.objects.count() == 2
