"""Explicit ``to_representation`` for the hot owner endpoints.

A DRF serializer builds its fields on every instantiation (a
``ModelSerializer`` reflects over the model each time) and then runs each
field's ``get_attribute`` / ``to_representation`` per object, with
``inspect.signature`` checks on callables and a lazy translation per
``get_FOO_display``.  The owner endpoints' serializers keep their declared
fields — the schema and the input validation are theirs — but answer
through a plain function that writes the same body.  The values go through
these module-level DRF fields, so dates, times and decimals are formatted
exactly as the declared fields would; ``tests/accounts/test_api_representation.py``
proves each explicit body equal to the generic DRF one.

``choice_label(choices, value)`` is ``get_FOO_display`` without a lazy
translation per row: the labels of the active language, translated once per
process and language."""

from __future__ import annotations

from django.utils.translation import get_language
from rest_framework import serializers

_DATETIME = serializers.DateTimeField()
_DATE = serializers.DateField()
_MONEY = serializers.DecimalField(max_digits=12, decimal_places=2)
_LABELS: dict[tuple[type, str | None], dict[str, str]] = {}


def datetime_out(value):
    """As ``serializers.DateTimeField``: ISO 8601 in the current time zone, None for empty."""
    return _DATETIME.to_representation(value) if value else None


def date_out(value):
    return _DATE.to_representation(value) if value else None


def decimal_out(value):
    """As a ``serializers.DecimalField`` of two places (a string)."""
    return None if value is None else _MONEY.to_representation(value)


def choice_label(choices, value) -> str:
    """``get_FOO_display()`` of ``value`` in a ``TextChoices`` class (the value itself when unknown)."""
    key = (choices, get_language())
    table = _LABELS.get(key)
    if table is None:
        table = _LABELS[key] = {str(v): str(label) for v, label in choices.choices}
    return table.get(value, value)
