"""Leads selectors: calls, transcripts, competitors and the call screen's
customer context.  Every read starts from ``accounts.scoping``."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from accounts.models import Member, User
from accounts.scoping import scope, scoped_get
from leads.models import Call, Competitor, FollowUpTask, Lead, TalkingPoint, TranscriptSegment
from leads.selectors.leads import task_get

__all__ = [
    "call_customer_context", "call_get", "call_lead_get", "call_list", "call_list_for_member", "call_member_get",
    "call_segments", "call_task_get", "competitor_list", "talking_points_for",
]


def call_list(*, actor: User, lead: Lead | None = None, member: Member | None = None) -> QuerySet[Call]:
    qs = scope(Call.objects.select_related("agent", "lead", "member", "store"), actor)
    if lead is not None:
        qs = qs.filter(lead=lead)
    if member is not None:
        qs = qs.filter(member=member)
    return qs


def call_list_for_member(*, actor: User, member: Member) -> QuerySet[Call]:
    """Calls with ``member`` in the stores ``actor`` may see, newest first
    (the member 360)."""
    return scope(Call.objects.filter(member=member), actor).order_by("-started_at", "-id")


def call_get(*, actor: User, pk) -> Call:
    """One call of the actor's stores; another store's call is a 404."""
    return scoped_get(Call.objects.select_related("agent", "lead", "lead__brand", "member", "store", "task"), actor, pk=pk)


def call_lead_get(*, actor: User, pk) -> Lead:
    """The lead a call is about (scoped: another store's lead is a 404)."""
    return scoped_get(Lead.objects.select_related("store", "member", "brand", "assigned_to"), actor, pk=pk)


def call_member_get(*, actor: User, pk) -> Member:
    return scoped_get(Member.objects.select_related("store"), actor, pk=pk)


def call_task_get(*, actor: User, pk) -> FollowUpTask:
    """A task to call from: one the actor's task list shows (``task_get``:
    another store's, or a colleague's for a consultant, is a 404)."""
    return task_get(actor=actor, pk=pk)


def call_segments(*, call: Call, after_seq: int = 0) -> QuerySet[TranscriptSegment]:
    return call.segments.filter(seq__gt=after_seq).order_by("seq")


def competitor_list(*, active_only: bool = True) -> QuerySet[Competitor]:
    """The competitor dictionary is group-wide data (HQ edits it)."""
    qs = Competitor.objects.all()
    return qs.filter(is_active=True) if active_only else qs


def talking_points_for(*, stage: str = "", brand=None) -> QuerySet[TalkingPoint]:
    """开口任务 for a stage/brand: exact matches plus the general ones."""
    qs = TalkingPoint.objects.filter(Q(stage=stage) | Q(stage=""))
    qs = qs.filter(Q(brand=brand) | Q(brand__isnull=True)) if brand is not None else qs.filter(brand__isnull=True)
    return qs.order_by("stage" if not stage else "-stage", "position", "id")


def call_customer_context(*, call: Call) -> dict:
    """What the call screen shows about the customer: the lead (stage, score
    and why), its recent events, earlier calls, open tasks, and the member's
    vehicles.  ``call`` was fetched through ``call_get`` (scoped)."""
    lead, member = call.lead, call.member
    context: dict = {"lead": lead, "member": member, "events": [], "earlier_calls": [], "open_tasks": [], "vehicles": []}
    if lead is not None:
        context["events"] = list(lead.events.select_related("actor")[:8])
        context["earlier_calls"] = list(lead.calls.exclude(pk=call.pk).select_related("agent")[:5])
        context["open_tasks"] = list(lead.tasks.filter(status="open").order_by("due_at")[:5])
    elif member is not None:
        context["earlier_calls"] = list(member.calls.exclude(pk=call.pk).select_related("agent")[:5])
        context["open_tasks"] = list(member.tasks.filter(status="open").order_by("due_at")[:5])
    if member is not None:
        context["vehicles"] = list(member.vehicles.select_related("brand")[:5])
    context["talking_points"] = list(talking_points_for(stage=lead.stage if lead else "", brand=lead.brand if lead else None))
    return context
