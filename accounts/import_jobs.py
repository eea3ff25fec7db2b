"""Import jobs: a spreadsheet import (DMS transactions, leads, later insurance
policies) parsed, checked and committed by the worker, with its progress on a
portal page.

The flow
  1. Upload (``import_job_create``, in the request): the file is read with
     every limit checked (``accounts.imports``), its first ``PREVIEW_ROWS``
     rows are checked by the kind and shown with the number of rows.  When
     those rows pass, the file is stored (zlib-compressed, in the database, so
     any worker host can read it) as a ``DRAFT`` job of the uploader.
  2. Confirm (``import_job_confirm``): ``DRAFT`` → ``QUEUED`` by
     compare-and-set, only by the uploader (a double click queues once); the
     task ``accounts.tasks.import_job_run`` is queued after commit.
  3. The worker (``import_job_run``) claims the job with a lease
     (``claimed_by``/``lease_until``, compare-and-set): a second delivery of
     the task finds the lease held, or the job finished, and does nothing.
     ``VALIDATING``: every row of the file is checked by the kind, chunk by
     chunk (``CHUNK_ROWS``), reading only.  One row with an error and the
     job ends ``FAILED`` with nothing imported; the page lists the rows and
     their errors (the first ``MAX_STORED_ERRORS``).  ``RUNNING``: the file
     is read again and committed through the kind's commit, the kind's
     ``commit_rows`` rows per transaction (``CHUNK_ROWS`` by default), which
     checks its chunk again (scope or data may have changed since) and
     writes with bulk statements.  The same transaction moves
     ``resume_line`` and the counters, under the lease, so progress on the
     page is what is committed.
  4. ``DONE``, with the kind's audit row.  ``FAILED`` while committing (a
     chunk refused at commit, an unexpected error): the chunks before it stay
     imported and the page says up to which line; nothing after it is.
     Re-importing the file is safe for DMS transactions (the reference skips
     what is there); lead rows merge into their open lead.

Time and crashes: a run commits for up to ``IMPORT_SLICE_SECONDS`` and then
hands over to a fresh task; the checking pass runs in one task, queued with a
timeout of its own (``TASK_TIMEOUT``, above the cluster's).  A worker that
dies leaves the job at its last committed chunk; the sweep
``import_jobs_resume`` (every 5 minutes) queues any active job whose lease
ran out, and validation (reads only) simply starts again.  Drafts nobody
confirmed are deleted after a day; a finished job's file is dropped.

What a row means stays in the app: it registers an ``ImportKind`` in its
``AppConfig.ready()`` (accounts never imports a higher app).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import tempfile
import time
import uuid
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import DateTimeField, F, Q, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy
from django_q import tasks as django_q_tasks  # the module: tests replace its async_task

from accounts.audit import audit_record
from accounts.batches import chunked
from accounts.exceptions import ApplicationError, NotFoundError
from accounts.imports import PREVIEW_EXPIRED, READ_BLOCK, ImportFileError, ImportPreview, ImportSheet, import_limits
from accounts.models import ImportJob, ImportJobStatus, User

logger = logging.getLogger("dealerops.imports")

PREVIEW_ROWS = 200
CHUNK_ROWS = 2000
MAX_STORED_ERRORS = 200
LEASE = dt.timedelta(minutes=2)
TASK_TIMEOUT = 15 * 60  # the checking pass is not sliced: 200,000 Excel rows take minutes on a busy host
RESUME_AFTER = dt.timedelta(minutes=5)
DRAFT_TTL = dt.timedelta(days=1)
ACTIVE = (ImportJobStatus.QUEUED, ImportJobStatus.VALIDATING, ImportJobStatus.RUNNING)

VALIDATION_FAILED = gettext_lazy("文件中有 %(count)s 行存在错误，未导入任何数据。请修改后重新上传。")
COMMIT_REFUSED = gettext_lazy("导入时有数据被拒绝（检查之后数据发生了变化），下列行及其后的行都未导入。")
UNEXPECTED_ERROR = gettext_lazy("导入意外中断，其余的行未导入。")
PART_DONE = gettext_lazy("已导入第 %(line)s 行及之前的 %(done)s 行。")
NOTHING_DONE = gettext_lazy("没有导入任何数据。")
KIND_UNKNOWN = gettext_lazy("未知的导入类型。")
ACTOR_GONE = gettext_lazy("发起导入的账号已不存在。")


class _LeaseLost(Exception):
    """Another run holds the job now (ours outlived its lease): stop, write nothing."""


# --- the kinds of import (registered by the apps above accounts) ----------------------------------


@dataclass(frozen=True)
class ImportKind:
    """One kind of import.

    ``validate(records=, actor=, state=)`` checks a chunk of records and
    returns an ``ImportPreview`` (reads only); ``state`` is one dict per pass
    over the file, for checks across chunks (a reference repeated 50,000 lines
    later).  ``commit(records=, actor=)`` checks the chunk again and writes it
    (the caller holds the transaction), returning counts to add up
    (``{"created": 3, "skipped": 1}``), or raises an ``ApplicationError`` with
    ``fields={"rows": {"<line>": [messages]}}`` to refuse it.  ``counters``
    are the counts the job page shows, with their labels; ``page`` is the URL
    name of the import page; ``audit_action`` the audit row of a finished job;
    ``retry_hint`` tells the user what to upload after a job stopped half-way.
    ``commit_rows`` is the number of rows per commit transaction (0:
    ``CHUNK_ROWS``, as the checking pass reads them): a kind that writes with
    bulk statements commits more at once, one that writes row by row keeps
    its transactions short.
    """

    code: str
    label: str
    sheet: ImportSheet
    validate: Callable[..., ImportPreview]
    commit: Callable[..., dict]
    page: str
    audit_action: str
    counters: tuple[tuple[str, str], ...] = ()
    retry_hint: str = ""  # after a job stopped half-way: how to import the rest (``%(line)s``: the last line in)
    commit_rows: int = 0  # rows per commit transaction; 0: CHUNK_ROWS


_KINDS: dict[str, ImportKind] = {}


def register_import_kind(kind: ImportKind) -> None:
    _KINDS[kind.code] = kind


def import_kind(code: str) -> ImportKind:
    try:
        return _KINDS[code]
    except KeyError:
        raise ImportFileError(KIND_UNKNOWN) from None


# --- upload and confirm (the request) -------------------------------------------------------------


@dataclass
class JobPreview:
    preview: ImportPreview  # the first rows, checked
    total: int  # data rows in the file
    job: ImportJob | None  # the stored draft, when the first rows pass

    @property
    def complete(self) -> bool:
        """Every row of the file is in the preview."""
        return self.total <= len(self.preview.rows)


def _pack(fileobj) -> bytes:
    fileobj.seek(0)
    compressor = zlib.compressobj(1)
    parts = []
    while block := fileobj.read(READ_BLOCK):
        parts.append(compressor.compress(block))
    parts.append(compressor.flush())
    return b"".join(parts)


def import_job_create(*, kind: str, actor: User, fileobj, name: str, size: int) -> JobPreview:
    """Read and check an upload (step 1).  Raises ``ImportFileError`` for the
    file as a whole; otherwise the preview, and a ``DRAFT`` job holding the
    file when the first rows have no error."""
    spec = import_kind(kind)
    limits = import_limits()
    if size > limits.max_bytes:
        raise limits.too_big()
    sheet_preview = spec.sheet.preview(fileobj, name=name, rows=PREVIEW_ROWS, limits=limits)
    preview = spec.validate(records=sheet_preview.records, actor=actor, state={})
    job = None
    if preview.valid:
        job = ImportJob.objects.create(
            kind=spec.code, actor=actor, store=actor.store if actor.store_id else None, file_name=(name or "")[:200],
            file_size=size, data=_pack(fileobj), total_rows=sheet_preview.total,
        )
    return JobPreview(preview=preview, total=sheet_preview.total, job=job)


def import_job_confirm(*, actor: User, job_id) -> ImportJob:
    """Step 2: queue the uploader's draft.  Confirming it again returns the job
    as it is (a double click queues once); anyone else's or an expired draft
    is ``ImportFileError(PREVIEW_EXPIRED)``."""
    try:
        job = ImportJob.objects.defer("data").get(pk=int(job_id), actor=actor)
    except (ImportJob.DoesNotExist, TypeError, ValueError):
        raise ImportFileError(PREVIEW_EXPIRED) from None
    now = timezone.now()
    with transaction.atomic():
        queued = ImportJob.objects.filter(pk=job.pk, status=ImportJobStatus.DRAFT).update(
            status=ImportJobStatus.QUEUED, touched_at=now
        )
        if queued:
            audit_record(actor=actor, action="accounts.import.queued", obj=job, store=job.store,
                         data={"kind": job.kind, "file": job.file_name, "rows": job.total_rows})
            transaction.on_commit(lambda: _enqueue(job.pk))
    job.refresh_from_db(fields=["status", "touched_at"])
    return job


def _enqueue(job_id: int) -> None:
    try:
        django_q_tasks.async_task("accounts.tasks.import_job_run", job_id, task_name=f"import-job-{job_id}-{uuid.uuid4().hex[:8]}",
                   timeout=TASK_TIMEOUT)
    except Exception:  # broker down: the resume sweep queues the job
        logger.exception("could not queue import job %s; the resume sweep will", job_id)


# --- the worker -----------------------------------------------------------------------------------


def _claim(job_id: int, token: str) -> bool:
    now = timezone.now()
    return bool(
        ImportJob.objects.filter(pk=job_id, status__in=ACTIVE)
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
        .update(claimed_by=token, lease_until=now + LEASE, touched_at=now,
                started_at=Coalesce(F("started_at"), Value(now, output_field=DateTimeField())))
    )


def _held(job: ImportJob, token: str, **fields) -> None:
    """Write ``fields`` while we hold the lease (and renew it)."""
    now = timezone.now()
    fields = {"lease_until": now + LEASE, "touched_at": now, **fields}
    if not ImportJob.objects.filter(pk=job.pk, claimed_by=token).update(**fields):
        raise _LeaseLost
    for name, value in fields.items():
        setattr(job, name, value)


def _finish(job: ImportJob, token: str, *, status: str, actor: User | None, spec: ImportKind | None, **fields) -> str:
    with transaction.atomic():
        _held(job, token, status=status, finished_at=timezone.now(), claimed_by="", lease_until=None, data=b"",
              **fields)
        if spec is not None and actor is not None and (status == ImportJobStatus.DONE or job.processed_rows):
            audit_record(actor=actor, action=spec.audit_action, obj=job, store=job.store,
                         data={"job": job.pk, "status": status, "rows": job.processed_rows, **job.counts})
    return status


def _hand_over(job: ImportJob, token: str) -> str:
    """Time is up for this run: release the job and queue the next run."""
    _held(job, token, claimed_by="", lease_until=None)
    transaction.on_commit(lambda: _enqueue(job.pk))
    return job.status


@contextlib.contextmanager
def _stored_file(job_id: int) -> Iterator:
    data = ImportJob.objects.filter(pk=job_id).values_list("data", flat=True).get()
    with tempfile.TemporaryFile() as fileobj:
        decompressor = zlib.decompressobj()
        view = memoryview(data)
        for start in range(0, len(view), READ_BLOCK):
            fileobj.write(decompressor.decompress(view[start:start + READ_BLOCK]))
        fileobj.write(decompressor.flush())
        del data, view
        fileobj.seek(0)
        yield fileobj




def _stopped(job: ImportJob, spec: ImportKind | None, reason) -> str:
    """What a job that stopped while committing leaves: what was imported and how to go on."""
    if not job.processed_rows:
        return f"{reason}{NOTHING_DONE}"
    hint = spec.retry_hint % {"line": job.resume_line} if spec is not None and spec.retry_hint else ""
    return f"{reason}{PART_DONE % {'line': job.resume_line, 'done': job.processed_rows}}{hint}"


def _row_errors(errors: dict) -> list[dict]:
    return [{"line": int(line), "messages": [str(m) for m in messages]} for line, messages in errors.items()]


def import_job_run(*, job_id: int) -> str:
    """The task: claim, validate (once), commit chunk by chunk until done or
    out of time.  Returns the job's status; does nothing for a job that is
    finished or held by another run."""
    token = uuid.uuid4().hex
    if not _claim(job_id, token):
        return ImportJob.objects.filter(pk=job_id).values_list("status", flat=True).first() or "missing"
    job = ImportJob.objects.defer("data").select_related("actor").get(pk=job_id)
    deadline = time.monotonic() + settings.IMPORT_SLICE_SECONDS
    spec = None
    try:
        spec = import_kind(job.kind)
        actor = job.actor
        if actor is None:
            return _finish(job, token, status=ImportJobStatus.FAILED, actor=None, spec=spec, message=str(ACTOR_GONE))
        with _stored_file(job.pk) as fileobj:
            if job.status != ImportJobStatus.RUNNING:
                if not _validate(job, spec, actor, fileobj, token):
                    return job.status
                if time.monotonic() >= deadline:
                    return _hand_over(job, token)
            return _commit(job, spec, actor, fileobj, token, deadline)
    except _LeaseLost:
        logger.warning("import job %s: lease lost, another run carries on", job_id)
        return "lease lost"
    except ImportFileError as exc:
        return _finish(job, token, status=ImportJobStatus.FAILED, actor=job.actor, spec=spec, message=str(exc.message))
    except Exception:
        logger.exception("import job %s failed", job_id)
        return _finish(job, token, status=ImportJobStatus.FAILED, actor=job.actor, spec=spec,
                       message=_stopped(job, spec, UNEXPECTED_ERROR))


def _validate(job: ImportJob, spec: ImportKind, actor: User, fileobj, token: str) -> bool:
    """Check every row (reads only).  False when a row has an error (the job
    has failed, nothing imported)."""
    _held(job, token, status=ImportJobStatus.VALIDATING, validated_rows=0, error_rows=0, errors=[], message="")
    state: dict = {}
    errors: list[dict] = []
    error_rows = total = 0
    with contextlib.closing(spec.sheet.read(fileobj, name=job.file_name)) as records:
        for chunk in chunked(records, CHUNK_ROWS):
            preview = spec.validate(records=chunk, actor=actor, state=state)
            for row in preview.rows:
                if not row.ok:
                    error_rows += 1
                    if len(errors) < MAX_STORED_ERRORS:
                        errors.append({"line": row.line, "messages": [str(m) for m in row.errors]})
            total += len(chunk)
            _held(job, token, validated_rows=total)
    del state
    if error_rows:
        _finish(job, token, status=ImportJobStatus.FAILED, actor=None, spec=None, total_rows=total,
                error_rows=error_rows, errors=errors, message=str(VALIDATION_FAILED % {"count": error_rows}))
        return False
    _held(job, token, status=ImportJobStatus.RUNNING, total_rows=total)
    return True


def _commit_chunk(job: ImportJob, spec: ImportKind, actor: User, chunk: list[dict], token: str) -> None:
    """One chunk and the job's progress in one transaction (a race on a unique
    key with another writer is retried once: the chunk's check then skips it)."""
    for attempt in range(2):
        try:
            with transaction.atomic():
                result = spec.commit(records=chunk, actor=actor)
                counts = dict(job.counts)
                for key, value in result.items():
                    counts[key] = counts.get(key, 0) + value
                _held(job, token, counts=counts, processed_rows=job.processed_rows + len(chunk),
                      resume_line=chunk[-1]["line"])
            return
        except IntegrityError:
            if attempt:
                raise


def _commit(job: ImportJob, spec: ImportKind, actor: User, fileobj, token: str, deadline: float) -> str:
    resume = job.resume_line
    with contextlib.closing(spec.sheet.read(fileobj, name=job.file_name)) as records:
        pending = (record for record in records if record["line"] > resume)
        for index, chunk in enumerate(chunked(pending, spec.commit_rows or CHUNK_ROWS)):
            if index and time.monotonic() >= deadline:
                return _hand_over(job, token)
            try:
                _commit_chunk(job, spec, actor, chunk, token)
            except ApplicationError as exc:
                rows = exc.fields.get("rows") if isinstance(exc.fields.get("rows"), dict) else {}
                errors = _row_errors(rows)[:MAX_STORED_ERRORS] or [
                    {"line": chunk[0]["line"], "messages": [str(exc.message)]}]
                return _finish(job, token, status=ImportJobStatus.FAILED, actor=actor, spec=spec,
                               error_rows=len(rows) or 1, errors=errors,
                               message=_stopped(job, spec, COMMIT_REFUSED))
    return _finish(job, token, status=ImportJobStatus.DONE, actor=actor, spec=spec)


def import_jobs_resume() -> int:
    """The sweep (every 5 minutes): queue active jobs nobody holds that have not
    moved for ``RESUME_AFTER`` (a worker died, a queued task was lost); drop
    drafts nobody confirmed.  Returns how many jobs it queued."""
    now = timezone.now()
    stale = ImportJob.objects.filter(status__in=ACTIVE, touched_at__lt=now - RESUME_AFTER).filter(
        Q(lease_until__isnull=True) | Q(lease_until__lt=now)
    )
    ids = list(stale.order_by("pk").values_list("pk", flat=True)[:100])
    ImportJob.objects.filter(pk__in=ids).update(touched_at=now)
    for job_id in ids:
        _enqueue(job_id)
    ImportJob.objects.filter(status=ImportJobStatus.DRAFT, created_at__lt=now - DRAFT_TTL).delete()
    return len(ids)


# --- reads ----------------------------------------------------------------------------------------


def import_job_get(*, actor: User, pk) -> ImportJob:
    """A confirmed job, seen only by the user who ran it and by HQ (another
    user's job is a 404 like any object out of scope)."""
    try:
        return import_jobs_visible(actor=actor).get(pk=int(pk))
    except (ImportJob.DoesNotExist, TypeError, ValueError):
        raise NotFoundError(gettext("导入任务不存在。")) from None


def import_jobs_visible(*, actor: User):
    """Every confirmed job ``actor`` may see, newest first: their own; HQ and
    admins every job (as ``import_job_get``)."""
    queryset = ImportJob.objects.defer("data").select_related("actor", "store").exclude(status=ImportJobStatus.DRAFT)
    return queryset if actor.is_group_wide else queryset.filter(actor=actor)


def import_job_list(*, actor: User, kind: str, limit: int = 5) -> list[ImportJob]:
    """The user's own recent jobs of ``kind`` (for the import page)."""
    return list(
        ImportJob.objects.defer("data").filter(actor=actor, kind=kind).exclude(status=ImportJobStatus.DRAFT)[:limit]
    )


def import_kind_label(kind: str) -> str:
    registered = _KINDS.get(kind)
    return str(registered.label) if registered else kind


@dataclass(frozen=True)
class JobProgress:
    """What the progress bar shows."""

    job: ImportJob
    kind: ImportKind | None

    @property
    def active(self) -> bool:
        return self.job.status in ACTIVE

    @property
    def done_rows(self) -> int:
        if self.job.status in (ImportJobStatus.QUEUED, ImportJobStatus.VALIDATING):
            return self.job.validated_rows
        return self.job.processed_rows

    @property
    def percent(self) -> int:
        if self.job.status == ImportJobStatus.DONE:
            return 100
        total = self.job.total_rows
        return min(100, int(self.done_rows * 100 / total)) if total else 0

    @property
    def counters(self) -> list[tuple[str, int]]:
        labels = self.kind.counters if self.kind else ()
        return [(label, self.job.counts.get(key, 0)) for key, label in labels]


def import_job_progress(*, actor: User, pk) -> JobProgress:
    job = import_job_get(actor=actor, pk=pk)
    return JobProgress(job=job, kind=_KINDS.get(job.kind))
