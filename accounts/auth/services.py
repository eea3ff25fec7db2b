"""Sign-in side effects: SMS codes and WeChat mini-program login."""

from __future__ import annotations

import hashlib
import secrets

from allauth.headless.internal.sessionkit import new_session
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.core import signing
from django.db import IntegrityError, transaction
from django.utils.translation import gettext

from accounts import exceptions as errors
from accounts.auth.wechat import get_wechat_client
from accounts.exceptions import AccountsError
from accounts.models import Channel, Member, User
from accounts.outbox import message_enqueue

WECHAT_TICKET_SALT = "dealerops.wechat.bind"
WECHAT_TICKET_MAX_AGE = 10 * 60


def login_code_send(*, user: User, phone: str, code: str) -> None:
    """An SMS code goes through the outbox's SMS backend at once (after the
    current transaction commits), not at the worker's next poll.  The code
    is a secret: the outbox row, the portal, admin and logs show it masked;
    only the SMS provider gets it."""
    nonce = secrets.token_hex(8)
    message_enqueue(
        channel=Channel.SMS,
        recipient=phone,
        body=gettext("【DealerOps】您的登录验证码是 %(code)s，5 分钟内有效。请勿泄露给他人。") % {"code": code},
        template="SMS_LOGIN_CODE",
        payload={"code": code},
        secrets={"code": code},
        dedup_key=f"login-code:{phone}:{nonce}",
        member=Member.objects.filter(user=user).first(),
        user=user,
        send_now=True,
    )


def wechat_login(*, code: str) -> tuple[Member | None, str]:
    """Exchange a ``wx.login`` code.  Returns the bound member (or None) and
    the openid.  A member is bound only after a phone verification."""
    session = get_wechat_client().code2session(code)
    openid = session["openid"]
    return Member.objects.filter(wechat_openid=openid).select_related("user").first(), openid


def wechat_ticket_make(openid: str) -> str:
    return signing.dumps({"openid": openid}, salt=WECHAT_TICKET_SALT)


def wechat_ticket_read(ticket: str) -> str:
    try:
        return signing.loads(ticket, salt=WECHAT_TICKET_SALT, max_age=WECHAT_TICKET_MAX_AGE)["openid"]
    except (signing.BadSignature, KeyError, TypeError) as exc:
        raise AccountsError(errors.WECHAT_TICKET_INVALID, code="wechat_ticket_invalid", fields={"ticket": [str(errors.WECHAT_TICKET_INVALID)]}) from exc


def wechat_bind(*, member: Member, ticket: str) -> Member:
    """Bind the openid from a login ticket to a member whose phone was verified
    (the owner is signed in by phone code)."""
    openid = wechat_ticket_read(ticket)
    if member.wechat_openid == openid:
        return member
    try:
        with transaction.atomic():
            updated = Member.objects.filter(pk=member.pk).update(wechat_openid=openid)
    except IntegrityError as exc:
        raise AccountsError(errors.WECHAT_OPENID_TAKEN, code="wechat_openid_taken", status_code=409) from exc
    if updated:
        member.wechat_openid = openid
    return member


def openid_fingerprint(openid: str) -> str:
    return hashlib.sha256(openid.encode()).hexdigest()[:12]


def session_token_issue(*, user: User) -> str:
    """A headless "app" session token (what ``/_allauth/app/v1/`` answers)
    for a user signed in by another route (WeChat).  Clients send it as
    ``X-Session-Token``."""
    session = new_session()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "allauth.account.auth_backends.AuthenticationBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.save()
    return session.session_key
