"""Set-based writes the ORM makes slow: many rows, each to its own value.

``Case(*[When(pk=..., then=...)])`` over a thousand rows costs most of a
second to build and compile in Django before the database sees it, and
``bulk_update`` builds the same; bulk jobs (the import job, daily care) need
it in milliseconds.  The SQL is plain (``CASE "id" WHEN %s THEN %s ... END``),
the same on SQLite and PostgreSQL, with every value a parameter.
"""

from __future__ import annotations

from django.db import connection

BATCH = 500


def update_by_pk(model, *, column: str, values: dict[int, int], add: bool = False) -> int:
    """Set ``column`` of each row ``pk`` to ``values[pk]`` (or add it, with
    ``add``) in one UPDATE per ``BATCH`` rows.  Integer columns only.
    Returns the number of rows updated."""
    quote = connection.ops.quote_name
    table, pk = quote(model._meta.db_table), quote(model._meta.pk.column)
    field = quote(model._meta.get_field(column).column)
    items = [(int(key), int(value)) for key, value in values.items()]
    updated = 0
    with connection.cursor() as cursor:
        for start in range(0, len(items), BATCH):
            batch = items[start:start + BATCH]
            cases = " ".join(["WHEN %s THEN %s"] * len(batch))
            marks = ", ".join(["%s"] * len(batch))
            target = f"{field} + CASE {pk} {cases} END" if add else f"CASE {pk} {cases} END"
            params = [p for item in batch for p in item] + [key for key, _value in batch]
            cursor.execute(f"UPDATE {table} SET {field} = {target} WHERE {pk} IN ({marks})", params)
            updated += cursor.rowcount
    return updated
