"""Extension points of ``accounts`` for the apps above it (CONVENTIONS.md §1).

accounts never imports a higher app.  When an owner does something a higher
app rewards (completes the profile, adds a car), the accounts service calls
``member_event``; membership registers its handler in ``AppConfig.ready()``.
Handlers run inside the caller's transaction and must be idempotent."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

PROFILE_COMPLETED = "profile_completed"
VEHICLE_ADDED = "vehicle_added"

_HANDLERS: dict[str, list[Callable[..., None]]] = defaultdict(list)


def register_member_event(kind: str, handler: Callable[..., None]) -> None:
    if handler not in _HANDLERS[kind]:
        _HANDLERS[kind].append(handler)


def member_event(kind: str, *, member, **data) -> None:
    for handler in _HANDLERS.get(kind, ()):
        handler(member=member, **data)


# --- the owner's mini-site home ----------------------------------------------------------------
# Higher apps add panels to /m/ (points, check-in ...): ``panel(*, request, member)``
# returns rendered HTML ("" to show nothing).  Registered in ``AppConfig.ready()``.
_HOME_PANELS: list[Callable[..., str]] = []


def register_mobile_home_panel(panel: Callable[..., str]) -> None:
    if panel not in _HOME_PANELS:
        _HOME_PANELS.append(panel)


def mobile_home_panels(*, request, member) -> list[str]:
    return [html for panel in _HOME_PANELS if (html := panel(request=request, member=member))]


# --- the portal home ---------------------------------------------------------------------------
# Higher apps add panels to the portal dashboard (/portal/): ``panel(*, request)`` returns
# rendered HTML ("" to show nothing), in registration order.  Store staff who get a panel see
# the panels instead of the store counts (their day, not counts); group-wide users keep the
# group overview above the panels.  Registered in ``AppConfig.ready()``.
_DASHBOARD_PANELS: list[Callable[..., str]] = []


def register_dashboard_panel(panel: Callable[..., str]) -> None:
    if panel not in _DASHBOARD_PANELS:
        _DASHBOARD_PANELS.append(panel)


def dashboard_panels(*, request) -> list[str]:
    return [html for panel in _DASHBOARD_PANELS if (html := panel(request=request))]


# --- demo data ---------------------------------------------------------------------------------
# ``seed_demo`` runs each higher app's step after accounts' stores, staff and members exist, in
# registration order (INSTALLED_APPS order).  A step is the dotted path of a function taking
# ``rng`` and ``stdout`` and must be idempotent; it is imported only when ``seed_demo`` runs.
DEMO_STEPS: list[str] = []


def register_demo_step(path: str) -> None:
    if path not in DEMO_STEPS:
        DEMO_STEPS.append(path)
