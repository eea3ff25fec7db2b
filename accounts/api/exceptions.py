"""One JSON shape for every 4xx API answer:
``{"code": "...", "detail": "...", "fields": {"field": ["message"]}}``."""

from __future__ import annotations

import json
import logging
from pathlib import Path

from django.core.exceptions import NON_FIELD_ERRORS, RequestDataTooBig, SuspiciousOperation
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from accounts.exceptions import ApplicationError
from accounts.api.parsers import json_too_deep_message

# Marked for makemessages (gettext_noop), translated where they are used.
DETAIL_INVALID = gettext_noop("提交的数据有误，请检查标注的字段。")
DETAIL_TOO_LARGE = gettext_noop("提交的数据过大。")
DETAIL_BAD_REQUEST = gettext_noop("请求无效。")
# Where Python's JSON parser lives: a RecursionError raised in there is input
# nested too deep, anywhere else it is a bug.
_JSON_PACKAGE = Path(json.__file__).resolve().parent


def _raised_parsing_json(exc: BaseException) -> bool:
    """The innermost frame of ``exc`` is in the ``json`` package: a JSON text
    (a body, or a ``JSONField(binary=True)`` value) nested deeper than the
    parser's stack, which the body limits could not see."""
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    return tb is not None and Path(tb.tb_frame.f_code.co_filename).resolve().parent == _JSON_PACKAGE


def _flatten(detail, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested error dicts/lists → {"field" or "field.sub": [messages]}."""
    fields: dict[str, list[str]] = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            for sub_key, messages in _flatten(value, name).items():
                fields.setdefault(sub_key, []).extend(messages)
    elif isinstance(detail, list):
        if all(not isinstance(item, (dict, list)) for item in detail):
            fields[prefix or "non_field_errors"] = [str(item) for item in detail]
        else:
            for index, item in enumerate(detail):
                for sub_key, messages in _flatten(item, f"{prefix}.{index}" if prefix else str(index)).items():
                    fields.setdefault(sub_key, []).extend(messages)
    else:
        fields[prefix or "non_field_errors"] = [str(detail)]
    return fields


def error_body(code: str, detail: str, fields: dict | None = None) -> dict:
    return {"code": code, "detail": str(detail), "fields": fields or {}}


def exception_handler(exc, context):
    if isinstance(exc, ApplicationError):
        fields = {key: [str(m) for m in (value if isinstance(value, (list, tuple)) else [value])] for key, value in exc.fields.items()}
        return Response(error_body(exc.code, str(exc.message), fields), status=exc.status_code)
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "error_dict"):
            fields = {
                ("non_field_errors" if key == NON_FIELD_ERRORS else key): [str(m) for m in messages]
                for key, messages in exc.message_dict.items()
            }
        else:
            fields = {"non_field_errors": [str(m) for m in exc.messages]}
        return Response(error_body("invalid", _(DETAIL_INVALID), fields), status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, SuspiciousOperation):
        # Raised while DRF reads the body (DATA_UPLOAD_MAX_MEMORY_SIZE, too
        # many fields): Django would answer with its HTML 400 page.  Logged
        # where Django logs it, so security monitoring still sees it.
        logging.getLogger(f"django.security.{type(exc).__name__}").error(str(exc))
        if isinstance(exc, RequestDataTooBig):
            return Response(error_body("request_too_large", _(DETAIL_TOO_LARGE)), status=413)
        return Response(error_body("bad_request", _(DETAIL_BAD_REQUEST)), status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, RecursionError) and _raised_parsing_json(exc):
        # JSON nested deeper than the parser copes with, which the body limits
        # could not see (JSON text inside a form field, say): bad input.  Any
        # other RecursionError is a bug: None below, Django logs it, 500.
        return Response(error_body("json_too_deep", json_too_deep_message()), status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()

    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # a real bug: let Django log it and answer 500
    if isinstance(exc, exceptions.ValidationError):
        response.data = error_body("invalid", _(DETAIL_INVALID), _flatten(exc.detail))
    else:
        detail = exc.detail if isinstance(exc, exceptions.APIException) else str(exc)
        code = exc.get_codes() if isinstance(exc, exceptions.APIException) else "error"
        if isinstance(code, dict) or isinstance(code, list):
            code = getattr(exc, "default_code", "error")
        if isinstance(detail, dict) or isinstance(detail, list):
            response.data = error_body(str(code), str(getattr(exc, "default_detail", "")), _flatten(detail))
        else:
            response.data = error_body(str(code), str(detail))
    return response
