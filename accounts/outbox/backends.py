"""Delivery backends, one small interface for every outside messaging service.

``settings.SMS_BACKEND`` / ``WECHAT_BACKEND`` / ``WECOM_BACKEND`` /
``INAPP_BACKEND`` name a class with ``send(message) -> provider_message_id``.
A backend raises ``DeliveryError`` for a failure worth retrying and
``PermanentDeliveryError`` for one that is not.

The message a backend gets carries the real text to send in ``body`` and
``payload`` (a sign-in code included); ``message.secret_values`` are the
secrets in it, which nothing a person reads (logs, errors) may show:
``accounts.outbox.sealing.mask`` them.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import logging
import urllib.parse
import urllib.request
import uuid
from collections import deque
from dataclasses import dataclass

from django.conf import settings
from django.utils.module_loading import import_string

from accounts.outbox.sealing import mask

logger = logging.getLogger("dealerops.outbox")


class DeliveryError(Exception):
    """Temporary: the worker retries with backoff."""


class PermanentDeliveryError(DeliveryError):
    """The provider refused the message for good (bad number, template)."""


class BaseBackend:
    def send(self, message) -> str:  # pragma: no cover - interface
        raise NotImplementedError


@dataclass(frozen=True)
class LocalDelivery:
    """One message as ``LocalBackend`` delivered it: the real text."""

    message_id: int
    channel: str
    recipient: str
    template: str
    body: str
    payload: dict


# What the local backend delivered in this process, oldest first: the
# development "phone".  Tests read sign-in codes from it (the ``delivered``
# fixture), as Django's tests read ``mail.outbox``.  Bounded, so a long
# ``make run`` does not grow without end.
local_deliveries: deque[LocalDelivery] = deque(maxlen=1000)


class LocalBackend(BaseBackend):
    """Development: nothing leaves the machine.  The message is printed to
    the console as the phone would show it (a sign-in code included: the
    console is the developer's phone) and kept in ``local_deliveries``; the
    log line and the portal outbox show secrets masked."""

    def send(self, message) -> str:
        line = f"[outbox:{message.channel}] → {message.recipient}: {message.body}"
        print(line, flush=True)
        logger.info(mask(line, message.secret_values))
        local_deliveries.append(LocalDelivery(
            message_id=message.pk, channel=message.channel, recipient=message.recipient,
            template=message.template, body=message.body, payload=message.payload,
        ))
        return f"local-{message.pk}"


class AliyunSmsBackend(BaseBackend):
    """Production adapter for Alibaba Cloud SMS (dysmsapi ``SendSms``).

    Settings: ``ALIYUN_SMS_ACCESS_KEY_ID``, ``ALIYUN_SMS_ACCESS_KEY_SECRET``,
    ``ALIYUN_SMS_SIGN_NAME``; the message's ``template`` is the approved
    template code and ``payload`` its parameters.  ``OutId`` carries the outbox
    id so the provider's delivery receipts map back to the row.
    """

    endpoint = "https://dysmsapi.aliyuncs.com/"

    def _sign(self, params: dict[str, str]) -> str:
        def enc(value: str) -> str:
            return urllib.parse.quote(value, safe="~")

        canonical = "&".join(f"{enc(k)}={enc(v)}" for k, v in sorted(params.items()))
        to_sign = f"GET&%2F&{enc(canonical)}"
        key = (settings.ALIYUN_SMS_ACCESS_KEY_SECRET + "&").encode()
        return base64.b64encode(hmac.new(key, to_sign.encode(), hashlib.sha1).digest()).decode()

    def send(self, message) -> str:
        if not settings.ALIYUN_SMS_ACCESS_KEY_ID:
            raise PermanentDeliveryError("ALIYUN_SMS_ACCESS_KEY_ID is not configured")
        params = {
            "AccessKeyId": settings.ALIYUN_SMS_ACCESS_KEY_ID,
            "Action": "SendSms",
            "Format": "JSON",
            "PhoneNumbers": message.recipient,
            "SignName": settings.ALIYUN_SMS_SIGN_NAME,
            "TemplateCode": message.template,
            "TemplateParam": json.dumps(message.payload, ensure_ascii=False),
            "OutId": str(message.pk),
            "SignatureMethod": "HMAC-SHA1",
            "SignatureNonce": uuid.uuid4().hex,
            "SignatureVersion": "1.0",
            "Timestamp": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "Version": "2017-05-25",
        }
        params["Signature"] = self._sign(params)
        url = self.endpoint + "?" + urllib.parse.urlencode(params)
        try:
            with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - fixed https endpoint
                body = json.loads(response.read().decode())
        except OSError as exc:
            raise DeliveryError(str(exc)) from exc
        if body.get("Code") != "OK":
            if body.get("Code", "").startswith("isv."):
                raise PermanentDeliveryError(f"{body.get('Code')}: {body.get('Message')}")
            raise DeliveryError(f"{body.get('Code')}: {body.get('Message')}")
        return body.get("BizId", "")


class WeChatSubscribeBackend(BaseBackend):
    """Production adapter for mini-program subscription messages
    (``/cgi-bin/message/subscribe/send``).  ``recipient`` is the openid,
    ``template`` the template id, ``payload`` the ``data`` object."""

    def _access_token(self) -> str:
        url = "https://api.weixin.qq.com/cgi-bin/token?" + urllib.parse.urlencode(
            {"grant_type": "client_credential", "appid": settings.WECHAT_APP_ID, "secret": settings.WECHAT_APP_SECRET}
        )
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310
            return json.loads(response.read().decode())["access_token"]

    def send(self, message) -> str:
        if not settings.WECHAT_APP_ID:
            raise PermanentDeliveryError("WECHAT_APP_ID is not configured")
        try:
            token = self._access_token()
            data = json.dumps(
                {"touser": message.recipient, "template_id": message.template, "data": message.payload}
            ).encode()
            request = urllib.request.Request(
                f"https://api.weixin.qq.com/cgi-bin/message/subscribe/send?access_token={token}",
                data=data,
                headers={"Content-Type": "application/json"},
            )
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
                body = json.loads(response.read().decode())
        except (OSError, KeyError) as exc:
            raise DeliveryError(str(exc)) from exc
        if body.get("errcode", 0) != 0:
            raise PermanentDeliveryError(f"{body.get('errcode')}: {body.get('errmsg')}")
        return str(body.get("msgid", ""))


_SETTING_FOR_CHANNEL = {
    "sms": "SMS_BACKEND",
    "wechat": "WECHAT_BACKEND",
    "wecom": "WECOM_BACKEND",
    "inapp": "INAPP_BACKEND",
}


def get_backend(channel: str) -> BaseBackend:
    return import_string(getattr(settings, _SETTING_FOR_CHANNEL[channel]))()
