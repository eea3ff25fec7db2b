"""The lead import commit (step 2 of the portal import): every row or none."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from accounts.audit import audit_record
from accounts.models import User
from leads.exceptions import LeadsError
from leads.imports import rows_validate
from leads.models import Lead

IMPORT_REFUSED = _("文件中有 %(count)s 行存在错误，未导入任何线索。请修改后重新上传。")


@dataclass
class ImportResult:
    created: int = 0
    merged: int = 0
    leads: list[Lead] = field(default_factory=list)


def leads_import(*, records: list[dict], actor: User) -> ImportResult:
    """Import the rows of a checked file in one transaction.  Every row is
    checked again first (channels, stores or the actor's scope may have
    changed since the preview); if any row is invalid, or any ingestion
    fails, nothing is imported and ``LeadsError`` says which rows."""
    preview = rows_validate(records=records, actor=actor)
    bad = {str(row.line): row.errors for row in preview.rows if not row.ok}
    if bad or not preview.rows:
        raise LeadsError(IMPORT_REFUSED % {"count": len(bad)}, code="invalid", fields={"rows": bad})
    from leads.services.ingest import lead_ingest

    result = ImportResult()
    with transaction.atomic():
        for row in preview.rows:
            values = row.values
            store = values["store"].upper() or actor.store
            try:
                lead, created = lead_ingest(
                    mobile=row.mobile, channel=values["channel"], store=store, name=values["name"],
                    model_interest=values["model_interest"], note=values["note"], actor=actor,
                )
            except LeadsError as exc:  # rolls back every row before it
                messages = [str(m) for errors in exc.fields.values() for m in errors] or [str(exc.message)]
                raise LeadsError(
                    IMPORT_REFUSED % {"count": 1}, code="invalid", fields={"rows": {str(row.line): messages}}
                ) from exc
            result.created += created
            result.merged += not created
            result.leads.append(lead)
        audit_record(actor=actor, action="leads.lead.imported", store=actor.store,
                     data={"rows": len(preview.rows), "created": result.created, "merged": result.merged})
    return result
