"""Lead ingestion and cleaning (线索清洗): normalise, validate, merge by mobile,
link to the member, keep every source with its channel."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from accounts.audit import audit_record
from accounts.catalogue.services import series_match
from accounts.models import Brand, Member, Store, User
from accounts.scoping import store_ids_for
from accounts.validators import normalize_mobile
from leads import exceptions as errors
from leads.exceptions import LeadsError
from leads.models import Channel, ChannelQRCode, EventKind, Lead, LeadEvent, LeadSource
from leads.services.allocation import lead_allocation_enqueue
from leads.services.nurture import nurture_plan
from leads.services.scoring import (
    lead_event_record,
    lead_route_hot,
    lead_score_set,
    lead_scored_route,
    scoring_config,
)


def channel_resolve(code: str) -> Channel:
    channel = Channel.objects.filter(code=(code or "").strip().lower(), is_active=True).first()
    if channel is None:
        raise LeadsError(errors.UNKNOWN_CHANNEL, code="invalid", fields={"channel": [str(errors.UNKNOWN_CHANNEL)]})
    return channel


def store_resolve(*, code: str, actor: User | None) -> Store:
    store = Store.objects.filter(code=(code or "").strip().upper(), is_active=True).first()
    if store is None:
        raise LeadsError(errors.UNKNOWN_STORE, code="invalid", fields={"store": [str(errors.UNKNOWN_STORE)]})
    store_allowed_check(store, actor)
    return store


def store_allowed_check(store: Store, actor: User | None) -> None:
    """Staff write leads (and channel QR codes) only for their own stores
    (``LeadsError`` on ``store`` otherwise); owners and the system for any."""
    if actor is None or actor.is_owner:
        return
    allowed = store_ids_for(actor)
    if allowed is not None and store.pk not in allowed:
        raise LeadsError(errors.STORE_NOT_ALLOWED, code="invalid", fields={"store": [str(errors.STORE_NOT_ALLOWED)]})


def lead_ingest(
    *,
    mobile: str,
    channel: Channel | str,
    store: Store | str | None = None,
    name: str = "",
    model_interest: str = "",
    brand: Brand | None = None,
    note: str = "",
    actor: User | None = None,
    qr_code: ChannelQRCode | None = None,
    behaviour: str | None = None,
    behaviour_data: dict | None = None,
) -> tuple[Lead, bool]:
    """Take one lead from any channel.  Returns ``(lead, created)``; a mobile
    with an open lead anywhere in the group is merged into that lead (its
    history kept, the new source recorded).  ``behaviour`` records what the
    person did (asked a price, booked a test drive) as a scoring event, with
    ``behaviour_data`` (a preferred date ...) on that event.

    Queries: the channel and store are resolved once (pass the objects to
    skip even that) and handed down; a new lead without a behaviour is
    scored (it has no behaviour events yet: its profile alone) and put on
    the nurture sequence in memory, so its INSERT carries both — no rescore
    read or UPDATE — and it comes back with its ``sources`` prefetched (the
    one just written) so it serializes without queries; a merged lead is
    rescored inside the merge, its changed fields and score one UPDATE."""
    try:
        mobile = normalize_mobile(mobile)
    except ValidationError as exc:
        raise LeadsError(exc.messages[0], code="invalid", fields={"mobile": exc.messages}) from exc
    if isinstance(channel, str):
        channel = channel_resolve(channel)
    if isinstance(store, str):
        store = store_resolve(code=store, actor=actor)
    elif store is not None:
        store_allowed_check(store, actor)
    member = Member.objects.filter(mobile=mobile).select_related("store").first()
    if store is None:
        store = member.store if member else (actor.store if actor and actor.store_id else None)
    if store is None:
        raise LeadsError(errors.UNKNOWN_STORE, code="invalid", fields={"store": [str(errors.UNKNOWN_STORE)]})
    model_interest = model_interest.strip()[:100]
    series = series_match(text=model_interest, brand=brand)
    config = None if behaviour else scoring_config()
    for attempt in range(2):
        try:
            with transaction.atomic():
                lead, created, was_hot = _merge_or_create(
                    mobile=mobile, channel=channel, store=store, member=member, name=name.strip()[:64],
                    model_interest=model_interest, series=series, brand=brand, note=note.strip(), actor=actor,
                    qr_code=qr_code, config=config,
                )
            break
        except IntegrityError:  # a concurrent request created the open lead first: merge into it
            if attempt:
                raise
    if behaviour:
        lead_event_record(lead=lead, kind=behaviour, actor=actor, data=behaviour_data)
    elif created:  # scored in its INSERT (and put on the nurture sequence): route it as lead_rescore would
        if lead.is_hot:
            lead_route_hot(lead=lead, config=config, now=lead.scored_at)
    else:  # rescored in the merge's UPDATE: route it (or start nurturing) as lead_rescore would
        lead_scored_route(lead=lead, was_hot=was_hot, config=config, now=lead.scored_at)
    if actor is not None and not actor.is_owner:
        audit_record(actor=actor, action="leads.lead.created" if created else "leads.lead.merged", obj=lead,
                     data={"channel": channel.code})
    if created and lead.assigned_to_id is None:
        lead_allocation_enqueue(lead_id=lead.pk)  # by the store's rule, after commit (the sweep is the safety net)
    return lead, created


def _merge_or_create(
    *, mobile, channel, store, member, name, model_interest, series, brand, note, actor, qr_code, config
):
    # The store comes along for the audit row (the lock stays on the lead's row).
    lead = (
        Lead.objects.select_for_update(of=("self",)).select_related("store")
        .filter(mobile=mobile, is_open=True).first()
    )
    created, was_hot = lead is None, False
    if created:
        lead = Lead(
            store=store, member=member, mobile=mobile, name=name or (member.name if member else ""),
            channel=channel, model_interest=model_interest, series=series, brand=brand, note=note,
        )
        if config is not None:  # no behaviour events yet (CREATED is not one): the profile's points only
            now = timezone.now()
            lead_score_set(lead=lead, config=config, now=now, events=())
            nurture_plan(lead=lead, now=now)
        lead.save(force_insert=True)
        LeadEvent.objects.create(lead=lead, kind=EventKind.CREATED, actor=actor, data={"channel": channel.code})
    else:
        changed = []
        for field, value in (("name", name), ("model_interest", model_interest), ("series", series), ("brand", brand)):
            current = getattr(lead, f"{field}_id") if field in ("series", "brand") else getattr(lead, field)
            if value and not current:
                setattr(lead, field, value)
                changed.append(field)
        if member and not lead.member_id:
            lead.member = member
            changed.append("member")
        if note:
            lead.note = f"{lead.note}\n{note}".strip()
            changed.append("note")
        if config is not None:  # rescored here, so the merged fields and the score are one UPDATE
            was_hot = lead_score_set(lead=lead, config=config, now=timezone.now())
            changed += ["score", "score_reasons", "scored_at", "is_hot"]
        if changed:
            lead.save(update_fields=[*changed, "updated_at"])
        LeadEvent.objects.create(
            lead=lead, kind=EventKind.MERGED, actor=actor,
            data={"channel": channel.code, "store": store.code, "name": name, "model_interest": model_interest},
        )
    source = LeadSource.objects.create(
        lead=lead, channel=channel, store=store, qr_code=qr_code, name=name, model_interest=model_interest,
        note=note, received_at=timezone.now(),
    )
    if created:  # as prefetch_related("sources") leaves it: the one source (see lead_get_held)
        sources = LeadSource.objects.filter(lead=lead)
        sources._result_cache, sources._prefetch_done = [source], True
        lead._prefetched_objects_cache = {"sources": sources}
    if qr_code is not None:
        ChannelQRCode.objects.filter(pk=qr_code.pk).update(scans=F("scans") + 1)
    return lead, created, was_hot
