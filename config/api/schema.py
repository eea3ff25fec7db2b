"""drf-spectacular hooks shared by every app's API."""

from __future__ import annotations

ERROR_REF = {"$ref": "#/components/schemas/Error"}


def add_common_error_responses(result, generator, request, public):
    """Any operation that takes a body can answer 415 (a body DRF cannot parse
    as a supported media type) in the one error shape: document it once here
    instead of on every view."""
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            if not isinstance(operation, dict) or "requestBody" not in operation:
                continue
            operation.setdefault("responses", {}).setdefault(
                "415",
                {"description": "unsupported media type", "content": {"application/json": {"schema": ERROR_REF}}},
            )
    return result
