"""Staff password reset by an SMS code to the mobile on file.

Staff have no e-mail, and allauth's password reset by code works by e-mail
only, so this is our own three-step flow (pages in ``accounts.auth.views``):

1. ``reset_request``: the staff member types their username or mobile.  The
   request is rate-limited (``staff_password_reset``: per IP, and per
   identifier as ``reset_limit_key`` normalises it, so "137 0000 7777" and
   "+86 137-0000-7777" share one allowance), then the answer is the same
   whatever was typed: a random nonce is kept in the session and a background
   task is queued.  The request never looks the account up, so an existing and
   an unknown account take the same path and the same time.
2. The task (``reset_code_deliver``) looks the identifier up and, for an
   active staff login (not a superuser: they use ``manage.py changepassword``)
   with a password and a mobile, sends the code derived from the nonce by SMS
   through the outbox — at most ``STAFF_PASSWORD_RESET_SMS_PER_DAY`` a day per
   account, whatever was typed to name it.  Nothing is sent otherwise.
3. ``reset_verify``: the code typed is compared with the one derived from
   the nonce; an unknown identifier never matches.  The code page has its own
   limit (``staff_password_reset_code``: per IP and per identifier), and each
   attempt (nonce) allows ``MAX_ATTEMPTS`` comparisons, counted in the cache
   by an atomic increment *before* comparing — not in the session, which
   parallel requests would each load with the same count.  Ten minutes also
   end the attempt.  Then ``reset_complete`` sets the new password (it also
   clears ``must_change_password``) and audits it.

Bursts alert HQ (``accounts.services.hq_alert``, once per window): one
address asking resets for ``LOGIN_BURST_IP_ACCOUNTS`` identifiers, the code
limit refusing an identifier, an account reaching its daily SMS cap.

Owners have no password (they sign in by SMS code): an owner's number is an
unknown identifier here.  The code itself is stored nowhere: it is an HMAC of
the nonce under the project's secret key (``accounts.auth.phone_codes``, the
one-time code machinery a visitor's used-car inquiry uses too).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import time

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext
from django_q.tasks import async_task

from accounts.audit import audit_record
from accounts.auth.phone_codes import attempt_open, attempts_used, code_check, code_for
from accounts.models import STAFF_ROLES, Channel, OutboxMessage, User
from accounts.outbox import message_enqueue
from accounts.services import cache_count, hq_alert
from accounts.validators import mask_mobile, normalize_mobile

logger = logging.getLogger("dealerops.auth")

CODE_SALT = "dealerops.staff_password_reset"
MAX_ATTEMPTS = 5
SMS_TEMPLATE = "SMS_PASSWORD_RESET_CODE"
# The code page's rate limit (ACCOUNT_RATE_LIMITS), besides the request's ``staff_password_reset``.
CODE_LIMIT = "staff_password_reset_code"
RESET_BURST = "accounts.password_reset.burst"


def reset_code(nonce: str) -> str:
    """The six-digit code of one reset attempt."""
    return code_for(salt=CODE_SALT, nonce=nonce)


def reset_limit_key(identifier: str) -> str:
    """What the rate limits count an identifier as: a mobile number in its
    normal form (every way of typing it is one key), else the username
    case-folded — the two ways ``reset_account`` finds a login.  Computed
    without the database, like everything the request step does."""
    identifier = (identifier or "").strip()
    try:
        return normalize_mobile(identifier)
    except ValidationError:
        return identifier.casefold()


def reset_account(identifier: str) -> User | None:
    """The staff login a reset may be for: active, a staff role, not a
    superuser (a superuser resets with ``manage.py changepassword`` on the
    server: an SMS must not be the way into every store), with a password and
    a mobile on file; found by mobile or by username."""
    identifier = (identifier or "").strip()
    try:
        match = Q(phone=normalize_mobile(identifier))
    except ValidationError:  # not a mobile number: a username
        match = Q(username__iexact=identifier)
    candidates = User.objects.filter(
        match, is_active=True, is_superuser=False, phone__isnull=False, role__in=sorted(STAFF_ROLES)
    ).exclude(password__startswith="!").order_by("pk")
    return candidates.first()


def _lifetime() -> int:
    return settings.STAFF_PASSWORD_RESET_MINUTES * 60


def reset_request(*, identifier: str) -> dict:
    """Start a reset; returns the state to keep in the session.  The same
    work whatever ``identifier`` names (see the module docstring)."""
    state = {"identifier": identifier.strip()[:150], "nonce": attempt_open(lifetime=_lifetime()), "at": time.time()}
    transaction.on_commit(lambda: _queue_delivery(state["identifier"], state["nonce"]))
    return state


def _queue_delivery(identifier: str, nonce: str) -> None:
    try:
        async_task("accounts.tasks.password_reset_code_deliver", identifier, nonce, task_name=f"pw-reset-{nonce[:8]}")
    except Exception:  # broker down: no code is sent, whoever asked (the answer stays the same)
        logger.exception("could not queue a password reset code")


def reset_code_deliver(*, identifier: str, nonce: str) -> bool:
    """The background half of ``reset_request``: the SMS, if the identifier
    names an account a reset may be for and that account has had fewer than
    ``STAFF_PASSWORD_RESET_SMS_PER_DAY`` reset codes today (the request
    limits count what was typed: a username and a mobile are two keys for one
    account; this counts the account).  Reaching the cap alerts HQ once a
    day.  Returns whether a code was sent."""
    user = reset_account(identifier)
    if user is None:
        return False
    today = timezone.localdate()
    with transaction.atomic():
        # One account's deliveries one after the other, so the count is exact.
        User.objects.select_for_update(of=("self",)).filter(pk=user.pk).first()
        sent_today = OutboxMessage.objects.filter(
            user=user, template=SMS_TEMPLATE,
            created_at__gte=timezone.make_aware(dt.datetime.combine(today, dt.time.min)),
        ).exclude(dedup_key=f"password-reset:{nonce}").count()
        capped = sent_today >= settings.STAFF_PASSWORD_RESET_SMS_PER_DAY
        if not capped:
            reset_code_send(user=user, code=reset_code(nonce), nonce=nonce)
            audit_record(actor=user, action="accounts.user.password_reset_code_sent", obj=user,
                         data={"phone": mask_mobile(user.phone)})
    if capped:
        hq_alert(
            action=RESET_BURST, key=f"pw-reset:cap:{user.pk}:{today.isoformat()}", actor=None,
            text=gettext("重置密码告警：员工 %(user)s 今天已收到 %(n)d 条重置密码验证码，之后的请求不再发送短信。"
                         "可能有人在尝试重置其密码。") % {"user": user.username, "n": sent_today},
            data={"kind": "daily_cap", "user": user.username, "codes": sent_today},
        )
    return not capped


def reset_code_send(*, user: User, code: str, nonce: str) -> None:
    minutes = settings.STAFF_PASSWORD_RESET_MINUTES
    message_enqueue(
        channel=Channel.SMS,
        recipient=user.phone,
        body=gettext("【DealerOps】您正在重置员工登录密码，验证码 %(code)s，%(minutes)d 分钟内有效。如非本人操作，请忽略并告知门店管理员。")
        % {"code": code, "minutes": minutes},
        template=SMS_TEMPLATE,
        payload={"code": code},
        secrets={"code": code},  # masked in the outbox, admin and logs; only the SMS carries it
        dedup_key=f"password-reset:{nonce}",
        user=user,
        store=user.store,
        send_now=True,
    )


def reset_attempts_used(state: dict) -> int:
    """How many codes this attempt has compared (``MAX_ATTEMPTS`` once its
    counter is gone: no counter, no more tries)."""
    return attempts_used(nonce=state.get("nonce", ""), max_attempts=MAX_ATTEMPTS)


def reset_state_valid(state: dict | None) -> bool:
    """Still usable: within the code's lifetime, and either verified
    (``user_id`` set: the new-password step) or with tries left."""
    if not state or not state.get("nonce") or time.time() - state.get("at", 0) > _lifetime():
        return False
    return bool(state.get("user_id")) or reset_attempts_used(state) < MAX_ATTEMPTS


def reset_verify(*, state: dict, code: str) -> User | None:
    """The account whose code was typed correctly, else None (a wrong code,
    an unknown identifier, no tries left: the same answer).  The try is
    counted first, atomically in the cache, so requests sent in parallel
    get ``MAX_ATTEMPTS`` comparisons between them, not each."""
    matches = code_check(salt=CODE_SALT, nonce=state["nonce"], code=code, max_attempts=MAX_ATTEMPTS)
    user = reset_account(state["identifier"])  # looked up either way: a wrong code takes as long
    return user if matches else None


# --- bursts -------------------------------------------------------------------------------------


def _shown(key: str) -> str:
    return mask_mobile(key) if key.isdigit() else key


def _window() -> tuple[int, int]:
    window = settings.LOGIN_BURST_WINDOW_MINUTES * 60
    return window, int(time.time() // window)


def reset_request_noticed(*, identifier: str, ip_address: str | None) -> None:
    """A reset was asked for (allowed or refused).  One address asking for
    ``LOGIN_BURST_IP_ACCOUNTS`` different identifiers within the window alerts
    HQ once.  Only the cache is touched (no query), whatever was typed."""
    window, slot = _window()
    digest = hashlib.sha256(reset_limit_key(identifier).encode()).hexdigest()[:24]
    if not cache.add(f"pw-reset-burst:pair:{ip_address}:{digest}:{slot}", 1, window):
        return
    asked = cache_count(f"pw-reset-burst:ip:{ip_address}:{slot}", window)
    if asked == settings.LOGIN_BURST_IP_ACCOUNTS:
        hq_alert(
            action=RESET_BURST, key=f"pw-reset:ip:{ip_address}:{slot}", ip_address=ip_address,
            text=gettext("重置密码告警：IP %(ip)s 在 %(minutes)d 分钟内为 %(n)d 个不同账号申请了重置密码验证码。")
            % {"ip": ip_address, "minutes": settings.LOGIN_BURST_WINDOW_MINUTES, "n": asked},
            data={"kind": "ip", "identifiers": asked},
        )


def reset_code_refused(*, state: dict, ip_address: str | None) -> None:
    """The code page's limit refused a try: far more codes were typed for
    this identifier than a person does.  HQ is alerted once per window."""
    window, slot = _window()
    key = reset_limit_key(state["identifier"])
    digest = hashlib.sha256(key.encode()).hexdigest()[:24]
    hq_alert(
        action=RESET_BURST, key=f"pw-reset:codes:{digest}:{slot}", ip_address=ip_address,
        text=gettext("重置密码告警：账号 %(account)s 的重置密码验证码在短时间内被输错多次，可能有人在猜测验证码。")
        % {"account": _shown(key)},
        data={"kind": "codes", "account": _shown(key)},
    )


def reset_complete(*, user: User, password: str, ip_address: str | None = None) -> User:
    """Set the new password chosen after a verified code (validated by the
    form), clear ``must_change_password`` and audit it."""
    validate_password(password, user)
    with transaction.atomic():
        user.set_password(password)
        user.must_change_password = False
        user.save(update_fields=["password", "must_change_password"])
        audit_record(actor=user, action="accounts.user.password_reset_by_sms", obj=user, ip_address=ip_address)
    return user
