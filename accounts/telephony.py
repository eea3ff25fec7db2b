"""Telephony (privacy-number calls): one small interface, chosen by setting.

``settings.TELEPHONY_BACKEND`` names the class.  The leads app's call screen
calls ``call_start`` and ``hangup``; the provider then posts call events
(``answered``, ``segment`` for each transcribed sentence, ``ended``) to the
webhook URL it was given, signed with ``settings.TELEPHONY_WEBHOOK_SECRET``.

Privacy-number style (隐私号): the provider bridges the consultant and the
customer through a virtual number, so the consultant never sees or dials the
customer's real mobile; only the server hands it to the provider.

Webhook signature (what ``webhook_sign`` makes and ``webhook_verify`` checks)::

    X-Telephony-Timestamp: <unix seconds>
    X-Telephony-Signature: hex(HMAC-SHA256(secret, "<timestamp>." + raw body))

The JSON body carries a unique delivery ``id`` (a retry repeats it), the
event ``type``, the ``call_id`` and the event's fields.  Other provider
webhooks (SMS replies, ``accounts.api.webhooks``) are signed the same way,
each with its own secret (``webhook_verify(..., secret=...)``).

Backends:

``LocalTelephony``
    Development and tests: simulates the call by playing a scripted Chinese
    conversation into the real webhook from a background thread (signed HTTP
    requests, ``TELEPHONY_LOCAL_SEGMENT_DELAY`` seconds apart), started only
    after the caller's transaction commits, so ``make run`` and the browser
    tests see the call screen work end to end.
``AliyunPrivacyNumberTelephony``
    The production adapter's shape (Aliyun 号码隐私保护 AXB binding + ASR
    callbacks relayed to our webhook).  It refuses to run until configured.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import threading
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)

DEV_WEBHOOK_SECRET = "dev-telephony-webhook-secret"  # config/settings.py's development default
SIGNATURE_HEADER = "X-Telephony-Signature"
TIMESTAMP_HEADER = "X-Telephony-Timestamp"


@dataclass(frozen=True)
class CallHandle:
    """What the provider answered to ``call_start``."""

    provider_call_id: str
    virtual_number: str = ""  # the privacy number the consultant's phone shows
    extra: dict = field(default_factory=dict)


class Telephony:
    name = "base"
    simulated = False  # True: development only (``accounts.checks`` refuses it with DEBUG off)
    required_settings: tuple[str, ...] = ()  # credentials a production adapter needs

    def call_start(self, *, call_id: str, agent, customer_mobile: str, callback_url: str) -> CallHandle:  # pragma: no cover
        """Bridge ``agent`` (a staff user) and the customer through a privacy
        number.  ``call_id`` is our reference (the provider echoes it as
        ``call_id`` in webhooks); events go to ``callback_url``."""
        raise NotImplementedError

    def hangup(self, call_id: str) -> None:  # pragma: no cover
        raise NotImplementedError


# --- Signature ----------------------------------------------------------------------------


def _secret(secret: str | None) -> bytes:
    return (secret if secret is not None else settings.TELEPHONY_WEBHOOK_SECRET).encode()


def webhook_sign(body: bytes, timestamp: int | str, secret: str | None = None) -> str:
    message = str(timestamp).encode() + b"." + body
    return hmac.new(_secret(secret), message, hashlib.sha256).hexdigest()


def webhook_verify(
    body: bytes, timestamp: str | None, signature: str | None, *, now: float | None = None, secret: str | None = None
) -> bool:
    """True when ``signature`` is ours over ``timestamp`` + ``body`` and the
    timestamp is within ``TELEPHONY_WEBHOOK_TOLERANCE`` seconds of now.

    Every signed provider webhook uses this scheme; ``secret`` is the key
    shared with that provider (default ``TELEPHONY_WEBHOOK_SECRET``; the SMS
    reply webhook passes ``SMS_WEBHOOK_SECRET``).  An empty secret refuses
    everything."""
    key = secret if secret is not None else settings.TELEPHONY_WEBHOOK_SECRET
    if not timestamp or not signature or not key:
        return False
    now = time.time() if now is None else now
    try:
        if abs(now - int(timestamp)) > settings.TELEPHONY_WEBHOOK_TOLERANCE:
            return False
    except (TypeError, ValueError, OverflowError):  # not a number, or one too large for a clock
        return False
    if not signature.isascii():  # compare_digest takes ASCII str only
        return False
    return hmac.compare_digest(webhook_sign(body, timestamp, key), signature.strip().lower())


def webhook_headers(body: bytes, *, timestamp: int | None = None, secret: str | None = None) -> dict[str, str]:
    timestamp = int(time.time()) if timestamp is None else timestamp
    return {
        "Content-Type": "application/json",
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: webhook_sign(body, timestamp, secret),
    }


def webhook_body(event: dict) -> bytes:
    return json.dumps(event, ensure_ascii=False, separators=(",", ":")).encode()


# --- Local simulation -----------------------------------------------------------------------

# (speaker, text): a consultant's follow-up call to a lead weighing a competitor.
LOCAL_SCRIPT: list[tuple[str, str]] = [
    ("agent", "您好，我是门店的销售顾问小王，看到您在网上咨询了帕萨特，现在方便聊两句吗？"),
    ("customer", "方便，我最近在看车，也在对比小凯，就是丰田凯美瑞。"),
    ("agent", "凯美瑞确实不错。帕萨特的后排空间和底盘质感更好，您更看重哪方面？"),
    ("customer", "主要是价格，你们现在优惠多少钱？"),
    ("agent", "本月有店内优惠，另外还有厂家金融政策，首付两成，两年免息。"),
    ("customer", "贷款分期可以，我还有一台旧车，能置换吗？"),
    ("agent", "可以的，二手车我们免费评估，置换还有补贴。"),
    ("customer", "朋友还推荐了本田雅阁，我想几款都试驾一下再决定。"),
    ("agent", "没问题，我帮您约这周六上午来店试驾，顺便给旧车做个评估，好吗？"),
    ("customer", "好的，周六上午见。"),
]


class LocalTelephony(Telephony):
    """Simulated privacy-number calls for development and tests.

    After the caller's transaction commits, a daemon thread posts
    ``answered`` then one ``segment`` per line of ``LOCAL_SCRIPT`` to the
    callback URL, ``TELEPHONY_LOCAL_SEGMENT_DELAY`` seconds apart, each signed
    like a real provider's request.  ``hangup`` stops the script.  A delivery
    the webhook refuses (e.g. 404 while the call is not committed yet) is
    retried a few times, then the simulation gives up quietly."""

    name = "local"
    simulated = True
    retries = 4
    _stops: dict[str, threading.Event] = {}
    _lock = threading.Lock()

    def call_start(self, *, call_id: str, agent, customer_mobile: str, callback_url: str) -> CallHandle:
        stop = threading.Event()
        with self._lock:
            self._stops[call_id] = stop
        thread = threading.Thread(
            target=self._play, args=(call_id, callback_url, stop), name=f"local-call-{call_id}", daemon=True
        )
        transaction.on_commit(thread.start)
        return CallHandle(provider_call_id=call_id, virtual_number="170" + str(uuid.uuid4().int)[:8])

    def hangup(self, call_id: str) -> None:
        with self._lock:
            stop = self._stops.pop(call_id, None)
        if stop is not None:
            stop.set()

    # The script -----------------------------------------------------------------------------

    def events(self, call_id: str) -> list[dict]:
        """The webhook events the simulated call sends, in order."""
        events = [{"id": f"{call_id}:answered", "type": "answered", "call_id": call_id}]
        for seq, (speaker, text) in enumerate(LOCAL_SCRIPT, start=1):
            events.append({
                "id": f"{call_id}:segment:{seq}", "type": "segment", "call_id": call_id,
                "seq": seq, "speaker": speaker, "text": text, "offset_ms": seq * 3500,
            })
        return events

    def _play(self, call_id: str, callback_url: str, stop: threading.Event) -> None:
        delay = float(getattr(settings, "TELEPHONY_LOCAL_SEGMENT_DELAY", 0.6))
        try:
            for event in self.events(call_id):
                if stop.wait(delay):
                    return
                if not self.deliver(callback_url, event, stop):
                    return
        finally:
            with self._lock:
                self._stops.pop(call_id, None)

    def deliver(self, url: str, event: dict, stop: threading.Event | None = None) -> bool:
        body = webhook_body(event)
        for attempt in range(self.retries + 1):
            request = urllib.request.Request(url, data=body, headers=webhook_headers(body), method="POST")
            try:
                with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310 (our own URL)
                    if response.status < 300:
                        return True
            except urllib.error.HTTPError as exc:
                if exc.code not in (404, 409, 429, 500, 502, 503):
                    logger.warning("local telephony: webhook refused %s with %s", event["id"], exc.code)
                    return False
            except (urllib.error.URLError, OSError) as exc:
                logger.info("local telephony: webhook unreachable (%s); simulation stopped", exc)
                return False
            if stop is not None and stop.wait(0.2 * (attempt + 1)):
                return False
        return False


# --- Production adapter ------------------------------------------------------------------------


class AliyunPrivacyNumberTelephony(Telephony):
    """Aliyun 号码隐私保护 (Dyplsapi) AXB binding with ASR relayed to our webhook.

    ``call_start``: ``BindAxb(PoolKey, PhoneNoA=<agent's phone>,
    PhoneNoB=<customer mobile>, Expiration=now+10min, OutId=<call_id>,
    IsRecordingEnabled=true, ASRStatus=true, CallRestrict=CONTROL_BX_DISABLE)``
    returns ``SubsId`` and ``SecretNo`` (the X number).  The consultant's
    phone then dials the X number (or the platform calls back the agent).
    Provider status and ASR callbacks (``SecretReport``/``SecretAsrReport``)
    are relayed by our callback gateway as signed ``answered``/``segment``/
    ``ended`` events (``recording_url`` from ``SecretRecording``) carrying
    ``call_id`` = ``OutId``.  ``hangup``: ``UnbindSubscription(SubsId)``.

    Settings: ``ALIYUN_PLS_ACCESS_KEY_ID``, ``ALIYUN_PLS_ACCESS_KEY_SECRET``,
    ``ALIYUN_PLS_POOL_KEY``.  Needs the ``alibabacloud_dyplsapi20170525`` SDK."""

    name = "aliyun"
    required_settings = ("ALIYUN_PLS_ACCESS_KEY_ID", "ALIYUN_PLS_ACCESS_KEY_SECRET", "ALIYUN_PLS_POOL_KEY")

    def __init__(self) -> None:
        missing = [name for name in self.required_settings if not getattr(settings, name, "")]
        if settings.TELEPHONY_WEBHOOK_SECRET in ("", DEV_WEBHOOK_SECRET):
            missing.append("TELEPHONY_WEBHOOK_SECRET (a real secret shared with the callback gateway)")
        if missing:
            raise ImproperlyConfigured(
                f"AliyunPrivacyNumberTelephony needs {', '.join(missing)}; "
                "set them or use TELEPHONY_BACKEND=accounts.telephony.LocalTelephony"
            )

    def _client(self):  # pragma: no cover - needs the provider SDK and network
        try:
            from alibabacloud_dyplsapi20170525.client import Client  # type: ignore[import-not-found]
            from alibabacloud_tea_openapi.models import Config  # type: ignore[import-not-found]
        except ImportError as exc:
            raise ImproperlyConfigured("install alibabacloud_dyplsapi20170525 to use Aliyun privacy numbers") from exc
        return Client(Config(
            access_key_id=settings.ALIYUN_PLS_ACCESS_KEY_ID,
            access_key_secret=settings.ALIYUN_PLS_ACCESS_KEY_SECRET,
            endpoint="dyplsapi.aliyuncs.com",
        ))

    def call_start(self, *, call_id, agent, customer_mobile, callback_url) -> CallHandle:  # pragma: no cover
        from alibabacloud_dyplsapi20170525 import models as pls  # type: ignore[import-not-found]

        agent_phone = getattr(agent, "phone", "") or ""
        if not agent_phone:
            raise ImproperlyConfigured("the consultant has no phone number on file for privacy-number calls")
        response = self._client().bind_axb(pls.BindAxbRequest(
            pool_key=settings.ALIYUN_PLS_POOL_KEY, phone_no_a=agent_phone, phone_no_b=customer_mobile,
            expiration=time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(time.time() + 600)),
            out_id=call_id, is_recording_enabled=True, asrstatus=True,
        ))
        body = response.body
        if body.code != "OK":
            raise RuntimeError(f"Aliyun BindAxb failed: {body.code} {body.message}")
        return CallHandle(provider_call_id=call_id, virtual_number=body.secret_bind_dto.secret_no,
                          extra={"subs_id": body.secret_bind_dto.subs_id})

    def hangup(self, call_id: str) -> None:  # pragma: no cover
        # The binding (SubsId, mapped from OutId by the callback gateway) expires
        # by itself; the gateway unbinds it early when it relays our hang-up.
        logger.info("aliyun telephony: hang-up of %s left to the binding's expiry", call_id)


def get_telephony() -> Telephony:
    return import_string(settings.TELEPHONY_BACKEND)()
