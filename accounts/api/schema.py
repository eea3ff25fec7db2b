"""drf-spectacular hooks shared by every app's API."""

from __future__ import annotations

ERROR_REF = {"$ref": "#/components/schemas/Error"}


def add_common_error_responses(result, generator, request, public):
    """Answers any operation can give in the one error shape, documented once
    here instead of on every view: 406 (the ``Accept`` header names no media
    type the API produces) and, for operations that take a body, 415 (a body
    DRF cannot parse as a supported media type)."""
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            if not isinstance(operation, dict):
                continue
            responses = operation.setdefault("responses", {})
            responses.setdefault(
                "406",
                {"description": "not acceptable", "content": {"application/json": {"schema": ERROR_REF}}},
            )
            if "requestBody" in operation:
                responses.setdefault(
                    "415",
                    {"description": "unsupported media type", "content": {"application/json": {"schema": ERROR_REF}}},
                )
    return result
