"""django-q2 entry points of the leads app: take ids, call one service.

Scheduled from ``LeadsConfig.ready()`` (``accounts.schedules``); each is safe to run twice."""

from __future__ import annotations

from leads.models import Lead, ReactivationBatch
from leads.services import learned_score_train, leads_rescore_open, nurture_run_due, reactivation_batch_dispatch
from leads.services.pool import pool_take_back
from leads.services.showroom import showroom_sweep_run
from leads.services.allocation import allocation_sweep, lead_allocate


def rescore_open() -> int:
    """Hourly: decay lowers scores; recompute open leads set-based, in batches
    (``leads.services.rescoring``), and route the ones that turned hot."""
    return leads_rescore_open()


def nurture_due() -> int:
    """Every 15 minutes: send each due low-score lead its next nurture step."""
    return nurture_run_due()


def learned_score_retrain() -> int | None:
    """Daily: retrain the naive-Bayes model and write open leads' learned_score."""
    model = learned_score_train()
    return model.pk if model else None


def reactivation_dispatch(batch_id: int) -> int:
    """Re-dispatch one reactivation batch (idempotent per batch and lead)."""
    batch = ReactivationBatch.objects.filter(pk=batch_id).first()
    return reactivation_batch_dispatch(batch=batch) if batch else 0


def pool_sweep() -> int:
    """Hourly: leads not followed up within their store's limits go back to
    the pool (set-based, ``leads.services.pool``)."""
    return pool_take_back()


def showroom_sweep() -> dict:
    """Every 15 minutes: appointment reminders (the day before, two hours
    before; each once) and no-shows (not checked in by the end of the slot
    plus the grace)."""
    return showroom_sweep_run()


def allocate_lead(lead_id: int) -> int | None:
    """Right after a new lead commits: its owner by the store's rule (nothing
    if it already has one).  Returns the owner's id."""
    lead = Lead.objects.filter(pk=lead_id).first()
    owner = lead_allocate(lead=lead) if lead else None
    return owner.pk if owner else None


def allocate_unassigned() -> int:
    """Every 5 minutes: every open lead still without an owner (a lost task,
    nobody on duty earlier, a rule changed) gets one if anyone can take it."""
    return allocation_sweep()
