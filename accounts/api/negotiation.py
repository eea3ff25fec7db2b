"""Content negotiation for the API."""

from __future__ import annotations

from rest_framework.negotiation import DefaultContentNegotiation


class LenientContentNegotiation(DefaultContentNegotiation):
    """An ``Accept`` header that is present but empty (some mini-program and
    gateway clients send ``Accept:``) means what a missing one means: any
    media type, so the client gets JSON instead of 406.  A header that names
    only types the API cannot produce is still 406."""

    def get_accept_list(self, request):
        accepts = [token for token in super().get_accept_list(request) if token]
        return accepts or ["*/*"]
