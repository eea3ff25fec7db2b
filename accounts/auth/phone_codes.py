"""One-time SMS codes that do not sign anyone in: the staff password reset
(``accounts.auth.password_reset``) and a visitor proving a mobile number
(a used-car inquiry without an account).  Owners signing in use allauth's
login by code instead (it needs an account; these do not).

The code is stored nowhere: it is an HMAC of a random nonce (kept by the
caller, in the visitor's session) under the project's secret key and a salt
per purpose.  Each nonce allows ``max_attempts`` comparisons, counted in the
cache by an atomic increment *before* comparing (parallel requests share one
allowance, which a session-held count would not), and lives ``lifetime``
seconds.  ``code_check`` with ``single_use`` deletes the counter on a match:
the code cannot be used twice.  Sending is rate-limited by the caller's view
(``allauth.core.ratelimit``), as the sign-in code request is."""

from __future__ import annotations

import secrets
import time

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext

from accounts.models import Channel
from accounts.outbox import message_enqueue
from accounts.validators import normalize_mobile

VISITOR_SALT = "dealerops.visitor_phone"
VISITOR_TEMPLATE = "SMS_VISITOR_CODE"


def code_for(*, salt: str, nonce: str) -> str:
    """The six-digit code of one attempt."""
    return f"{int(salted_hmac(salt, nonce).hexdigest(), 16) % 1_000_000:06d}"


def _attempts_key(nonce: str) -> str:
    return f"sms-code:attempts:{nonce}"


def attempt_open(*, lifetime: int) -> str:
    """A new attempt: its nonce, with a fresh try counter."""
    nonce = secrets.token_hex(16)
    cache.add(_attempts_key(nonce), 0, lifetime + 60)
    return nonce


def attempts_used(*, nonce: str, max_attempts: int) -> int:
    """Comparisons made so far (``max_attempts`` once the counter is gone:
    expired, used, or never opened)."""
    used = cache.get(_attempts_key(nonce or ""))
    return max_attempts if used is None else int(used)


def code_check(*, salt: str, nonce: str, code: str, max_attempts: int, single_use: bool = False) -> bool:
    """Whether ``code`` is this attempt's code.  The try is counted first; no
    counter (expired, used) or no tries left: False, whatever was typed."""
    try:
        used = cache.incr(_attempts_key(nonce or ""))
    except ValueError:
        return False
    if used > max_attempts:
        return False
    matches = constant_time_compare((code or "").strip(), code_for(salt=salt, nonce=nonce))
    if matches and single_use:
        cache.delete(_attempts_key(nonce))
    return matches


# --- a visitor proving a mobile number ----------------------------------------------------------


def visitor_code_send(*, phone: str, purpose: str, lifetime: int, store=None) -> dict:
    """Send a code to ``phone`` (through the outbox, at once after commit) and
    return the state the caller keeps in the visitor's session.  ``purpose``
    names what the code is for; a code proves the number for that purpose
    only.  The caller counts the request against its rate limit first."""
    phone = normalize_mobile(phone)
    nonce = attempt_open(lifetime=lifetime)
    code = code_for(salt=f"{VISITOR_SALT}:{purpose}", nonce=nonce)
    message_enqueue(
        channel=Channel.SMS, recipient=phone, store=store, template=VISITOR_TEMPLATE,
        body=gettext("【DealerOps】您的验证码是 %(code)s，%(minutes)d 分钟内有效。请勿泄露给他人。")
        % {"code": code, "minutes": max(lifetime // 60, 1)},
        payload={"code": code}, secrets={"code": code}, dedup_key=f"visitor-code:{nonce}", send_now=True,
    )
    return {"phone": phone, "purpose": purpose, "nonce": nonce, "at": time.time()}


def visitor_code_usable(*, state: dict | None, lifetime: int, max_attempts: int) -> bool:
    """Whether the state's code can still be tried: within its lifetime, not
    used, tries left."""
    if not state or time.time() - state.get("at", 0) > lifetime:
        return False
    return attempts_used(nonce=state.get("nonce", ""), max_attempts=max_attempts) < max_attempts


def visitor_code_verify(*, state: dict | None, phone: str, purpose: str, code: str, lifetime: int,
                        max_attempts: int) -> bool:
    """Whether ``code`` proves ``phone`` for ``purpose``: the state's number
    and purpose, within ``lifetime`` seconds, tries left, and not used before
    (a match uses the code up)."""
    if not state or state.get("purpose") != purpose or time.time() - state.get("at", 0) > lifetime:
        return False
    try:
        phone = normalize_mobile(phone)
    except ValidationError:  # an invalid number proves nothing
        return False
    if state.get("phone") != phone:
        return False
    return code_check(salt=f"{VISITOR_SALT}:{purpose}", nonce=state.get("nonce", ""), code=code,
                      max_attempts=max_attempts, single_use=True)
