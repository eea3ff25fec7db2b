"""Delivery backends, one small interface for every outside messaging service.

``settings.SMS_BACKEND`` / ``WECHAT_BACKEND`` / ``WECOM_BACKEND`` /
``INAPP_BACKEND`` name a class with ``send(message) -> provider_message_id``.
A backend raises ``DeliveryError`` for a failure worth retrying and
``PermanentDeliveryError`` for one that is not.

The message a backend gets carries the real text to send in ``body`` and
``payload`` (a sign-in code included); ``message.secret_values`` are the
secrets in it, which nothing a person reads (logs, errors) may show:
``accounts.outbox.sealing.mask`` them.  A class with ``simulated = True``
only pretends to deliver and must not run in production; ``required_settings``
name the credentials a production adapter needs.  ``accounts.checks`` fails
``check --deploy`` on either.
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
    simulated = False
    required_settings: tuple[str, ...] = ()

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

    simulated = True

    def send(self, message) -> str:
        line = f"[outbox:{message.channel}] → {message.recipient}: {message.body}"
        print(line, flush=True)
        logger.info(mask(line, message.secret_values))
        local_deliveries.append(LocalDelivery(
            message_id=message.pk, channel=message.channel, recipient=message.recipient,
            template=message.template, body=message.body, payload=message.payload,
        ))
        return f"local-{message.pk}"


class InAppBackend(BaseBackend):
    """The in-app inbox (站内信) is ours: the outbox row is the message, so
    delivering it only marks it sent.  This is the production backend of
    ``INAPP_BACKEND``; nothing is printed or logged."""

    def send(self, message) -> str:
        return f"inapp-{message.pk}"


class AliyunSmsBackend(BaseBackend):
    """Production adapter for Alibaba Cloud SMS (dysmsapi ``SendSms``).

    Settings: ``ALIYUN_SMS_ACCESS_KEY_ID``, ``ALIYUN_SMS_ACCESS_KEY_SECRET``,
    ``ALIYUN_SMS_SIGN_NAME``; the message's ``template`` is the approved
    template code and ``payload`` its parameters.  ``OutId`` carries the outbox
    id so the provider's delivery receipts map back to the row.
    """

    endpoint = "https://dysmsapi.aliyuncs.com/"
    required_settings = ("ALIYUN_SMS_ACCESS_KEY_ID", "ALIYUN_SMS_ACCESS_KEY_SECRET", "ALIYUN_SMS_SIGN_NAME")

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

    required_settings = ("WECHAT_APP_ID", "WECHAT_APP_SECRET")

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


class WeComAppMessageBackend(BaseBackend):
    """Production adapter for WeCom (企业微信) application messages
    (``/cgi-bin/message/send``, a text message from the DealerOps app).
    ``recipient`` is the staff member's WeCom userid: their DealerOps username.

    Settings: ``WECOM_CORP_ID``, ``WECOM_CORP_SECRET`` (the app's secret),
    ``WECOM_AGENT_ID``."""

    api = "https://qyapi.weixin.qq.com/cgi-bin"
    required_settings = ("WECOM_CORP_ID", "WECOM_CORP_SECRET", "WECOM_AGENT_ID")

    def _access_token(self) -> str:
        url = f"{self.api}/gettoken?" + urllib.parse.urlencode(
            {"corpid": settings.WECOM_CORP_ID, "corpsecret": settings.WECOM_CORP_SECRET}
        )
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - fixed https endpoint
            body = json.loads(response.read().decode())
        if body.get("errcode", 0) != 0:
            raise DeliveryError(f"gettoken {body.get('errcode')}: {body.get('errmsg')}")
        return body["access_token"]

    # Busy, token expired, rate limited: worth another try.
    temporary_errors = {-1, 42001, 45009, 45033}

    def send(self, message) -> str:
        if not settings.WECOM_CORP_ID or not str(settings.WECOM_AGENT_ID).isdigit():
            raise PermanentDeliveryError("WECOM_CORP_ID / WECOM_AGENT_ID are not configured")
        try:
            token = self._access_token()
            data = json.dumps({
                "touser": message.recipient, "msgtype": "text", "agentid": int(settings.WECOM_AGENT_ID),
                "text": {"content": message.body},
            }, ensure_ascii=False).encode()
            request = urllib.request.Request(
                f"{self.api}/message/send?access_token={token}", data=data,
                headers={"Content-Type": "application/json"},
            )
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
                body = json.loads(response.read().decode())
        except (OSError, KeyError, ValueError) as exc:
            raise DeliveryError(str(exc)) from exc
        if body.get("errcode", 0) in self.temporary_errors:
            raise DeliveryError(f"{body.get('errcode')}: {body.get('errmsg')}")
        if body.get("errcode", 0) != 0 or body.get("invaliduser"):
            raise PermanentDeliveryError(
                f"{body.get('errcode')}: {body.get('errmsg')} {body.get('invaliduser', '')}".strip()
            )
        return str(body.get("msgid", ""))


_SETTING_FOR_CHANNEL = {
    "sms": "SMS_BACKEND",
    "wechat": "WECHAT_BACKEND",
    "wecom": "WECOM_BACKEND",
    "inapp": "INAPP_BACKEND",
}


def get_backend(channel: str) -> BaseBackend:
    return import_string(getattr(settings, _SETTING_FOR_CHANNEL[channel]))()
