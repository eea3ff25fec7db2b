"""Staff password reset by an SMS code to the mobile on file.

Staff have no e-mail, and allauth's password reset by code works by e-mail
only, so this is our own three-step flow (pages in ``accounts.auth.views``):

1. ``reset_request``: the staff member types their username or mobile.  The
   request is rate-limited (``staff_password_reset``: per IP and per
   identifier), then the answer is the same whatever was typed: a random
   nonce is kept in the session and a background task is queued.  The
   request never looks the account up, so an existing and an unknown
   account take the same path and the same time.
2. The task (``reset_code_deliver``) looks the identifier up and, for an
   active staff login with a password and a mobile, sends the code derived
   from the nonce by SMS through the outbox.  Nothing is sent otherwise.
3. ``reset_verify``: the code typed is compared with the one derived from
   the nonce; an unknown identifier never matches.  Five wrong codes or ten
   minutes end the attempt.  Then ``reset_complete`` sets the new password
   (it also clears ``must_change_password``) and audits it.

Owners have no password (they sign in by SMS code): an owner's number is an
unknown identifier here.  The code itself is stored nowhere: it is an HMAC of
the nonce under the project's secret key.
"""

from __future__ import annotations

import logging
import secrets
import time

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext
from django_q.tasks import async_task

from accounts.audit import audit_record
from accounts.models import STAFF_ROLES, Channel, User
from accounts.outbox import message_enqueue
from accounts.validators import mask_mobile, normalize_mobile

logger = logging.getLogger("dealerops.auth")

CODE_SALT = "dealerops.staff_password_reset"
MAX_ATTEMPTS = 5
SMS_TEMPLATE = "SMS_PASSWORD_RESET_CODE"


def reset_code(nonce: str) -> str:
    """The six-digit code of one reset attempt."""
    return f"{int(salted_hmac(CODE_SALT, nonce).hexdigest(), 16) % 1_000_000:06d}"


def reset_account(identifier: str) -> User | None:
    """The staff login a reset may be for: active, staff (or superuser), with
    a password and a mobile on file; found by mobile or by username."""
    identifier = (identifier or "").strip()
    try:
        match = Q(phone=normalize_mobile(identifier))
    except ValidationError:  # not a mobile number: a username
        match = Q(username__iexact=identifier)
    candidates = User.objects.filter(match, is_active=True, phone__isnull=False).filter(
        Q(role__in=sorted(STAFF_ROLES)) | Q(is_superuser=True)
    ).exclude(password__startswith="!").order_by("pk")
    return candidates.first()


def reset_request(*, identifier: str) -> dict:
    """Start a reset; returns the state to keep in the session.  The same
    work whatever ``identifier`` names (see the module docstring)."""
    state = {"identifier": identifier.strip()[:150], "nonce": secrets.token_hex(16), "at": time.time(), "attempts": 0}
    transaction.on_commit(lambda: _queue_delivery(state["identifier"], state["nonce"]))
    return state


def _queue_delivery(identifier: str, nonce: str) -> None:
    try:
        async_task("accounts.tasks.password_reset_code_deliver", identifier, nonce, task_name=f"pw-reset-{nonce[:8]}")
    except Exception:  # broker down: no code is sent, whoever asked (the answer stays the same)
        logger.exception("could not queue a password reset code")


def reset_code_deliver(*, identifier: str, nonce: str) -> bool:
    """The background half of ``reset_request``: the SMS, if the identifier
    names an account a reset may be for.  Returns whether one was sent."""
    user = reset_account(identifier)
    if user is None:
        return False
    reset_code_send(user=user, code=reset_code(nonce), nonce=nonce)
    audit_record(actor=user, action="accounts.user.password_reset_code_sent", obj=user,
                 data={"phone": mask_mobile(user.phone)})
    return True


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


def reset_state_valid(state: dict | None) -> bool:
    return bool(state) and time.time() - state["at"] <= settings.STAFF_PASSWORD_RESET_MINUTES * 60 and (
        state["attempts"] < MAX_ATTEMPTS
    )


def reset_verify(*, state: dict, code: str) -> User | None:
    """The account whose code was typed correctly, else None (a wrong code,
    an unknown identifier: the same answer).  Counts the attempt in
    ``state``."""
    user = reset_account(state["identifier"])
    matches = constant_time_compare((code or "").strip(), reset_code(state["nonce"]))
    if not matches or user is None:
        state["attempts"] += 1
        return None
    return user


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
