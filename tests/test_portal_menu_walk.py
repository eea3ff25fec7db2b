"""Every page a role may open is reachable from its menu.

For each staff role this signs in, starts at the dashboard and follows the
menu and every portal link on the pages it reaches (breadth first, within
``/portal/``, a few pages per URL name).  It then asks the URL resolver for
every portal page (a view that answers GET) and checks that each one the role
may open was found:

- a page without URL arguments is tried directly: a 200 means the role may
  open it (an htmx fragment, HTML without a document around it, belongs to
  its page and is not counted; files such as CSV exports and images are);
- a page about one object (``<pk>``) is tried with the objects of the
  permission matrix (its GET rows, ``tests/test_permission_matrix.py``); those
  objects exist during the walk, so list pages link to them.

Nothing here names today's pages: a new page that no menu or page links to
fails this test, and so does a menu entry or a link that answers 403/404.
"""

from __future__ import annotations

import html
import re
from collections import Counter, deque
from urllib.parse import urljoin, urlsplit

import pytest
from django.urls import Resolver404, URLPattern, URLResolver, get_resolver, resolve, reverse

from accounts.models import STAFF_ROLES, Role
from accounts.portal.mixins import portal_view
from tests.matrix import OBJECTS
from tests.test_permission_matrix import MATRIX

PORTAL = "/portal/"
PAGES_PER_NAME = 3  # bounded: a few lists, details and filters per URL name
MAX_PAGES = 400
BROKEN = {403, 404, 405, 500}

# Staff roles and how to get a user of that role in store A (the matrix's store).
WALKERS = {
    Role.CONSULTANT: lambda fx: fx("consultant_a"),
    Role.DCC: lambda fx: fx("make_staff")(Role.DCC, fx("store_a"), username="s01_dcc"),
    Role.MANAGER: lambda fx: fx("manager_a"),
    Role.INSURANCE: lambda fx: fx("make_staff")(Role.INSURANCE, fx("store_a"), username="s01_insurance"),
    Role.USEDCAR: lambda fx: fx("make_staff")(Role.USEDCAR, fx("store_a"), username="s01_usedcar"),
    Role.HQ: lambda fx: fx("hq"),
    Role.ADMIN: lambda fx: fx("admin_user"),
}

LINK = re.compile(r"""<([a-zA-Z][\w-]*)\b([^>]*)>""")
ATTR = re.compile(r"""([\w:-]+)\s*=\s*("([^"]*)"|'([^']*)')""")


def _portal_patterns():
    """(URL name, takes arguments, answers GET) for every named portal URL."""

    def walk(resolver, prefix=(), route=""):
        for pattern in resolver.url_patterns:
            if isinstance(pattern, URLResolver):
                ns = prefix + ((pattern.namespace,) if pattern.namespace else ())
                yield from walk(pattern, ns, route + str(pattern.pattern))
            elif isinstance(pattern, URLPattern) and pattern.name:
                yield ":".join(prefix + (pattern.name,)), route + str(pattern.pattern), pattern

    for name, route, pattern in walk(get_resolver()):
        if not name.startswith("portal:"):
            continue
        view = getattr(pattern.callback, "view_class", None)
        answers_get = view is None or ("get" in view.http_method_names and hasattr(view, "get"))
        yield name, bool(pattern.pattern.converters) or "<" in route, answers_get


def _links(body: str, base: str) -> list[str]:
    """Portal URLs a person can reach from a page: links, images, htmx GETs
    and GET forms (POST forms are actions, not pages)."""
    found = []
    for tag, attrs in LINK.findall(body):
        values = {m.group(1).lower(): html.unescape(m.group(3) if m.group(3) is not None else m.group(4))
                  for m in ATTR.finditer(attrs)}
        targets = [values.get("href"), values.get("src"), values.get("hx-get")]
        if tag.lower() == "form" and values.get("method", "get").lower() == "get":
            targets.append(values.get("action") or base)
        for target in filter(None, targets):
            url = urljoin(base, target)
            parts = urlsplit(url)
            if parts.netloc in ("", "testserver") and parts.path.startswith(PORTAL):
                found.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return found


def _name_of(path: str) -> str | None:
    try:
        return resolve(urlsplit(path).path).view_name
    except Resolver404:
        return None


def _walk(client) -> tuple[set[str], dict[str, int], list[str]]:
    """Breadth-first from the dashboard: (URL names found, status of each
    visited URL, the menu's URLs)."""
    start = reverse("portal:dashboard")
    first = client.get(start)
    assert first.status_code == 200
    menu = [reverse(item["url"]) for section in first.context["portal_nav"] for item in section["items"]]
    found: set[str] = {"portal:dashboard"}
    statuses: dict[str, int] = {}
    per_name: Counter = Counter()
    queue = deque([start, *menu])
    seen = set(queue)
    while queue and len(statuses) < MAX_PAGES:
        url = queue.popleft()
        name = _name_of(url)
        if name is None:
            statuses[url] = 404
            continue
        found.add(name)
        if per_name[name] >= PAGES_PER_NAME:
            continue
        per_name[name] += 1
        response = client.get(url)
        statuses[url] = response.status_code
        if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
            continue
        for link in _links(response.content.decode(), url):
            found.add(_name_of(link) or link)
            if link not in seen:
                seen.add(link)
                queue.append(link)
    return found, statuses, menu


def _build(url, fx) -> str:
    if isinstance(url, str):
        return reverse(url)
    name, kwargs = url
    values = {}
    for key, ref in kwargs.items():
        obj_name, _, attr = ref.partition(".")
        values[key] = getattr(OBJECTS[obj_name](fx), attr or "pk")
    return reverse(name, kwargs=values)


def _object_urls(name: str, fx) -> list[str]:
    return [_build(row[0], fx) for row in MATRIX
            if row[1] == "GET" and not isinstance(row[0], str) and row[0][0] == name]


def _opens(client, url: str) -> bool:
    """The role may open ``url`` as a page or a file (CSV, image).  An htmx
    fragment (HTML without a document around it) is part of its page."""
    response = client.get(url)
    if response.status_code != 200:
        return False
    return "text/html" not in response.get("Content-Type", "") or b"<html" in response.content[:500].lower()


@pytest.fixture
def world(request, member_a, member_b, consultant_b):
    """Store A with one of every object the permission matrix knows."""
    fx = request.getfixturevalue
    for make in list(OBJECTS.values()):
        make(fx)
    return fx


@pytest.mark.django_db
@pytest.mark.parametrize("role", list(WALKERS), ids=[str(r) for r in WALKERS])
def test_every_page_a_role_may_open_is_reachable_from_its_menu(role, world, client):
    user = WALKERS[role](world)
    client.force_login(user)
    found, statuses, menu = _walk(client)

    broken_menu = {url: statuses.get(url) for url in menu if statuses.get(url) != 200}
    assert not broken_menu, f"{role}: menu entries that do not open: {broken_menu}"
    broken_links = {url: status for url, status in statuses.items() if status in BROKEN}
    assert not broken_links, f"{role}: links that answer an error: {broken_links}"

    missing = []
    for name, takes_args, answers_get in _portal_patterns():
        if not answers_get:
            continue  # an action (POST only), reached by its form
        urls = [reverse(name)] if not takes_args else _object_urls(name, world)
        assert urls, f"{name} is a page about one object: give it a GET row in the permission matrix"
        if name not in found and any(_opens(client, url) for url in urls):
            missing.append(name)
    assert not missing, (
        f"{role} may open {missing} but no menu entry or page links there "
        "(add it to accounts/context_processors.py NAV, or link it from its list page)"
    )


@pytest.mark.django_db
def test_menu_follows_the_views_own_roles(client, consultant_a, manager_a, hq):
    """The menu shows a page exactly to the roles its view lets in."""

    def menu_of(user):
        client.force_login(user)
        nav = client.get(reverse("portal:dashboard")).context["portal_nav"]
        return {item["url"] for section in nav for item in section["items"]}

    consultant, manager, group = menu_of(consultant_a), menu_of(manager_a), menu_of(hq)
    for page in ("portal:membership:coupon-template-list", "portal:membership:coupon-issue",
                 "portal:membership:coupon-redeem", "portal:leads:lead-list"):
        assert page in consultant
    for page in ("portal:membership:coupon-campaign", "portal:membership:transaction-import",
                 "portal:leads:lead-import"):
        assert page not in consultant
        assert page in manager and page in group
    assert "portal:audit" in group and "portal:outbox" in group
    assert "portal:audit" not in manager and "portal:outbox" not in manager


@pytest.mark.django_db
def test_member_pages_link_to_points_adjustment_and_coupon_issue(client, consultant_a, member_a):
    client.force_login(consultant_a)
    adjust = reverse("portal:membership:points-adjust", args=[member_a.pk])
    m360 = client.get(reverse("portal:membership:member-360", args=[member_a.pk])).content.decode()
    assert f'href="{adjust}"' in m360
    assert f'href="{reverse("portal:membership:coupon-issue")}?member={member_a.pk}"' in m360
    detail = client.get(reverse("portal:member-detail", args=[member_a.pk])).content.decode()
    assert f'href="{adjust}"' in detail


@pytest.mark.django_db
def test_menu_roles_come_from_the_view_not_a_second_list(client, consultant_a, monkeypatch):
    view = portal_view("portal:membership:coupon-campaign")
    client.force_login(consultant_a)

    def menu():
        nav = client.get(reverse("portal:dashboard")).context["portal_nav"]
        return {item["url"] for section in nav for item in section["items"]}

    assert "portal:membership:coupon-campaign" not in menu()
    monkeypatch.setattr(view, "roles", STAFF_ROLES)
    assert "portal:membership:coupon-campaign" in menu()
