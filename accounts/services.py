"""Every write of the accounts app.  Keyword-only, typed, one rule in one place."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import time
import unicodedata
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext

from accounts import exceptions as errors
from accounts import hooks
from accounts.audit import audit_record
from accounts.catalogue.services import vehicle_make_resolve
from accounts.exceptions import AccountsError, ApplicationError
from accounts.models import (
    CHANNEL_PREFERENCE_FIELDS,
    STORE_ROLES,
    TOPIC_PREFERENCE_FIELDS,
    AuditLog,
    Brand,
    CarModel,
    CarSeries,
    Channel,
    ConsentSource,
    Gender,
    IdempotencyKey,
    Member,
    Role,
    SmsReply,
    SmsReplyAction,
    Store,
    User,
    Vehicle,
)
from accounts.outbox import message_enqueue
from accounts.validators import clean_plate, clean_vin, mask_mobile, normalize_mobile

PROFILE_FIELDS = ("name", "gender", "birthday", "city")
NOTIFICATION_FIELDS = (*CHANNEL_PREFERENCE_FIELDS.values(), *TOPIC_PREFERENCE_FIELDS.values())


def _validation_to_error(exc: ValidationError, field: str) -> AccountsError:
    return AccountsError(exc.messages[0], code="invalid", fields={field: exc.messages})


# --- Members ---------------------------------------------------------------------------


def member_create(
    *,
    mobile: str,
    store: Store,
    name: str = "",
    source_channel: str = "",
    marketing_consent: bool = False,
    consent_source: str = "",
    actor: User | None = None,
    **profile: Any,
) -> Member:
    try:
        mobile = normalize_mobile(mobile)
    except ValidationError as exc:
        raise _validation_to_error(exc, "mobile") from exc
    try:
        with transaction.atomic():
            member = Member.objects.create(
                mobile=mobile,
                store=store,
                name=name,
                source_channel=source_channel,
                marketing_consent=marketing_consent,
                consent_at=timezone.now() if marketing_consent else None,
                consent_source=consent_source if marketing_consent else "",
                **{k: v for k, v in profile.items() if k in PROFILE_FIELDS},
            )
    except IntegrityError as exc:
        raise AccountsError(errors.MEMBER_MOBILE_TAKEN, code="mobile_taken", fields={"mobile": [str(errors.MEMBER_MOBILE_TAKEN)]}) from exc
    if actor is not None:
        audit_record(actor=actor, action="accounts.member.created", obj=member)
    return member


def default_store() -> Store:
    """The store that owns members who arrive with no store of their own (a
    mini-program sign-up): the group's first active store."""
    store = Store.objects.filter(is_active=True).order_by("code").first()
    if store is None:
        raise AccountsError(_no_store_message(), code="no_store")
    return store


def _no_store_message() -> str:
    return gettext("系统尚未配置门店。")


@transaction.atomic
def member_ensure_for_owner(*, user: User, source: str = ConsentSource.MINISITE) -> Member:
    """An owner who signed in by phone gets (or is linked to) the Member with
    that mobile; a new number creates the Member."""
    existing = Member.objects.filter(user=user).first()
    if existing is not None:
        return existing
    if not user.phone:
        raise AccountsError(code="no_phone")
    member = Member.objects.select_for_update().filter(mobile=user.phone).first()
    if member is None:
        member = Member.objects.create(mobile=user.phone, store=default_store(), user=user, source_channel=source)
    elif member.user_id is None:
        member.user = user
        member.save(update_fields=["user"])
    return member


def member_update_profile(*, member: Member, data: dict[str, Any], actor: User | None = None) -> Member:
    changed = [field for field in PROFILE_FIELDS if field in data and getattr(member, field) != data[field]]
    for field in changed:
        setattr(member, field, data[field])
    if "marketing_consent" in data:
        member_set_consent(member=member, consent=bool(data["marketing_consent"]), source=data.get("consent_source") or ConsentSource.MINIPROGRAM, save=False)
        changed += ["marketing_consent", "consent_at", "consent_source"]
    if changed:
        member.full_clean(exclude=["user", "store", "mobile"])
        member.save(update_fields=sorted(set(changed)))
        if profile_is_complete(member):
            hooks.member_event(hooks.PROFILE_COMPLETED, member=member)
    return member


def profile_is_complete(member: Member) -> bool:
    """Name, gender, birthday and city all given (the "complete your profile" task)."""
    return bool(member.name and member.gender != Gender.UNKNOWN and member.birthday and member.city)


def member_set_consent(*, member: Member, consent: bool, source: str, save: bool = True) -> Member:
    """PIPL: record when and where the member gave or withdrew consent."""
    if member.marketing_consent == consent and member.consent_at:
        return member
    member.marketing_consent = consent
    member.consent_at = timezone.now()
    member.consent_source = source
    if save:
        member.save(update_fields=["marketing_consent", "consent_at", "consent_source"])
    return member


def member_set_notification_preferences(
    *, member: Member, data: dict[str, Any], source: str, actor: User | None = None
) -> Member:
    """The owner's notification preferences (通知偏好): marketing consent
    (recorded with time and source, PIPL) plus the channels (SMS, mini-program
    messages) and topics (points, care, membership notices) they accept.
    The outbox applies them when a message is written and again when it is
    sent, so a change also stops messages already waiting.  Keys absent from
    ``data`` are left as they are."""
    changed = {
        field: bool(data[field]) for field in NOTIFICATION_FIELDS
        if field in data and getattr(member, field) != bool(data[field])
    }
    with transaction.atomic():
        for field, value in changed.items():
            setattr(member, field, value)
        update_fields = list(changed)
        if "marketing_consent" in data and (
            bool(data["marketing_consent"]) != member.marketing_consent or not member.consent_at
        ):
            member_set_consent(member=member, consent=bool(data["marketing_consent"]), source=source, save=False)
            changed["marketing_consent"] = member.marketing_consent
            update_fields += ["marketing_consent", "consent_at", "consent_source"]
        if update_fields:
            member.save(update_fields=update_fields)
            audit_record(actor=actor, action="accounts.member.notifications", obj=member, store=member.store,
                         data={"changed": changed, "source": source})
    return member


# --- Reveals of full mobile numbers --------------------------------------------------------------

MEMBER_MOBILE_REVEALED = "accounts.member.mobile_revealed"
USER_PHONE_REVEALED = "accounts.user.phone_revealed"
# Every audited reveal counts against the same hourly allowance.
REVEAL_ACTIONS = (MEMBER_MOBILE_REVEALED, USER_PHONE_REVEALED)
REVEAL_LIMIT_REACHED = "accounts.reveal.limit_reached"


def _reveal_record(*, actor: User, action: str, obj, ip_address: str | None) -> None:
    """One reveal: allowed while ``actor`` has made fewer than
    ``MOBILE_REVEAL_LIMIT_PER_HOUR`` reveals in the last hour (counted from the
    audit log, so every process and every surface shares the count), and then
    audited.  Over the limit: HQ is alerted once per user and hour and the
    reveal is refused with 429 ``reveal_rate_limited``."""
    limit = settings.MOBILE_REVEAL_LIMIT_PER_HOUR
    with transaction.atomic():
        # One user's reveals are counted one after the other.
        User.objects.select_for_update().filter(pk=actor.pk).first()
        since = timezone.now() - dt.timedelta(hours=1)
        used = AuditLog.objects.filter(actor=actor, action__in=REVEAL_ACTIONS, created_at__gte=since).count()
        allowed = used < limit
        if allowed:
            audit_record(actor=actor, action=action, obj=obj, ip_address=ip_address)
    if not allowed:
        hq_alert(
            action=REVEAL_LIMIT_REACHED,
            key=f"reveal-limit:{actor.pk}:{int(time.time() // 3600)}",
            text=gettext("%(who)s 在 1 小时内查看完整手机号已达上限（%(limit)d 次），请核实。")
            % {"who": actor.display_name, "limit": limit},
            actor=actor,
            data={"limit": limit},
            ip_address=ip_address,
        )
        raise AccountsError(
            str(errors.REVEAL_LIMIT_REACHED) % {"limit": limit}, code="reveal_rate_limited", status_code=429
        )


def member_reveal_mobile(*, member: Member, actor: User, ip_address: str | None = None) -> str:
    """Showing a full mobile number is a deliberate, audited action, with an
    hourly allowance per user (``_reveal_record``)."""
    _reveal_record(actor=actor, action=MEMBER_MOBILE_REVEALED, obj=member, ip_address=ip_address)
    return member.mobile


def user_reveal_phone(*, user: User, actor: User, ip_address: str | None = None) -> str:
    """A login's full mobile number (Django admin), audited and counted like
    a member's."""
    _reveal_record(actor=actor, action=USER_PHONE_REVEALED, obj=user, ip_address=ip_address)
    return user.phone or ""


# --- Alerts to HQ ---------------------------------------------------------------------------------

# How long hq_alert's cache gate holds a key (the keys name their own window).
HQ_ALERT_GATE_SECONDS = 24 * 3600


def hq_alert(
    *, action: str, key: str, text: str, actor: User | None = None, data: dict | None = None,
    ip_address: str | None = None,
) -> bool:
    """Tell HQ about something suspicious: one audit row (``action``) and a
    WeCom message to every active HQ operator, once per ``key`` (the key
    names the subject and its time window).  Returns False when this key was
    already alerted.

    Bursts call this from many requests at once: the gate is ``cache.add``
    (atomic, shared by every process through Redis), so of concurrent callers
    exactly one writes; the audit log remains the record once the gate's
    entry has expired."""
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    if AuditLog.objects.filter(action=action, data__alert_key=key).exists():
        return False
    gate = f"hq-alert:{hashlib.sha256(action.encode()).hexdigest()[:12]}:{digest}"
    if not cache.add(gate, 1, HQ_ALERT_GATE_SECONDS):
        return False
    try:
        with transaction.atomic():
            audit_record(actor=actor, action=action, data={**(data or {}), "alert_key": key}, ip_address=ip_address)
            for operator in User.objects.filter(role=Role.HQ, is_active=True).order_by("pk"):
                message_enqueue(
                    channel=Channel.WECOM, recipient=operator.username, user=operator, template="hq_security_alert",
                    body=text, payload={"action": action}, dedup_key=f"hq-alert:{digest}:{operator.pk}",
                )
    except Exception:
        cache.delete(gate)  # nothing was written: the next caller alerts
        raise
    return True


# --- Failed sign-ins --------------------------------------------------------------------------------

LOGIN_FAILURE_BURST = "accounts.login.failure_burst"


def cache_count(key: str, timeout: int) -> int:
    """Add one to the counter ``key`` (created for ``timeout`` seconds) and
    return it; atomic where the cache is (Redis, the local memory cache)."""
    cache.add(key, 0, timeout)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout)
        return 1


def login_failure_record(*, account: str, ip_address: str) -> None:
    """A failed staff sign-in (portal or headless).  The throttle itself is
    allauth's ``login_failed`` limit, keyed per IP and account by our adapter;
    here bursts are noticed and reported to HQ (``hq_alert``, once per
    window): ``LOGIN_BURST_ACCOUNT_FAILURES`` failures for one account within
    ``LOGIN_BURST_WINDOW_MINUTES`` (more than one IP can produce under the
    per-pair limit), or ``LOGIN_BURST_IP_ACCOUNTS`` different accounts failing
    from one IP.  Counters live in the cache (shared between processes when
    ``REDIS_URL`` is set)."""
    window = settings.LOGIN_BURST_WINDOW_MINUTES * 60
    slot = int(time.time() // window)
    account_id = hashlib.sha256(account.encode()).hexdigest()[:24]
    shown = mask_mobile(account) if account.isdigit() else account
    failures = cache_count(f"login-burst:account:{account_id}:{slot}", window)
    if failures == settings.LOGIN_BURST_ACCOUNT_FAILURES:
        hq_alert(
            action=LOGIN_FAILURE_BURST, key=f"login-burst:account:{account_id}:{slot}",
            text=gettext("登录告警：账号 %(account)s 在 %(minutes)d 分钟内登录失败 %(n)d 次，可能正被多个地址尝试密码。")
            % {"account": shown, "minutes": settings.LOGIN_BURST_WINDOW_MINUTES, "n": failures},
            data={"kind": "account", "account": shown, "failures": failures}, ip_address=ip_address,
        )
    if cache.add(f"login-burst:pair:{ip_address}:{account_id}:{slot}", 1, window):
        accounts = cache_count(f"login-burst:ip:{ip_address}:{slot}", window)
        if accounts == settings.LOGIN_BURST_IP_ACCOUNTS:
            hq_alert(
                action=LOGIN_FAILURE_BURST, key=f"login-burst:ip:{ip_address}:{slot}",
                text=gettext("登录告警：IP %(ip)s 在 %(minutes)d 分钟内尝试了 %(n)d 个不同账号。")
                % {"ip": ip_address, "minutes": settings.LOGIN_BURST_WINDOW_MINUTES, "n": accounts},
                data={"kind": "ip", "accounts": accounts}, ip_address=ip_address,
            )


# --- SMS replies (上行短信) -----------------------------------------------------------------

# Replies that mean "no more SMS" (回复R/T退订): compared after NFKC (full-width
# letters folded), stripping and upper-casing.
SMS_UNSUBSCRIBE_KEYWORDS = frozenset({"R", "T", "TD", "N", "退订", "取消", "拒收"})


def sms_reply_is_unsubscribe(content: str) -> bool:
    return unicodedata.normalize("NFKC", content or "").strip().upper() in SMS_UNSUBSCRIBE_KEYWORDS


def sms_reply_receive(
    *, provider_id: str, mobile: str, content: str, received_at: dt.datetime | None = None
) -> SmsReply:
    """Record one reply to our SMS and act on it, once per provider reply id:
    a retried delivery (even a concurrent one: the unique ``provider_id``
    decides) returns the first reply's row and changes nothing.

    An unsubscribe keyword (``SMS_UNSUBSCRIBE_KEYWORDS``) from a member's
    mobile mutes SMS for that member (``notify_sms``, source ``sms``, audited),
    so marketing and topic notices stop while sign-in codes still go.  Other
    content is kept with action ``none``; a mobile that is no member's with
    ``unknown_mobile``.  A malformed mobile is an ``AccountsError`` (400)."""
    existing = SmsReply.objects.filter(provider_id=provider_id).first()
    if existing is not None:
        return existing
    try:
        mobile = normalize_mobile(mobile)
    except ValidationError as exc:
        raise _validation_to_error(exc, "mobile") from exc
    member = Member.objects.filter(mobile=mobile).first()
    if member is None:
        action = SmsReplyAction.UNKNOWN_MOBILE
    elif sms_reply_is_unsubscribe(content):
        action = SmsReplyAction.UNSUBSCRIBED
    else:
        action = SmsReplyAction.NONE
    try:
        with transaction.atomic():
            reply = SmsReply.objects.create(
                provider_id=provider_id, mobile=mobile, content=content, member=member, action=action,
                received_at=received_at or timezone.now(),
            )
            if action == SmsReplyAction.UNSUBSCRIBED:
                member_set_notification_preferences(member=member, data={"notify_sms": False}, source=ConsentSource.SMS)
    except IntegrityError:
        existing = SmsReply.objects.filter(provider_id=provider_id).first()
        if existing is None:  # some other constraint: not a retry
            raise
        return existing
    return reply


# --- Vehicles -----------------------------------------------------------------------------


def vehicle_add(
    *,
    member: Member,
    plate: str | None = None,
    vin: str | None = None,
    brand: Brand | str | None = None,
    series: CarSeries | str = "",
    model: str = "",
    model_id: CarModel | int | None = None,
    colour: str = "",
    purchase_date: dt.date | None = None,
    mileage: int | None = None,
    actor: User | None = None,
) -> Vehicle:
    """Register a member's car.  What car it is comes from the catalogue
    (``vehicle_make_resolve``): a catalogue model (``model_id``), or a brand
    and series by code or Chinese name; ``model`` may stay free text.  An
    unknown brand, series or model is an error on that field."""
    fields: dict[str, list[str]] = {}
    if plate:
        try:
            plate = clean_plate(plate)
        except ValidationError as exc:
            fields["plate"] = exc.messages
    if vin:
        try:
            vin = clean_vin(vin)
        except ValidationError as exc:
            fields["vin"] = exc.messages
    if fields:
        raise AccountsError(next(iter(fields.values()))[0], code="invalid", fields=fields)
    if not plate and not vin:
        raise AccountsError(errors.VEHICLE_NEEDS_ID, code="invalid", fields={"plate": [str(errors.VEHICLE_NEEDS_ID)]})
    if mileage is not None and mileage < 0:
        raise AccountsError(code="invalid", fields={"mileage": ["≥ 0"]})
    make = vehicle_make_resolve(brand=brand, series=series, model=model, model_id=model_id)
    if plate and Vehicle.objects.filter(plate=plate).exists():
        raise AccountsError(errors.VEHICLE_PLATE_TAKEN, code="plate_taken", fields={"plate": [str(errors.VEHICLE_PLATE_TAKEN)]})
    if vin and Vehicle.objects.filter(vin=vin).exists():
        raise AccountsError(errors.VEHICLE_VIN_TAKEN, code="vin_taken", fields={"vin": [str(errors.VEHICLE_VIN_TAKEN)]})
    try:
        with transaction.atomic():
            vehicle = Vehicle.objects.create(
                member=member,
                plate=plate or None,
                vin=vin or None,
                brand=make.brand,
                series=make.series_text,
                model=make.model_text,
                catalogue_series=make.series,
                catalogue_model=make.model,
                colour=colour,
                purchase_date=purchase_date,
                mileage=mileage,
            )
    except IntegrityError as exc:  # a concurrent request registered it first
        raise AccountsError(errors.VEHICLE_PLATE_TAKEN, code="plate_taken") from exc
    if actor is not None and actor.is_staff_member:
        audit_record(actor=actor, action="accounts.vehicle.added", obj=vehicle, store=member.store)
    hooks.member_event(hooks.VEHICLE_ADDED, member=member, vehicle=vehicle)
    return vehicle


def vehicle_remove(*, vehicle: Vehicle, actor: User | None = None) -> None:
    store = vehicle.member.store
    if actor is not None and actor.is_staff_member:
        audit_record(actor=actor, action="accounts.vehicle.removed", obj=vehicle, store=store)
    vehicle.delete()


# --- Owner accounts ---------------------------------------------------------------------------


def owner_username_new() -> str:
    """An owner's username: opaque, so that no list, log or audit row that
    shows a username shows the owner's mobile number."""
    return f"owner_{secrets.token_hex(8)}"


def owner_account_for_phone(*, phone: str) -> User:
    """The account that signs in with ``phone`` (already normalised): the
    existing one, else a new owner account (no password, phone unverified
    until the SMS code is confirmed).  Called only once the code request has
    passed the rate limiter; a concurrent request for the same number gets
    the account the first one opened."""
    for _attempt in range(3):
        user = User.objects.filter(phone=phone).first()
        if user is not None:
            return user
        try:
            with transaction.atomic():
                return User.objects.create_user(username=owner_username_new(), phone=phone, role=Role.OWNER, password=None)
        except IntegrityError:
            continue  # the number (or, once in 2**64, the username) was taken meanwhile
    raise AccountsError(code="busy", status_code=503)


def owner_accounts_purge_abandoned(*, now: dt.datetime | None = None, batch_size: int = 1000) -> int:
    """Delete owner accounts a code request opened that were never used: no
    verified phone, no member, never signed in, no password, older than
    ``OWNER_ABANDONED_AFTER_HOURS``.  Set-based, in batches of ids; safe to
    run twice.  Returns how many were deleted."""
    cutoff = (now or timezone.now()) - dt.timedelta(hours=settings.OWNER_ABANDONED_AFTER_HOURS)
    abandoned = User.objects.filter(
        role=Role.OWNER, phone_verified=False, last_login__isnull=True, member__isnull=True,
        is_staff=False, is_superuser=False, password__startswith="!", date_joined__lt=cutoff,
    )
    deleted = 0
    while ids := list(abandoned.order_by("pk").values_list("pk", flat=True)[:batch_size]):
        with transaction.atomic():
            User.objects.filter(pk__in=ids).delete()
        deleted += len(ids)
    if deleted:
        audit_record(actor=None, action="accounts.owner.abandoned_purged", data={"accounts": deleted})
    return deleted


# --- Staff ------------------------------------------------------------------------------------


def staff_set_role(*, user: User, role: str, store: Store | None, actor: User) -> User:
    if not (actor.is_superuser or actor.role == Role.ADMIN):
        raise ApplicationError(errors.NOT_ALLOWED, code="forbidden", status_code=403)
    if role in STORE_ROLES and store is None:
        raise AccountsError(errors.ROLE_NEEDS_STORE, code="invalid", fields={"store": [str(errors.ROLE_NEEDS_STORE)]})
    before = {"role": user.role, "store": user.store.code if user.store_id else None}
    user.role = role
    user.store = store if role in STORE_ROLES else None
    user.save(update_fields=["role", "store"])
    audit_record(
        actor=actor,
        action="accounts.user.role_changed",
        obj=user,
        store=user.store,
        data={"before": before, "after": {"role": role, "store": store.code if store else None}},
    )
    return user


def members_advisor_assign(*, member_ids, advisor: User) -> int:
    """Make ``advisor`` the 专属顾问 of those of ``member_ids`` that have none
    yet (a lead of theirs was allocated); one statement.  Returns how many."""
    ids = [pk for pk in member_ids if pk]
    if not ids:
        return 0
    return Member.objects.filter(pk__in=ids, advisor__isnull=True).update(advisor=advisor)


def members_advisor_transfer(*, from_user: User, to_user: User, actor: User | None) -> int:
    """A hand-over (离职交接): every member whose 专属顾问 is ``from_user`` gets
    ``to_user``, in one statement, with one audit row naming both.  The
    caller (``leads.services.allocation.staff_handover``) checks who may."""
    moved = Member.objects.filter(advisor=from_user).update(advisor=to_user)
    if moved:
        audit_record(actor=actor, action="accounts.member.advisor_transferred", obj=from_user, store=from_user.store,
                     data={"from": from_user.username, "to": to_user.username, "members": moved})
    return moved


def staff_set_off_duty(*, user: User, actor: User | None, deactivate: bool = False) -> User:
    """Take a staff member off duty (no new leads), and with ``deactivate``
    also close their account (a departing employee, after the hand-over)."""
    user.on_duty = False
    fields = ["on_duty"]
    if deactivate:
        user.is_active = False
        fields.append("is_active")
    user.save(update_fields=fields)
    audit_record(actor=actor, action="accounts.user.off_duty", obj=user, store=user.store,
                 data={"deactivated": deactivate})
    return user


# Temporary passwords: no look-alike characters (0/O, 1/l/I), read out or typed from a phone.
TEMPORARY_PASSWORD_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyzABCDEFGHJKMNPQRSTUVWXYZ"


def staff_password_reset_allowed(*, user: User, actor: User) -> bool:
    """Who may give whom a temporary password: a superuser anyone with a
    password (not owners: they sign in by SMS code); an admin any staff login
    but a superuser; a store manager the other staff of their own store
    (not managers).  Nobody resets their own password this way."""
    if not user.is_active or user.pk == actor.pk or not actor.is_active:
        return False
    if actor.is_superuser:
        return user.is_staff_member
    if actor.role == Role.ADMIN:
        return user.is_staff_member and not user.is_superuser
    if actor.role == Role.MANAGER:
        return (
            actor.store_id is not None and user.store_id == actor.store_id and not user.is_superuser
            and user.role in STORE_ROLES and user.role != Role.MANAGER
        )
    return False


def staff_password_reset(*, user: User, actor: User, ip_address: str | None = None) -> str:
    """Give ``user`` a temporary password (returned once, to show the actor)
    that must be changed at the next sign-in (``must_change_password``).
    Setting it signs the user out everywhere (sessions and app tokens carry
    the password hash).  Audited."""
    if not staff_password_reset_allowed(user=user, actor=actor):
        raise ApplicationError(errors.NOT_ALLOWED, code="forbidden", status_code=403)
    temporary = "".join(secrets.choice(TEMPORARY_PASSWORD_ALPHABET) for _ in range(10))
    with transaction.atomic():
        user.set_password(temporary)
        user.must_change_password = True
        user.save(update_fields=["password", "must_change_password"])
        audit_record(actor=actor, action="accounts.user.password_reset", obj=user, store=user.store,
                     data={"by": "superuser" if actor.is_superuser else actor.role}, ip_address=ip_address)
    return temporary


def export_record(*, actor: User, what: str, rows: int, filters: dict | None = None) -> None:
    """Every export of personal data is audited (who, what, how many rows)."""
    audit_record(actor=actor, action=f"{what}.exported", store=actor.store, data={"rows": rows, "filters": filters or {}})


# --- Idempotency keys -----------------------------------------------------------------------


def idempotency_keys_purge() -> int:
    cutoff = timezone.now() - dt.timedelta(hours=settings.IDEMPOTENCY_KEY_TTL_HOURS)
    deleted, _ = IdempotencyKey.objects.filter(created_at__lt=cutoff).delete()
    return deleted
