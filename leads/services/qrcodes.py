"""Channel QR codes (渠道二维码): one per channel/event/store."""

from __future__ import annotations

from accounts.audit import audit_record
from accounts.models import Store, User
from leads import exceptions as errors
from leads.exceptions import LeadsError
from leads.models import Channel, ChannelQRCode
from leads.services.ingest import store_allowed_check


def qr_code_check(*, channel: Channel, store: Store, actor: User) -> None:
    """Who may make a code for what: an active channel; HQ for any store,
    store staff for their own (``LeadsError`` otherwise)."""
    if not channel.is_active:
        raise LeadsError(errors.UNKNOWN_CHANNEL, code="invalid", fields={"channel": [str(errors.UNKNOWN_CHANNEL)]})
    store_allowed_check(store, actor)


def qr_code_create(*, channel: Channel, store: Store, actor: User, event_name: str = "") -> ChannelQRCode:
    """The one writer of channel QR codes (portal and admin), checked by
    ``qr_code_check`` and audited."""
    qr_code_check(channel=channel, store=store, actor=actor)
    code = ChannelQRCode.objects.create(channel=channel, store=store, event_name=event_name.strip()[:100], created_by=actor)
    audit_record(actor=actor, action="leads.qr_code.created", obj=code, data={"channel": channel.code})
    return code
