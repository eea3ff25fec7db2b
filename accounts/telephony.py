"""Telephony (privacy-number calls): one small interface, chosen by setting.

``settings.TELEPHONY_BACKEND`` names the class.  The leads app's call screen
uses ``start_call``; providers post call events and transcript segments to a
webhook.  ``LocalTelephony`` simulates calls for development.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.utils.module_loading import import_string


class Telephony:
    def start_call(self, *, caller_phone: str, callee_phone: str, reference: str) -> str:  # pragma: no cover
        """Bridge the consultant and the customer through a privacy number;
        return the provider's call id."""
        raise NotImplementedError


class LocalTelephony(Telephony):
    def start_call(self, *, caller_phone: str, callee_phone: str, reference: str) -> str:
        return f"local-call-{uuid.uuid4().hex[:12]}"


def get_telephony() -> Telephony:
    return import_string(settings.TELEPHONY_BACKEND)()
