"""``{% load leads_labels %}``: leads' stored codes as the labels people read."""

from django import template

from leads.models import DefeatReason

register = template.Library()


@register.filter
def defeat_reason(value):
    """A defeat reason code (``price``) as its label; free text stays as typed."""
    return DefeatReason(value).label if value in DefeatReason.values else value
