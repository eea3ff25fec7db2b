"""``{% load membership_points %}{% points_history member %}``: the points
history card for the member 360 page (expects a ``Member``)."""

from __future__ import annotations

from django import template

from membership.selectors import points as selectors

register = template.Library()


@register.inclusion_tag("portal/membership/_points.html", takes_context=True)
def points_history(context, member, limit: int = 20):
    return {
        "member": member,
        "balance": selectors.points_balance(member=member),
        "expiring": selectors.points_expiring(member=member),
        "entries": selectors.points_history(member=member, limit=limit),
        "request": context.get("request"),
    }
