from __future__ import annotations

import datetime as dt
import logging
import time

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django_q import tasks as django_q_tasks

from accounts.bulk import insert_objects
from accounts.models import (
    CHANNEL_PREFERENCE_FIELDS,
    TOPIC_PREFERENCE_FIELDS,
    Channel,
    NotificationTopic,
    OutboxMessage,
    OutboxStatus,
    SuppressionReason,
)
from accounts.outbox import sealing
from accounts.outbox.backends import PermanentDeliveryError, get_backend

logger = logging.getLogger("dealerops.outbox")

# A message claimed by a worker that died is taken again after this long.
CLAIM_LEASE = dt.timedelta(minutes=5)


def _parse_hhmm(value: str) -> dt.time:
    hours, minutes = value.split(":")
    return dt.time(int(hours), int(minutes))


def in_quiet_hours(when: dt.datetime | None = None) -> bool:
    """True inside the marketing quiet window (default 21:00–09:00 local)."""
    local = timezone.localtime(when or timezone.now()).time()
    start, end = _parse_hhmm(settings.MARKETING_QUIET_START), _parse_hhmm(settings.MARKETING_QUIET_END)
    if start <= end:
        return start <= local < end
    return local >= start or local < end


def quiet_hours_end(when: dt.datetime) -> dt.datetime:
    """The first moment after ``when`` at which marketing may be sent."""
    local = timezone.localtime(when)
    end = _parse_hhmm(settings.MARKETING_QUIET_END)
    candidate = local.replace(hour=end.hour, minute=end.minute, second=0, microsecond=0)
    if candidate <= local:
        candidate += dt.timedelta(days=1)
    return candidate


def suppression_reason(*, is_marketing: bool, topic: str, channel: str, member) -> str:
    """Why this message must not be sent to ``member`` ("" when it may be), as
    a ``SuppressionReason`` code (stored in ``suppressed_reason``, shown by its
    translated label): marketing needs consent; a message that is marketing
    or has a topic (points, care, membership notices) respects the owner's
    notification preferences per channel and per topic.  Sign-in codes and
    service notices (no topic, not marketing) always go."""
    if is_marketing and (member is None or not member.marketing_consent):
        return SuppressionReason.NO_MARKETING_CONSENT
    if member is None or not (is_marketing or topic):
        return ""
    channel_field = CHANNEL_PREFERENCE_FIELDS.get(channel)
    if channel_field and not getattr(member, channel_field):
        return SuppressionReason.MUTED_CHANNEL
    topic_field = TOPIC_PREFERENCE_FIELDS.get(topic)
    if topic_field and not getattr(member, topic_field):
        return SuppressionReason.MUTED_TOPIC
    return ""


def push_target(member) -> tuple[str, str]:
    """Where a notice to ``member`` goes when no channel is prescribed: a
    mini-program subscription message when we know the openid and the owner
    has not muted it, else the in-app inbox (always allowed)."""
    if member.wechat_openid and member.notify_wechat:
        return Channel.WECHAT, member.wechat_openid
    return Channel.INAPP, f"member:{member.pk}"


def _initial_state(
    *, is_marketing: bool, member, now: dt.datetime, topic: str = "", channel: str = ""
) -> tuple[str, dt.datetime, str]:
    """The consent, preference and quiet-hours rules of every outgoing
    message, in one place: marketing without consent and anything the owner
    muted are kept as suppressed (the reason code visible); marketing in
    quiet hours waits.  Returns (status, next attempt, suppression reason)."""
    reason = suppression_reason(is_marketing=is_marketing, topic=topic, channel=channel, member=member)
    if reason:
        return OutboxStatus.SUPPRESSED, now, reason
    if is_marketing and in_quiet_hours(now):
        return OutboxStatus.PENDING, quiet_hours_end(now), ""
    return OutboxStatus.PENDING, now, ""


def with_opt_out(body: str, *, channel: str, is_marketing: bool) -> str:
    """A marketing SMS carries the opt-out line (``SMS_MARKETING_SUFFIX``,
    " 拒收请回复R"), once: a body that already ends with it is left alone.
    Replies are handled by ``accounts.services.sms_reply_receive``."""
    suffix = settings.SMS_MARKETING_SUFFIX
    if channel != Channel.SMS or not is_marketing or not suffix.strip():
        return body
    if body.rstrip().endswith(suffix.strip()):
        return body
    return body + suffix


def _checked_topic(topic: str) -> str:
    if topic and topic not in NotificationTopic.values:
        raise ValueError(f"unknown notification topic {topic!r}")
    return topic


def _content(*, body: str, payload: dict, secrets: dict[str, str] | None, status: str) -> dict:
    """The stored content of a message: body and payload with each secret
    masked, and the real ones sealed for delivery (nothing sealed for a
    message that will never be sent)."""
    values = sealing.checked_secrets(secrets)
    if not values:
        return {"body": body, "payload": payload, "sealed": ""}
    return {
        "body": sealing.mask(body, values),
        "payload": sealing.mask(payload, values),
        "sealed": "" if status == OutboxStatus.SUPPRESSED else sealing.seal(body=body, payload=payload, secrets=values),
    }


def messages_enqueue_bulk(*, messages: list[dict]) -> int:
    """Write many messages in one insert (the daily care jobs): the same rules
    as ``message_enqueue``; a repeated ``dedup_key`` adds nothing.  Each dict
    has channel, recipient, body, dedup_key, member and optionally template,
    payload, is_marketing (default True), topic, store, secrets.  The
    scheduled sweep sends them."""
    now = timezone.now()
    rows = []
    for msg in messages:
        member = msg.get("member")
        is_marketing = msg.get("is_marketing", True)
        topic = _checked_topic(msg.get("topic", ""))
        status, next_attempt_at, reason = _initial_state(
            is_marketing=is_marketing, member=member, now=now, topic=topic, channel=msg["channel"]
        )
        store_id = msg["store"].pk if msg.get("store") else getattr(member, "store_id", None)
        body = with_opt_out(msg["body"], channel=msg["channel"], is_marketing=is_marketing)
        content = _content(body=body, payload=msg.get("payload", {}), secrets=msg.get("secrets"), status=status)
        rows.append(OutboxMessage(
            channel=msg["channel"], recipient=msg["recipient"], dedup_key=msg["dedup_key"],
            member=member, store_id=store_id, template=msg.get("template", ""), topic=topic,
            is_marketing=is_marketing, status=status, next_attempt_at=next_attempt_at,
            suppressed_reason=reason, **content,
        ))
    insert_objects(rows, ignore_conflicts=True)
    return len(rows)


def message_enqueue(
    *,
    channel: str,
    recipient: str,
    body: str,
    dedup_key: str,
    member=None,
    user=None,
    store=None,
    template: str = "",
    payload: dict | None = None,
    is_marketing: bool = False,
    topic: str = "",
    send_now: bool = False,
    secrets: dict[str, str] | None = None,
) -> OutboxMessage:
    """Write one outgoing message.  Call it inside the transaction of its cause.

    A second call with the same ``dedup_key`` returns the first row and sends
    nothing.  Marketing without consent, and marketing or ``topic`` notices
    on a channel or topic the owner muted, are kept as ``suppressed`` (so the
    reason is visible) and never sent; marketing inside quiet hours waits for
    their end; a marketing SMS gets the opt-out line (``with_opt_out``).
    ``send_now`` delivers right after commit in this process (SMS sign-in
    codes), otherwise the worker sends it.

    ``secrets`` (``{"code": "123456"}``) are values that ``body`` and
    ``payload`` carry and no person may read: the row stores them masked
    (what the portal, admin and logs show) and the real text sealed until
    delivery (``accounts.outbox.sealing``); the backend sends the real text.
    """
    if channel not in Channel.values:
        raise ValueError(f"unknown channel {channel!r}")
    topic = _checked_topic(topic)
    body = with_opt_out(body, channel=channel, is_marketing=is_marketing)
    now = timezone.now()
    status, next_attempt_at, reason = _initial_state(
        is_marketing=is_marketing, member=member, now=now, topic=topic, channel=channel
    )
    content = _content(body=body, payload=payload or {}, secrets=secrets, status=status)
    try:
        with transaction.atomic():
            message = OutboxMessage.objects.create(
                channel=channel,
                recipient=recipient,
                dedup_key=dedup_key,
                member=member,
                user=user,
                store=store if store is not None else getattr(member, "store", None),
                template=template,
                is_marketing=is_marketing,
                topic=topic,
                status=status,
                next_attempt_at=next_attempt_at,
                suppressed_reason=reason,
                **content,
            )
    except IntegrityError:
        existing = OutboxMessage.objects.filter(dedup_key=dedup_key).first()
        if existing is None:  # some other constraint: not a repeat of the cause
            raise
        return existing
    if status == OutboxStatus.PENDING:
        if send_now:
            transaction.on_commit(lambda: message_deliver(message_id=message.pk))
        elif next_attempt_at <= now:
            transaction.on_commit(lambda: _enqueue_delivery(message.pk))
    return message


def _enqueue_delivery(message_id: int) -> None:
    try:
        django_q_tasks.async_task("accounts.tasks.outbox_deliver", message_id, task_name=f"outbox-{message_id}")
    except Exception:  # broker down: the scheduled sweep picks the row up
        logger.exception("could not enqueue outbox message %s; the sweep will send it", message_id)


def _claim(message_id: int) -> bool:
    now = timezone.now()
    due = Q(status=OutboxStatus.PENDING, next_attempt_at__lte=now) | Q(
        status=OutboxStatus.SENDING, claimed_at__lt=now - CLAIM_LEASE
    )
    return bool(
        OutboxMessage.objects.filter(due, pk=message_id).update(
            status=OutboxStatus.SENDING, claimed_at=now, attempts=F("attempts") + 1
        )
    )


def _unseal(message: OutboxMessage) -> None:
    """Put the real text of a message with secrets back, in memory only: the
    backend sends ``body``/``payload``; ``secret_values`` lets the outbox and
    the backend mask what they log."""
    if message.sealed:
        message.body, message.payload, message.secret_values = sealing.unseal(message.sealed)


def message_deliver(*, message_id: int) -> str:
    """Send one message if it is due and nobody else holds it.  Returns the
    resulting status; calling it again for a sent message does nothing.

    A message with secrets is sent with its sealed real text; the sealed copy
    is wiped with the final state (sent, failed for good, suppressed) and
    kept for a retry."""
    if not _claim(message_id):
        return OutboxMessage.objects.filter(pk=message_id).values_list("status", flat=True).first() or "missing"
    message = OutboxMessage.objects.select_related("member").get(pk=message_id)
    reason = suppression_reason(
        is_marketing=message.is_marketing, topic=message.topic, channel=message.channel, member=message.member
    )
    if reason:
        # Consent withdrawn or notice muted while the message waited (quiet hours, retries).
        OutboxMessage.objects.filter(pk=message_id, status=OutboxStatus.SENDING).update(
            status=OutboxStatus.SUPPRESSED,
            attempts=F("attempts") - 1,
            suppressed_reason=reason,
            claimed_at=None,
            sealed="",
        )
        return OutboxStatus.SUPPRESSED
    if message.is_marketing and in_quiet_hours():
        OutboxMessage.objects.filter(pk=message_id).update(
            status=OutboxStatus.PENDING,
            attempts=F("attempts") - 1,
            next_attempt_at=quiet_hours_end(timezone.now()),
            claimed_at=None,
        )
        return OutboxStatus.PENDING
    try:
        _unseal(message)
        provider_id = get_backend(message.channel).send(message)
    except Exception as exc:  # any backend failure is recorded and retried
        permanent = isinstance(exc, PermanentDeliveryError | sealing.SealError)
        exhausted = message.attempts >= settings.OUTBOX_MAX_ATTEMPTS
        status = OutboxStatus.FAILED if (permanent or exhausted) else OutboxStatus.PENDING
        backoff = dt.timedelta(seconds=settings.OUTBOX_RETRY_BASE_SECONDS * 2 ** (message.attempts - 1))
        # A provider may echo what it was sent: the error is masked like the body.
        error = sealing.mask(f"{type(exc).__name__}: {exc}", message.secret_values)[:2000]
        OutboxMessage.objects.filter(pk=message_id, status=OutboxStatus.SENDING).update(
            status=status,
            last_error=error,
            next_attempt_at=timezone.now() + backoff,
            claimed_at=None,
            **({"sealed": ""} if status == OutboxStatus.FAILED else {}),
        )
        logger.warning("outbox message %s attempt %s failed: %s", message_id, message.attempts, error)
        return status
    OutboxMessage.objects.filter(pk=message_id, status=OutboxStatus.SENDING).update(
        status=OutboxStatus.SENT, sent_at=timezone.now(), provider_message_id=provider_id or "", last_error="",
        sealed="",
    )
    return OutboxStatus.SENT


def _due(now: dt.datetime, shard: tuple[int, int] | None = None):
    due = OutboxMessage.objects.filter(
        Q(status=OutboxStatus.PENDING, next_attempt_at__lte=now)
        | Q(status=OutboxStatus.SENDING, claimed_at__lt=now - CLAIM_LEASE)
    )
    if shard is not None:
        index, count = shard
        due = due.annotate(shard=F("pk") % count).filter(shard=index)
    return due


def outbox_dispatch_due(*, limit: int = 500, seconds: float | None = None,
                        shard: tuple[int, int] | None = None) -> int:
    """The scheduled sweep: deliver due messages (retries, messages held over
    quiet hours, messages whose enqueue was lost), ``limit`` at a time.
    Without ``seconds`` one batch; with it, batch after batch until nothing
    is due or the time is up — so the sweep that runs every minute drains a
    care day's hundred thousand messages in minutes, not hours.  ``shard``
    ``(i, n)`` takes only the messages whose id is ``i`` modulo ``n``, so
    ``n`` workers drain side by side without picking the same rows.
    Overlapping sweeps are safe anyway: each message is claimed before it is
    sent."""
    started = time.monotonic()
    total = 0
    while True:
        due_ids = list(
            _due(timezone.now(), shard).order_by("next_attempt_at", "pk").values_list("pk", flat=True)[:limit]
        )
        for message_id in due_ids:
            message_deliver(message_id=message_id)
        total += len(due_ids)
        if seconds is None or len(due_ids) < limit or time.monotonic() - started >= seconds:
            return total


def outbox_backlog(*, more_than: int) -> bool:
    """Are more than ``more_than`` messages due now?  (A bounded count.)"""
    return _due(timezone.now())[: more_than + 1].count() > more_than


def outbox_sweep_run() -> int:
    """The minute's sweep: deliver for up to ``OUTBOX_SWEEP_SECONDS``.  With
    ``OUTBOX_SWEEP_WORKERS`` = n > 1 and more than one batch due, shards
    1..n-1 go to other queue workers (``accounts.tasks.outbox_drain``) and
    this one drains shard 0."""
    batch, seconds = settings.OUTBOX_SWEEP_BATCH, settings.OUTBOX_SWEEP_SECONDS
    shards = max(1, settings.OUTBOX_SWEEP_WORKERS)
    if shards > 1 and outbox_backlog(more_than=batch):
        for index in range(1, shards):
            django_q_tasks.async_task("accounts.tasks.outbox_drain", index, shards,
                                      task_name=f"outbox-drain-{index}-of-{shards}")
        return outbox_drain_shard(index=0, shards=shards)
    return outbox_dispatch_due(limit=batch, seconds=seconds)


def outbox_drain_shard(*, index: int, shards: int) -> int:
    """One worker's share of a large backlog: the messages whose id is
    ``index`` modulo ``shards``."""
    return outbox_dispatch_due(limit=settings.OUTBOX_SWEEP_BATCH, seconds=settings.OUTBOX_SWEEP_SECONDS,
                               shard=(index, shards))
