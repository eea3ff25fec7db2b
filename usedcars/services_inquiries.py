"""Inquiries on a listing (咨询、预约看车) and owners' valuation requests (卖车/置换).

Each becomes a lead through ``leads.services.ingest.lead_ingest`` on the ``usedcar``
channel (二手车): at the listing's holding store (a valuation request: at the owner's
store), merged into the person's open lead if they have one (its source is recorded
at this store), and a first-contact task in the one task list for the store's
used-car manager (none: the store manager; none either: unassigned, for the store).
The ``Inquiry`` row links the lead to the listing or the vehicle.

A visitor who is not signed in asks with their name and mobile and proves the
number with an SMS code (``visitor_code_request`` then ``visitor_inquiry_create``):
the code machinery is ``accounts.auth.phone_codes`` (the staff password reset's:
nothing stored but a nonce in the visitor's session, tries counted in the cache,
single use, the owner sign-in code's lifetime and tries); the request is
rate-limited by the view with the owner sign-in code's limit.  The lead is then
found or created by mobile exactly as for an owner (``lead_ingest``).

Routing (decided for issue 15): a lead that *arrives* on the ``usedcar`` channel
belongs to the used-car side, not to a sales consultant.  The first-contact task
goes to the holding store's used-car manager (``usedcar_manager_for``) and the
leads app's automatic allocation and hot routing leave the lead alone (the
channel is registered with ``leads.services.allocation.allocation_exempt_channel_register``
in ``UsedcarsConfig.ready()``); the lead stays unassigned until a manager hands
it on by hand (a buyer who also wants a new car).  An inquiry from someone who
already has an open lead (another channel) is merged into it: that lead keeps
its owner and the used-car manager still gets the task.

A repeat of the same inquiry (same mobile, listing and kind; a valuation request:
same vehicle) within a day returns the first one and creates nothing (``created``
False).  The listing's (or vehicle's) row is locked while checking, so two
simultaneous repeats make one lead and one task."""

from __future__ import annotations

import datetime as dt

from allauth.account import app_settings as allauth_settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _t

from accounts.audit import audit_record
from accounts.auth.phone_codes import visitor_code_send, visitor_code_usable, visitor_code_verify
from accounts.models import Member, Role, Store, User, Vehicle
from accounts.validators import normalize_mobile
from leads.models import Channel, ChannelKind, EventKind, TaskKind
from leads.services.followup import task_create
from leads.services.ingest import lead_ingest
from usedcars import exceptions as errors
from usedcars.models import Listing
from usedcars.models_inquiries import CHANNEL_CODE, CHANNEL_NAME, Inquiry, InquiryKind
from usedcars.selectors_public import PUBLIC_STATES
from usedcars.services import invalid
from usedcars.services_shares import inquiry_referrer

DEDUP_WINDOW = dt.timedelta(days=1)
FIRST_CONTACT_WITHIN = dt.timedelta(hours=2)
VIEWING_HORIZON = dt.timedelta(days=60)
MAX_MESSAGE = 500
# What a visitor's SMS code proves their mobile for.
VISITOR_CODE_PURPOSE = "usedcar-inquiry"


def usedcar_channel() -> Channel:
    """The ``usedcar`` lead channel (a migration creates it; recreated if a test emptied the table)."""
    channel, _created = Channel.objects.get_or_create(
        code=CHANNEL_CODE, defaults={"name": CHANNEL_NAME, "kind": ChannelKind.OTHER})
    return channel


def usedcar_manager_for(store: Store) -> User | None:
    """Who handles a store's used-car leads: its used-car manager (二手车经理), else its store manager."""
    for role in (Role.USEDCAR, Role.MANAGER):
        user = User.objects.filter(store=store, role=role, is_active=True).order_by("id").first()
        if user is not None:
            return user
    return None


def _mobile(value) -> str:
    if not value or not str(value).strip():
        raise invalid("mobile", errors.INQUIRY_NEEDS_MOBILE)
    try:
        return normalize_mobile(str(value))
    except ValidationError as exc:
        raise invalid("mobile", exc.messages[0]) from exc


def _lead_and_task(*, store: Store, mobile: str, name: str, title: str, note: str, brand, behaviour: str,
                   behaviour_data: dict, actor: User | None):
    lead, _created = lead_ingest(
        mobile=mobile, channel=usedcar_channel(), store=store, name=name, model_interest=title[:100], brand=brand,
        note=note, actor=actor, behaviour=behaviour, behaviour_data=behaviour_data,
    )
    task = task_create(store=store, title=title, due_at=timezone.now() + FIRST_CONTACT_WITHIN,
                       assignee=usedcar_manager_for(store), lead=lead, kind=TaskKind.FIRST_CONTACT)
    return lead, task


def _kind_and_time_check(kind: str, preferred_time: dt.datetime | None, now: dt.datetime) -> dt.datetime | None:
    if kind not in (InquiryKind.QUESTION, InquiryKind.VIEWING):
        raise invalid("kind", errors.INQUIRY_KIND_INVALID)
    if kind != InquiryKind.VIEWING:
        return None
    if preferred_time is None:
        raise invalid("preferred_time", errors.VIEWING_NEEDS_TIME)
    if not now <= preferred_time <= now + VIEWING_HORIZON:
        raise invalid("preferred_time", errors.VIEWING_TIME_INVALID)
    return preferred_time


def _code_lifetime() -> int:
    return allauth_settings.LOGIN_BY_CODE_TIMEOUT


def visitor_contact_check(*, mobile: str, name: str) -> tuple[str, str]:
    """A visitor's mobile (normalised; the China mobile rule) and name (required)."""
    mobile, name = _mobile(mobile), (name or "").strip()[:64]
    if not name:
        raise invalid("name", errors.INQUIRY_NEEDS_NAME)
    return mobile, name


def visitor_code_request(*, listing: Listing, mobile: str, name: str) -> dict:
    """A visitor asks for an SMS code to ask about ``listing``: the name and the
    mobile are checked, the code goes out through the outbox; returns the
    state to keep in the visitor's session (the caller has counted the
    request against the rate limit)."""
    mobile, name = visitor_contact_check(mobile=mobile, name=name)
    return visitor_code_send(phone=mobile, purpose=VISITOR_CODE_PURPOSE, lifetime=_code_lifetime(),
                             store=listing.store)


def visitor_inquiry_create(*, listing: Listing, kind: str, name: str, mobile: str, code: str, code_state: dict | None,
                           message: str = "", preferred_time: dt.datetime | None = None,
                           referral_code: str = "") -> tuple[Inquiry, bool]:
    """A visitor's question or viewing: the fields are checked first (a mistake
    there does not use the code up), then the code (``code``: wrong, expired,
    used or out of tries is an error on ``code``), then ``inquiry_create`` as
    for an owner, without a member.  Returns ``(inquiry, created)``."""
    mobile, name = visitor_contact_check(mobile=mobile, name=name)
    _kind_and_time_check(kind, preferred_time, timezone.now())
    if not code_state or code_state.get("phone") != mobile:
        raise invalid("code", errors.VISITOR_CODE_EXPIRED)
    lifetime, tries = _code_lifetime(), allauth_settings.LOGIN_BY_CODE_MAX_ATTEMPTS
    if not visitor_code_verify(state=code_state, phone=mobile, purpose=VISITOR_CODE_PURPOSE, code=code,
                               lifetime=lifetime, max_attempts=tries):
        usable = visitor_code_usable(state=code_state, lifetime=lifetime, max_attempts=tries)
        raise invalid("code", errors.VISITOR_CODE_WRONG if usable else errors.VISITOR_CODE_EXPIRED)
    return inquiry_create(listing=listing, kind=kind, mobile=mobile, name=name, message=message,
                          preferred_time=preferred_time, referral_code=referral_code)


def inquiry_create(*, listing: Listing, kind: str, mobile: str, name: str = "", message: str = "",
                   preferred_time: dt.datetime | None = None, member: Member | None = None,
                   actor: User | None = None, referral_code: str = "") -> tuple[Inquiry, bool]:
    """A question or a viewing booking on a published (or reserved) listing.  A
    viewing needs a ``preferred_time`` within the next 60 days.  A signed-in owner
    passes ``member`` (their mobile and name are used).  ``referral_code``: the code of
    the share link the visitor came by; its staff member is recorded on the inquiry
    (``referred_by``) and on the lead's event (``usedcars.services_shares.inquiry_referrer``).
    Returns ``(inquiry, created)``."""
    now = timezone.now()
    preferred_time = _kind_and_time_check(kind, preferred_time, now)
    if member is not None:
        mobile, name = member.mobile, name or member.name
    mobile = _mobile(mobile)
    name, message = (name or "").strip()[:64], (message or "").strip()[:MAX_MESSAGE]
    code = "".join(ch for ch in str(referral_code or "") if ch.isascii() and ch.isalnum()).upper()[:12]
    referrer = inquiry_referrer(code=code, member=member, mobile=mobile) if code else None
    with transaction.atomic():
        locked = Listing.objects.select_for_update(of=("self",)).select_related("store", "brand").filter(
            pk=listing.pk).first()
        if locked is None or locked.state not in PUBLIC_STATES or not locked.store.is_active:
            raise invalid("listing", errors.INQUIRY_LISTING_CLOSED)
        existing = Inquiry.objects.filter(listing=locked, mobile=mobile, kind=kind,
                                          created_at__gte=now - DEDUP_WINDOW).first()
        if existing is not None:
            return existing, False
        if kind == InquiryKind.VIEWING:
            when = timezone.localtime(preferred_time).strftime("%m-%d %H:%M")
            title = _t("二手车预约看车：%(title)s（%(when)s）") % {"title": locked.title, "when": when}
            behaviour = EventKind.TEST_DRIVE_BOOKED
        else:
            title = _t("二手车咨询：%(title)s") % {"title": locked.title}
            behaviour = EventKind.PRICE_REQUEST
        lead, task = _lead_and_task(
            store=locked.store, mobile=mobile, name=name, title=title, note=message, brand=locked.brand,
            behaviour=behaviour, actor=actor,
            behaviour_data={"usedcar_listing": locked.pk,
                            **({"preferred_time": preferred_time.isoformat()} if preferred_time else {}),
                            **({"referred_by": referrer.pk, "referral_code": code} if referrer else {})},
        )
        inquiry = Inquiry.objects.create(
            kind=kind, listing=locked, store=locked.store, member=member, name=name, mobile=mobile, message=message,
            preferred_time=preferred_time, lead=lead, task=task, referred_by=referrer,
            referral_code=code if referrer else "",
        )
        audit_record(actor=actor, action="usedcars.inquiry.created", obj=inquiry, store=locked.store,
                     data={"kind": kind, "listing": locked.pk, "lead": lead.pk,
                           **({"referred_by": referrer.pk} if referrer else {})})
    return inquiry, True


def valuation_request_create(*, member: Member, vehicle: Vehicle, message: str = "",
                             actor: User | None = None) -> tuple[Inquiry, bool]:
    """An owner asks to sell or trade in their own vehicle: a trade-in lead at their
    store with a task for its used-car manager.  Returns ``(inquiry, created)``."""
    if vehicle.member_id != member.pk:
        raise invalid("vehicle", errors.VALUATION_VEHICLE_TRADED)
    message = (message or "").strip()[:MAX_MESSAGE]
    now = timezone.now()
    with transaction.atomic():
        locked = Vehicle.objects.select_for_update(of=("self",)).select_related("brand").get(pk=vehicle.pk)
        if locked.traded_in_at is not None:
            raise invalid("vehicle", errors.VALUATION_VEHICLE_TRADED)
        existing = Inquiry.objects.filter(vehicle=locked, kind=InquiryKind.VALUATION,
                                          created_at__gte=now - DEDUP_WINDOW).first()
        if existing is not None:
            return existing, False
        store = member.store
        described = " ".join(p for p in (locked.brand.name if locked.brand_id else "", locked.series, locked.model,
                                          locked.plate or "") if p)
        title = _t("卖车/置换估价：%(vehicle)s") % {"vehicle": described or _t("会员车辆")}
        lead, task = _lead_and_task(
            store=store, mobile=member.mobile, name=member.name, title=title, note=message, brand=locked.brand,
            behaviour=EventKind.PRICE_REQUEST, actor=actor, behaviour_data={"usedcar_vehicle": locked.pk},
        )
        inquiry = Inquiry.objects.create(
            kind=InquiryKind.VALUATION, vehicle=locked, store=store, member=member, name=member.name,
            mobile=member.mobile, message=message, lead=lead, task=task,
        )
        audit_record(actor=actor, action="usedcars.valuation_request.created", obj=inquiry, store=store,
                     data={"vehicle": locked.pk, "lead": lead.pk})
    return inquiry, True
