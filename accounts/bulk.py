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
  ``insert_objects`` writes unsaved instances the same way (``bulk_create``
  whose ids nobody reads);
- ``update_by_pk``: each row's column set to (or moved by) its own value: on
  PostgreSQL one ``UPDATE ... FROM unnest(ids, values)``, elsewhere
  ``CASE "id" WHEN %s THEN %s ... END`` per ``BATCH`` rows; optionally
  returning the new values;
- ``AnyOf`` and ``KeysIn``: ``field IN (...)`` as a single array parameter
  on PostgreSQL (``= ANY(%s)`` as a filter among others; ``IN (SELECT
  unnest(%s))`` to find rows by their keys through the index), an ordinary
  ``IN`` elsewhere: ``Member.objects.filter(KeysIn(F("mobile"), mobiles))``;
- ``existing_pairs``: which (a, b) pairs a table holds, without the cross
  product of two ``IN`` lists.

Values are what the model field holds (aware datetimes, ``Decimal``, dicts
for JSON); a field that needs converting for the database is converted with
its own ``get_db_prep_save``, as ``bulk_create`` would.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from decimal import Decimal

from django.db import connection
from django.db.models import NOT_PROVIDED, F
from django.db.models.lookups import In
from django.utils import timezone

BATCH = 500
# Field types whose Python values the database driver takes as they are (PostgreSQL
# also takes aware datetimes, dates and Decimals as they are: COPY sends them as text).
_AS_IS = {"AutoField", "BigAutoField", "SmallAutoField", "IntegerField", "BigIntegerField", "SmallIntegerField",
          "PositiveIntegerField", "PositiveBigIntegerField", "PositiveSmallIntegerField", "CharField", "TextField",
          "SlugField", "EmailField", "URLField", "BooleanField"}
_TEXT = {"CharField", "TextField", "SlugField", "EmailField", "URLField"}
_AS_IS_POSTGRESQL = _AS_IS | {"DecimalField", "DateTimeField", "DateField"}


class AnyOf(In):
    """``IN (...)`` over a long list, as a filter among other conditions: on
    PostgreSQL one array parameter, ``"column" = ANY(%s::type[])`` (psycopg
    quotes one array instead of splitting a query with thousands of
    placeholders), which PostgreSQL checks with a hash of the list on the
    rows the other conditions find; elsewhere Django's ``IN``.  The array
    has the column's type (``bigint``; ``text`` for strings, never a length
    that would cut a value), so the comparison is the type's own (hashable,
    indexable); a cross-type one (bigint = ANY(integer[])) would be compared
    element by element."""

    def as_postgresql(self, compiler, conn):
        lhs, lhs_params = self.process_lhs(compiler, conn)
        field = self.lhs.output_field
        text = field.get_internal_type() in _TEXT
        cast = "text" if text else field.cast_db_type(conn)
        return self.template % (lhs, f"%s::{cast}[]"), [*lhs_params, pg_array(list(self.rhs), text=text)]

    template = "%s = ANY(%s)"


class KeysIn(AnyOf):
    """``AnyOf`` for finding rows by a list of keys (a unique or indexed
    column, the only condition on it): on PostgreSQL a semi-join,
    ``"column" IN (SELECT unnest(%s::type[]))``, that looks each key up in
    the column's index.  PostgreSQL 15 costs ``= ANY`` of 2,000 keys above a
    scan of the whole table: it scans 100,000 rows (35 ms) where the index
    answers in 3 ms.  Not for a list among other conditions: there a wrong
    row estimate (a table without statistics) can make the semi-join compare
    every row with every key."""

    template = "%s IN (SELECT unnest(%s))"


def pg_array(values: list, *, text: bool = False):
    """A list as one PostgreSQL array parameter: integers (or, with ``text``,
    strings) as the array's literal text, which psycopg passes as one string
    (its list dumper quotes element by element in Python: five times slower
    for thousands of values); anything else as the list.  The
    query casts the parameter (``%s::bigint[]``)."""
    if text and all(isinstance(value, str) for value in values):
        return "{" + ",".join('"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"' for value in values) + "}"
    if not text and all(type(value) is int for value in values):
        return "{" + ",".join(map(str, values)) + "}"
    return values


def _converter(field):
    """How a value of ``field`` goes to the driver: None when as it is, else a
    function (the field's ``get_db_prep_save``; on SQLite a datetime and a
    Decimal take the backend's adapter directly, as that method ends up
    doing, without its checks per value)."""
    as_is = _AS_IS_POSTGRESQL if connection.vendor == "postgresql" else _AS_IS
    target = field.target_field if field.is_relation else field
    kind = target.get_internal_type()
    if kind in as_is:
        return None

    def prep(value):
        return target.get_db_prep_save(value, connection)

    if kind == "DateTimeField":
        adapt = connection.ops.adapt_datetimefield_value
        return lambda value: adapt(value) if type(value) is dt.datetime else prep(value)
    if kind == "DecimalField":
        return lambda value: value if type(value) is Decimal else prep(value)
    return prep


def _defaults(model, given: set):
    """The other concrete fields and how to fill them: (field, value or None, callable or None).
    Fields with a database default, and an auto primary key, are left to the database."""
    now = timezone.now()
    filled = []
    for field in model._meta.concrete_fields:
        if field.attname in given or field.name in given or (field.primary_key and field.db_returning):
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


def insert_rows(model, *, fields: Sequence[str], rows: Iterable[Sequence], ignore_conflicts: bool = False) -> int:
    """Insert ``rows`` (tuples in the order of ``fields``: field names or
    attnames, ``member_id``) into ``model``'s table; every other field gets
    its default (a callable default is called per row), an auto primary key
    and ``db_default`` fields the database's.  No signals, no ``save()``, no
    ids back.  A unique or check violation raises ``IntegrityError`` as
    ``bulk_create`` does; with ``ignore_conflicts`` a row that conflicts is
    left out (``ON CONFLICT DO NOTHING``; then one INSERT over arrays instead
    of COPY on PostgreSQL).  Call inside a transaction.  Returns the number of
    rows given."""
    meta = model._meta
    given = [meta.get_field(name) for name in fields]
    extra = _defaults(model, set(fields))
    constants = [(field, value) for field, value, call in extra if call is None]
    per_row = [(field, call) for field, _value, call in extra if call is not None]
    # each row is written as: its values, the constant defaults, the per-row defaults
    targets = [*given, *(field for field, _value in constants), *(field for field, _call in per_row)]
    constant = tuple(value for _field, value in constants)
    calls = [call for _field, call in per_row]
    if calls:
        full = ((*row, *constant, *(call() for call in calls)) for row in rows)
    elif constant:
        full = ((*row, *constant) for row in rows)
    else:
        full = rows
    return _write(model, targets, full, ignore_conflicts=ignore_conflicts)


def insert_objects(objs: Sequence, *, ignore_conflicts: bool = False) -> int:
    """``Model.objects.bulk_create(objs)`` for unsaved instances of one model
    whose ids nobody needs afterwards (audit rows, messages, coupons): their
    field values written by ``insert_rows``'s writer; auto primary keys and
    fields left to their ``db_default`` are the database's, the instances
    keep ``pk=None``."""
    if not objs:
        return 0
    model = type(objs[0])
    first = objs[0]
    targets = [field for field in model._meta.concrete_fields
               if not (field.primary_key and getattr(first, field.attname) is None)
               and not hasattr(getattr(first, field.attname), "resolve_expression")]  # DatabaseDefault
    stamped = [field for field in targets if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)]
    for obj in objs:
        for field in stamped:
            field.pre_save(obj, add=True)
    attnames = [field.attname for field in targets]
    rows = ([getattr(obj, name) for name in attnames] for obj in objs)
    return _write(model, targets, rows, ignore_conflicts=ignore_conflicts)


def _write(model, targets: list, rows: Iterable[Sequence], *, ignore_conflicts: bool) -> int:
    """Write ``rows`` (values in the order of the fields ``targets``)."""
    convert = [(i, fn) for i, fn in enumerate(_converter(field) for field in targets) if fn is not None]

    def converted():
        for row in rows:
            row = list(row)
            for i, fn in convert:
                if row[i] is not None:
                    row[i] = fn(row[i])
            yield row

    values_of = converted() if convert else rows

    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    names = ", ".join(quote(field.column) for field in targets)
    count = 0
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql" and not ignore_conflicts:
            with connection.wrap_database_errors, cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for values in values_of:
                    copy.write_row(values)
                    count += 1
        elif connection.vendor == "postgresql":
            columns = [[] for _field in targets]
            for values in values_of:
                for column, value in zip(columns, values):
                    column.append(value)
                count += 1
            if count:
                arrays = ", ".join(f"%s::{field.db_type(connection)}[]" for field in targets)
                cursor.execute(f"INSERT INTO {table} ({names}) SELECT * FROM unnest({arrays}) ON CONFLICT DO NOTHING",
                               columns)
        else:
            verb = "INSERT OR IGNORE" if ignore_conflicts else "INSERT"
            sql = f"{verb} INTO {table} ({names}) VALUES ({', '.join(['%s'] * len(targets))})"
            batch = []
            for values in values_of:
                batch.append(values)
                if len(batch) == 10 * BATCH:
                    cursor.executemany(sql, batch)
                    count += len(batch)
                    batch = []
            if batch:
                cursor.executemany(sql, batch)
                count += len(batch)
    return count


def existing_pairs(model, *, fields: tuple[str, str], pairs: Iterable[tuple]) -> set[tuple]:
    """Which of ``pairs`` (values of two columns, such as ``("member_id",
    "idempotency_key")``) rows of ``model`` hold.  On PostgreSQL one query
    with each column's values as an array (the first column's index finds
    the rows, the second list is hashed); elsewhere ``(a = %s AND b = %s) OR
    ...`` per ``BATCH`` pairs, which SQLite looks up pair by pair in a
    two-column index (two ``IN`` lists it looks up as their cross product,
    800 members × 800 keys; a row-value ``IN (VALUES ...)`` it scans).
    ``fields`` are names of concrete columns of the model."""
    pairs = set(pairs)
    if not pairs:
        return set()
    first, second = fields
    if connection.vendor == "postgresql":
        found = model.objects.filter(AnyOf(F(first), list({a for a, _b in pairs})),
                                     AnyOf(F(second), list({b for _a, b in pairs})))
        return set(found.order_by().values_list(first, second)) & pairs
    meta = model._meta
    quote = connection.ops.quote_name
    a, b = (quote(meta.get_field(name).column) for name in fields)
    items = list(pairs)
    found = set()
    with connection.cursor() as cursor:
        for start in range(0, len(items), BATCH):
            batch = items[start:start + BATCH]
            where = " OR ".join([f"({a} = %s AND {b} = %s)"] * len(batch))
            cursor.execute(f"SELECT {a}, {b} FROM {quote(meta.db_table)} WHERE {where}",
                           [value for pair in batch for value in pair])
            found.update(cursor.fetchall())
    return found & pairs


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
                [pg_array([key for key, _value in items]), pg_array([value for _key, value in items])])
            if returning:
                updated.update(cursor.fetchall())
            count = len(updated) if returning else cursor.rowcount
        else:
            returns = returning and connection.features.can_return_columns_from_insert  # SQLite 3.35+
            for start in range(0, len(items), BATCH):
                batch = items[start:start + BATCH]
                cases = " ".join(["WHEN %s THEN %s"] * len(batch))
                marks = ", ".join(["%s"] * len(batch))
                target = f"{field} + CASE {pk} {cases} END" if add else f"CASE {pk} {cases} END"
                params = [p for item in batch for p in item] + [key for key, _value in batch]
                cursor.execute(f"UPDATE {table} SET {field} = {target} WHERE {pk} IN ({marks})"
                               + (f" RETURNING {pk}, {field}" if returns else ""), params)
                if returns:
                    updated.update(cursor.fetchall())
                elif returning:
                    cursor.execute(f"SELECT {pk}, {field} FROM {table} WHERE {pk} IN ({marks})",
                                   [key for key, _value in batch])
                    updated.update(cursor.fetchall())
                else:
                    count += cursor.rowcount
    return updated if returning else count
