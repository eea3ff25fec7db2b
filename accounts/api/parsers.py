"""JSON request bodies with bounded size and depth.

Python's ``json`` module parses nested arrays and objects recursively: a body
such as ``[[[[…]]]]`` a few thousand levels deep raises ``RecursionError``,
which Django answers with a 500.  Every JSON body is therefore measured before
it is parsed, without recursion, and refused when it nests deeper than
``settings.JSON_MAX_DEPTH`` levels (64 by default) or is larger than
``settings.DATA_UPLOAD_MAX_MEMORY_SIZE`` bytes:

* ``JSONParser`` (the API's default parser) raises ``JSONTooDeep`` (400) or
  ``RequestDataTooBig`` (413), both answered in the API's error shape;
* ``accounts.middleware.RequestBodyLimitsMiddleware`` applies the same limits
  to every JSON body before any view runs, including allauth's headless
  sign-in views, which parse ``request.body`` themselves.
"""

from __future__ import annotations

import re

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop
from rest_framework import parsers, status
from rest_framework.exceptions import ParseError
from rest_framework.utils import json

# Marked for makemessages (gettext_noop), translated when used: the limit is
# filled in after translating.
JSON_TOO_DEEP = gettext_noop("提交的 JSON 嵌套层数过多（最多 %(limit)s 层）。")
# A body that is not JSON (or not in its declared encoding).  The parser's own
# English text says nothing a caller needs and was never translated.
JSON_INVALID = gettext_lazy("请求体不是有效的 JSON。")

# A JSON string: the quotes and everything between them, escapes included.
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_OPENERS = b"[{"
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")


def json_depth_exceeds(body: str | bytes, limit: int) -> bool:
    """True when ``body`` opens more than ``limit`` arrays/objects inside one
    another.  Strings are cut out, then the running count of the brackets left
    is followed in a loop (no recursion, linear time).  For a valid document
    this is exactly its depth; for a broken one it is never less than the
    depth a recursive parser would reach before failing, so a body that passes
    cannot make ``json.loads`` recurse more than ``limit`` levels."""
    if isinstance(body, str):
        body = body.encode("utf-8", "surrogatepass")
    if body.count(b"[") + body.count(b"{") <= limit:
        return False  # the common case: too few brackets to nest that deep
    brackets = _STRING.sub(b"", body).translate(None, _NOT_BRACKETS)
    depth = 0
    for byte in brackets:
        if byte in _OPENERS:
            depth += 1
            if depth > limit:
                return True
        else:
            depth -= 1
    return False


def json_too_deep_message() -> str:
    return _(JSON_TOO_DEEP) % {"limit": settings.JSON_MAX_DEPTH}


class JSONTooDeep(ParseError):
    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "json_too_deep"

    def __init__(self, detail=None, code=None):
        super().__init__(detail or json_too_deep_message(), code)


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser with the size and depth limits checked first."""

    def parse(self, stream, media_type=None, parser_context=None):
        encoding = parsers.get_encoding(parser_context or {})
        size_limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        raw = stream.read() if size_limit is None else stream.read(size_limit + 1)
        if size_limit is not None and len(raw) > size_limit:
            raise RequestDataTooBig("Request body exceeded settings.DATA_UPLOAD_MAX_MEMORY_SIZE.")
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError as exc:
            raise ParseError(JSON_INVALID) from exc
        if json_depth_exceeds(text, settings.JSON_MAX_DEPTH):
            raise JSONTooDeep()
        try:
            return json.loads(text, parse_constant=json.strict_constant if self.strict else None)
        except ValueError as exc:
            raise ParseError(JSON_INVALID) from exc
        except RecursionError as exc:  # only if the stack was already deep
            raise JSONTooDeep() from exc
