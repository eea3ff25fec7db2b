"""Set-based reads and writes the ORM makes slow: many rows, each to its own value.

The bulk jobs (the DMS import job, daily care) touch thousands of rows per
statement, where Django spends more time building the SQL than the database
takes to run it: model instances for every row, a ``%s`` per value that
psycopg then splits and quotes in Python, ``Case(*[When(pk=..., then=...)])``
compiled per row.  These helpers write and read the same rows as plain
tuples, with a fixed number of statements:

- ``insert_rows``: ``COPY ... FROM STDIN`` on PostgreSQL (psycopg's C copy),
  one ``executemany`` INSERT elsewhere (SQLite); no model instances, no
  ``RETURNING`` (look the rows up by a unique key when their ids matter);
- ``update_by_pk``: each row's column set to (or moved by) its own value: on
  PostgreSQL one ``UPDATE ... FROM unnest(ids, values)``, elsewhere
  ``CASE "id" WHEN %s THEN %s ... END`` per ``BATCH`` rows; optionally
  returning the new values;
- ``AnyOf``: ``field IN (...)`` as a single array parameter on PostgreSQL
  (``= ANY(%s)``), an ordinary ``IN`` elsewhere:
  ``Member.objects.filter(AnyOf(F("mobile"), mobiles))``.

Values are what the model field holds (aware datetimes, ``Decimal``, dicts
for JSON); a field that needs converting for the database is converted with
its own ``get_db_prep_save``, as ``bulk_create`` would.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.db import connection
from django.db.models import NOT_PROVIDED
from django.db.models.lookups import In
from django.utils import timezone

BATCH = 500
# Field types whose Python values the database driver takes as they are (PostgreSQL
# also takes aware datetimes, dates and Decimals as they are: COPY sends them as text).
_AS_IS = {"AutoField", "BigAutoField", "SmallAutoField", "IntegerField", "BigIntegerField", "SmallIntegerField",
          "PositiveIntegerField", "PositiveBigIntegerField", "PositiveSmallIntegerField", "CharField", "TextField",
          "SlugField", "EmailField", "URLField", "BooleanField"}
_AS_IS_POSTGRESQL = _AS_IS | {"DecimalField", "DateTimeField", "DateField"}


class AnyOf(In):
    """``IN (...)`` over a long list: on PostgreSQL one array parameter,
    ``"column" = ANY(%s)`` (psycopg quotes one array instead of splitting a
    query with thousands of placeholders); elsewhere Django's ``IN``."""

    def as_postgresql(self, compiler, conn):
        lhs, lhs_params = self.process_lhs(compiler, conn)
        return f"{lhs} = ANY(%s)", [*lhs_params, list(self.rhs)]


def _converter(field):
    as_is = _AS_IS_POSTGRESQL if connection.vendor == "postgresql" else _AS_IS
    target = field.target_field if field.is_relation else field
    if target.get_internal_type() in as_is:
        return None
    return lambda value: target.get_db_prep_save(value, connection)


def _defaults(model, given: set):
    """The other concrete fields and how to fill them: (field, value or None, callable or None).
    Fields with a database default, and an auto primary key, are left to the database."""
    now = timezone.now()
    filled = []
    for field in model._meta.concrete_fields:
        if field.attname in given or field.name in given or field.auto_created and field.primary_key:
            continue
        if getattr(field, "db_default", NOT_PROVIDED) is not NOT_PROVIDED:
            continue
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            filled.append((field, now, None))
        elif field.has_default() and callable(field.default):
            filled.append((field, None, field.default))
        else:
            filled.append((field, field.get_default(), None))
    return filled


def insert_rows(model, *, fields: Sequence[str], rows: Iterable[Sequence]) -> int:
    """Insert ``rows`` (tuples in the order of ``fields``: field names or
    attnames, ``member_id``) into ``model``'s table; every other field gets
    its default (a callable default is called per row), an auto primary key
    and ``db_default`` fields the database's.  No signals, no ``save()``, no
    ids back.  Call inside a transaction; a unique or check violation raises
    ``IntegrityError`` as ``bulk_create`` does.  Returns the number of rows."""
    meta = model._meta
    given = [meta.get_field(name) for name in fields]
    extra = _defaults(model, set(fields))
    constants = [(field, value) for field, value, call in extra if call is None]
    per_row = [(field, call) for field, _value, call in extra if call is not None]
    # each row is written as: its values, the constant defaults, the per-row defaults
    targets = [*given, *(field for field, _value in constants), *(field for field, _call in per_row)]
    columns = [field.column for field in targets]
    convert = [(i, fn) for i, fn in enumerate(_converter(field) for field in targets) if fn is not None]
    constant = tuple(value for _field, value in constants)
    calls = [call for _field, call in per_row]

    def full_rows():
        for row in rows:
            values = (*row, *constant, *(call() for call in calls)) if calls else (*row, *constant)
            if convert:
                values = list(values)
                for i, fn in convert:
                    if values[i] is not None:
                        values[i] = fn(values[i])
            yield values

    quote = connection.ops.quote_name
    table = quote(meta.db_table)
    names = ", ".join(quote(column) for column in columns)
    count = 0
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with connection.wrap_database_errors, cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for values in full_rows():
                    copy.write_row(values)
                    count += 1
        else:
            batch = []
            sql = f"INSERT INTO {table} ({names}) VALUES ({', '.join(['%s'] * len(columns))})"
            for values in full_rows():
                batch.append(values)
                if len(batch) == 10 * BATCH:
                    cursor.executemany(sql, batch)
                    count += len(batch)
                    batch = []
            if batch:
                cursor.executemany(sql, batch)
                count += len(batch)
    return count


def update_by_pk(model, *, column: str, values: dict[int, int], add: bool = False,
                 returning: bool = False) -> int | dict[int, int]:
    """Set ``column`` of each row ``pk`` to ``values[pk]`` (or add it, with
    ``add``).  Integer columns only.  Returns the number of rows updated, or
    with ``returning`` each updated row's new value (``{pk: value}``)."""
    quote = connection.ops.quote_name
    table, pk = quote(model._meta.db_table), quote(model._meta.pk.column)
    field = quote(model._meta.get_field(column).column)
    items = [(int(key), int(value)) for key, value in values.items()]
    updated: dict[int, int] = {}
    count = 0
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            target = f"{table}.{field} + v.value" if add else "v.value"
            cursor.execute(
                f"UPDATE {table} SET {field} = {target} FROM unnest(%s::bigint[], %s::bigint[]) AS v(pk, value) "
                f"WHERE {table}.{pk} = v.pk" + (f" RETURNING {table}.{pk}, {table}.{field}" if returning else ""),
                [[key for key, _value in items], [value for _key, value in items]])
            if returning:
                updated.update(cursor.fetchall())
            count = len(updated) if returning else cursor.rowcount
        else:
            for start in range(0, len(items), BATCH):
                batch = items[start:start + BATCH]
                cases = " ".join(["WHEN %s THEN %s"] * len(batch))
                marks = ", ".join(["%s"] * len(batch))
                target = f"{field} + CASE {pk} {cases} END" if add else f"CASE {pk} {cases} END"
                params = [p for item in batch for p in item] + [key for key, _value in batch]
                cursor.execute(f"UPDATE {table} SET {field} = {target} WHERE {pk} IN ({marks})"
                               + (f" RETURNING {pk}, {field}" if returning else ""), params)
                if returning:
                    updated.update(cursor.fetchall())
                else:
                    count += cursor.rowcount
    return updated if returning else count
