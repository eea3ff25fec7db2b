"""The one writer of every spreadsheet export (README "Exports").

Format: CSV, comma-separated, CRLF line ends, UTF-8 with a byte-order mark (so
Excel in China opens it as UTF-8 instead of GBK), text cells in double quotes.

Text that a spreadsheet would read as a formula — starting with ``=``, ``+``,
``-``, ``@``, a tab or a carriage return (OWASP, "CSV Injection") — is written
with a leading ``'``, so a member named ``=HYPERLINK(...)`` stays text.  Numbers
passed as numbers (``int``, ``Decimal``, ``float``) are written bare and stay
numbers, so an amount of ``-120.50`` is still ``-120.50`` in Excel: give this
module the number, not its text.

The response streams: rows are pulled from the caller's iterable while the
file downloads (a queryset's ``.iterator()`` keeps memory flat), rendered in
the language that was active when the response was built.  Scoping and the
audit row (``accounts.services.export_record``) stay with the caller.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from itertools import islice

from django.http import StreamingHttpResponse
from django.utils import translation
from django.utils.http import content_disposition_header

BOM = "\ufeff"
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
_ROWS_PER_CHUNK = 500


def csv_cell(value):
    """One cell as it is written: numbers as numbers, ``None`` as empty,
    everything else as text with formula-looking text neutralised."""
    if value is None:
        return ""
    if isinstance(value, (int, Decimal, float)) and not isinstance(value, bool):
        return value
    text = str(value)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


class _Line:
    """A file-like object whose ``write`` hands back what it is given, so a
    ``csv.writer`` renders one row at a time."""

    def write(self, text: str) -> str:
        return text


def csv_lines(rows: Iterable[Sequence]) -> Iterator[str]:
    """The file as text: the BOM, then one CSV line per row (unquoted numbers,
    quoted text, ``QUOTE_NONNUMERIC``)."""
    writer = csv.writer(_Line(), quoting=csv.QUOTE_NONNUMERIC)
    yield BOM
    for row in rows:
        yield writer.writerow([csv_cell(value) for value in row])


def csv_response(rows: Iterable[Sequence], *, filename: str) -> StreamingHttpResponse:
    """A streaming download of ``rows`` (header row included) as ``filename``."""
    response = StreamingHttpResponse(_encoded(rows, translation.get_language()), content_type=CSV_CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    response["Cache-Control"] = "no-store"  # personal data: no copy in a shared cache
    return response


def _encoded(rows: Iterable[Sequence], language: str | None) -> Iterator[bytes]:
    lines = csv_lines(rows)
    while True:
        # Rows are produced lazily, after the view has returned: render them
        # in the request's language, a chunk of rows per write.
        with translation.override(language):
            chunk = "".join(islice(lines, _ROWS_PER_CHUNK))
        if not chunk:
            return
        yield chunk.encode("utf-8")
