"""Monthly targets of consultants and DCC agents (顾问月度目标), set by the
store manager (HQ: any store) on the portal's targets page."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from accounts.audit import audit_records_bulk
from accounts.models import Store, User
from leads import exceptions as errors
from leads.exceptions import LeadsError
from leads.models import TARGET_METRICS, ConsultantTarget
from leads.selectors.dashboard import month_start, team_members


@transaction.atomic
def consultant_targets_set(
    *, store: Store, month: dt.date, targets: dict[int, dict[str, int]], actor: User,
) -> list[ConsultantTarget]:
    """Set ``targets`` (``{user_id: {metric: n}}``, metrics of
    ``TARGET_METRICS``, non-negative) of the store's team for ``month`` (any
    day of it).  A user who is not on the store's team is refused; rows that
    do not change are left alone.  One audit row per changed target
    (``leads.target.set``: the month and each changed figure as
    ``[before, after]``).  The caller checks the actor may manage ``store``."""
    month = month_start(month)
    team = set(team_members(store_id=store.pk).values_list("pk", flat=True))
    unknown = set(targets) - team
    if unknown:
        raise LeadsError(errors.TARGET_USER_NOT_IN_STORE, code="invalid",
                         fields={"targets": [str(errors.TARGET_USER_NOT_IN_STORE)]})
    for figures in targets.values():
        if any(not isinstance(figures.get(m, 0), int) or figures.get(m, 0) < 0 for m in TARGET_METRICS):
            raise LeadsError(errors.TARGET_NEGATIVE, code="invalid", fields={"targets": [str(errors.TARGET_NEGATIVE)]})
    existing = {
        t.user_id: t for t in ConsultantTarget.objects.select_for_update().filter(month=month, user_id__in=list(targets))
    }
    changed, audit = [], []
    for user_id, figures in sorted(targets.items()):
        target = existing.get(user_id)
        before = {m: getattr(target, m) if target else 0 for m in TARGET_METRICS}
        after = {m: figures.get(m, 0) for m in TARGET_METRICS}
        if target is not None and before == after:
            continue
        if target is None and not any(after.values()):
            continue  # nothing set, nothing to store
        if target is None:
            target = ConsultantTarget(store=store, user_id=user_id, month=month)
        for metric, value in after.items():
            setattr(target, metric, value)
        target.store, target.updated_by = store, actor
        target.save()
        changed.append(target)
        audit.append({
            "actor": actor, "action": "leads.target.set", "obj": target, "store": store,
            "data": {"month": month.strftime("%Y-%m"), "user": user_id,
                     **{m: [before[m], after[m]] for m in TARGET_METRICS if before[m] != after[m]}},
        })
    if audit:
        audit_records_bulk(audit)
    return changed
