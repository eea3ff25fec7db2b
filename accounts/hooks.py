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
