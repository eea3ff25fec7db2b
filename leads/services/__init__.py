"""Every write of the leads app (CONVENTIONS.md section 1), one module per topic:

- ``ingest``: lead_ingest (cleaning, merge by mobile, member link), channel_resolve
- ``stages``: lead_stage_change (the funnel rules), lead_contact_failed, lead_mark_not_now
- ``scoring``: lead_event_record, lead_rescore (decay + reasons), lead_route_hot, lead_assign
- ``rescoring``: leads_rescore_open (the hourly job, set-based, same formula)
- ``allocation``: lead_allocate, allocation_sweep (the store's distribution rule), lead_reassign,
  leads_assign_bulk, staff_handover (离职交接), lead_assign (hot routing's bare assignment)
- ``followup``: task_create, tasks_create_bulk, member_tasks_create_bulk, task_can_close, task_close
  (the one task list; other apps create tasks here)
- ``nurture``: nurture_run_due and the step-kind registry
- ``pool``: the public pool (公海): pool_take_back (hourly, set-based), pool_confirm,
  pool_reject, pool_release, pool_claim
- ``showroom``: appointments and test drives (appointment_book, appointment_check_in,
  walk_in_register, appointment_feedback, appointment_mark_no_show, showroom_sweep_run,
  test_drive_car_save, store_hours_set); imported from ``leads.services.showroom``
"""

from leads.services.allocation import (
    allocation_sweep,
    lead_allocate,
    lead_assign,
    lead_reassign,
    leads_assign_bulk,
    staff_handover,
)
from leads.services.followup import member_tasks_create_bulk, task_can_close, task_close, task_create, tasks_create_bulk
from leads.services.ingest import channel_resolve, lead_ingest, store_resolve
from leads.services.nurture import nurture_run_due, register_step_kind
from leads.services.rescoring import leads_rescore_open
from leads.services.scoring import (
    lead_event_record,
    lead_rescore,
    lead_route_hot,
    lead_score_compute,
)
from leads.services.stages import lead_contact_failed, lead_mark_not_now, lead_stage_change, stage_can_change

__all__ = [
    "allocation_sweep", "lead_allocate", "lead_reassign", "leads_assign_bulk", "staff_handover",
    "channel_resolve", "lead_assign", "lead_contact_failed", "lead_event_record", "lead_ingest", "lead_mark_not_now",
    "lead_rescore", "lead_route_hot", "lead_score_compute", "lead_stage_change", "leads_rescore_open",
    "member_tasks_create_bulk", "nurture_run_due", "register_step_kind", "stage_can_change", "store_resolve",
    "task_can_close", "task_close", "task_create", "tasks_create_bulk",
]

# ``calls``: call_start, transcript_segment_receive, call_hangup, call_report_confirm, telephony_event_receive
from leads.services.calls import (  # noqa: E402
    call_hangup,
    call_report_confirm,
    call_start,
    competitors_detect,
    competitors_seed,
    telephony_event_receive,
    transcript_segment_receive,
)

__all__ += [
    "call_hangup", "call_report_confirm", "call_start", "competitors_detect", "competitors_seed",
    "telephony_event_receive", "transcript_segment_receive",
]

# ``reactivation`` and ``learning``: reactivation batches; the naive-Bayes learned score
from leads.services.learning import learned_score_train  # noqa: E402
from leads.services.reactivation import (  # noqa: E402
    reactivation_batch_dispatch,
    reactivation_batch_result,
    reactivation_launch,
    reactivation_preview,
)

__all__ += [
    "learned_score_train", "reactivation_batch_dispatch", "reactivation_batch_result", "reactivation_launch",
    "reactivation_preview",
]

# ``pool``: the public pool (公海)
from leads.services.pool import pool_claim, pool_confirm, pool_reject, pool_release, pool_take_back  # noqa: E402

__all__ += ["pool_claim", "pool_confirm", "pool_reject", "pool_release", "pool_take_back"]
