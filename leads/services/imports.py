"""The lead import commit: a chunk of the import job (``leads_commit_chunk``,
the job's kind ``leads.leads``), or a list of records in one transaction
(``leads_import``).

Every row goes through ``lead_ingest``, the one writer of leads: its cleaning
and merge rules (one open lead per mobile, a new source on the lead it merges
into, the member linked, the score and routing) stay whole.  That is slower
than a bulk insert — correctness first: a merge depends on the leads before
it — but each chunk still commits in one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from accounts.audit import audit_record
from accounts.import_jobs import ImportKind
from accounts.models import User
from leads.exceptions import LeadsError
from leads.imports import SHEET, LeadImportPreview, leads_validate_chunk, rows_validate
from leads.models import Lead
from leads.services import ingest

IMPORT_REFUSED = _("文件中有 %(count)s 行存在错误，未导入任何线索。请修改后重新上传。")


@dataclass
class ImportResult:
    created: int = 0
    merged: int = 0
    leads: list[Lead] = field(default_factory=list)


def _checked(records: list[dict], actor: User) -> LeadImportPreview:
    preview = rows_validate(records=records, actor=actor)
    bad = {str(row.line): row.errors for row in preview.rows if not row.ok}
    if bad or not preview.rows:
        raise LeadsError(IMPORT_REFUSED % {"count": len(bad)}, code="invalid", fields={"rows": bad})
    return preview


def _ingest(preview: LeadImportPreview, actor: User) -> ImportResult:
    result = ImportResult()
    for row in preview.rows:
        values = row.values
        store = values["store"].upper() or actor.store
        try:
            lead, created = ingest.lead_ingest(
                mobile=row.mobile, channel=values["channel"], store=store, name=values["name"],
                model_interest=values["model_interest"], note=values["note"], actor=actor,
            )
        except LeadsError as exc:  # the caller's transaction rolls back every row before it
            messages = [str(m) for errors in exc.fields.values() for m in errors] or [str(exc.message)]
            raise LeadsError(
                IMPORT_REFUSED % {"count": 1}, code="invalid", fields={"rows": {str(row.line): messages}}
            ) from exc
        result.created += created
        result.merged += not created
        result.leads.append(lead)
    return result


def leads_commit_chunk(*, records: list[dict], actor: User) -> dict:
    """One chunk of the import job: checked again (channels, stores or the
    actor's scope may have changed), then ingested row by row; the job holds
    the transaction."""
    result = _ingest(_checked(records, actor), actor)
    return {"created": result.created, "merged": result.merged}


def leads_import(*, records: list[dict], actor: User) -> ImportResult:
    """Import the rows of a checked file in one transaction.  Every row is
    checked again first; if any row is invalid, or any ingestion fails,
    nothing is imported and ``LeadsError`` says which rows."""
    preview = _checked(records, actor)
    with transaction.atomic():
        result = _ingest(preview, actor)
        audit_record(actor=actor, action="leads.lead.imported", store=actor.store,
                     data={"rows": len(preview.rows), "created": result.created, "merged": result.merged})
    return result


IMPORT_KIND = ImportKind(
    code="leads.leads",
    label=_("批量导入线索"),
    sheet=SHEET,
    validate=leads_validate_chunk,
    commit=leads_commit_chunk,
    page="portal:leads:lead-import",
    audit_action="leads.lead.imported",
    counters=(("created", _("新建线索")), ("merged", _("合并到已有线索"))),
    retry_hint=_("请只重新上传第 %(line)s 行之后的行：已导入的行再导入一次，会在线索上再记一次来源。"),
)
