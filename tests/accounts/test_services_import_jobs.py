"""Import jobs (accounts.import_jobs): the states a job goes through, the
compare-and-set claim and its lease, time slices that resume at the last
committed line, the resume sweep, the limits, and the job page (only the user
who ran it and HQ see it)."""

from __future__ import annotations

import datetime as dt
import io

import django_q.tasks
import pytest
from django.urls import reverse
from django.utils import timezone

from accounts import import_jobs
from accounts.import_jobs import ImportKind, register_import_kind
from accounts.imports import FILE_TOO_BIG, PREVIEW_EXPIRED, TOO_MANY_ROWS, ImportFileError, ImportPreview, ImportRow, ImportSheet
from accounts.models import AuditLog, ImportJob, ImportJobStatus, Role

pytestmark = pytest.mark.django_db

SHEET = ImportSheet(columns=("value",), max_lengths={"value": 32}, aliases={"value": "value"}, required=("value",),
                    missing_message="missing %(columns)s")
BAD_VALUE = "bad value"


class Spy:
    """A kind of import for these tests: records what the job asks of it and
    writes one audit row per committed record (to see what a rollback undoes)."""

    def __init__(self):
        self.validated: list[tuple[str, list[int]]] = []
        self.committed: list[int] = []
        self.on_commit = None

    def validate(self, *, records, actor, state):
        status = ImportJob.objects.values_list("status", flat=True).first()
        self.validated.append((status, [r["line"] for r in records]))
        rows = []
        for record in records:
            row = ImportRow.from_record(record, sheet=SHEET)
            if row.values["value"] == "bad":
                row.errors.append(BAD_VALUE)
            rows.append(row)
        return ImportPreview(rows=rows)

    def commit(self, *, records, actor):
        if self.on_commit is not None:
            self.on_commit(records)
        for record in records:
            AuditLog.objects.create(actor=actor, action="tests.spy", data={"line": record["line"]})
            self.committed.append(record["line"])
        return {"created": len(records)}


@pytest.fixture
def spy():
    spy = Spy()
    register_import_kind(ImportKind(
        code="tests.spy", label="spy", sheet=SHEET, validate=spy.validate, commit=spy.commit,
        page="portal:dashboard", audit_action="tests.spy.imported", counters=(("created", "created"),),
    ))
    yield spy
    import_jobs._KINDS.pop("tests.spy")


@pytest.fixture
def queued(monkeypatch):
    """Tasks handed to django-q (nothing runs them)."""
    calls = []
    monkeypatch.setattr(django_q.tasks, "async_task", lambda *args, **kwargs: calls.append(args))
    return calls


def _csv(values) -> bytes:
    return ("value\n" + "".join(f"{v}\n" for v in values)).encode()


def _create(actor, values, name="spy.csv"):
    raw = _csv(values)
    return import_jobs.import_job_create(kind="tests.spy", actor=actor, fileobj=io.BytesIO(raw), name=name, size=len(raw))


def _queued_job(actor, values) -> ImportJob:
    job = _create(actor, values).job
    import_jobs.import_job_confirm(actor=actor, job_id=job.pk)
    spy = import_jobs.import_kind("tests.spy").validate.__self__
    spy.validated.clear()  # forget the preview's check
    return job


class TestStates:
    def test_a_job_goes_from_draft_to_done(self, spy, manager_a, queued, django_capture_on_commit_callbacks):
        created = _create(manager_a, ["a", "b", "c"])
        job = created.job
        assert created.total == 3 and created.complete and created.preview.valid
        assert job.status == ImportJobStatus.DRAFT and job.total_rows == 3 and job.data
        with django_capture_on_commit_callbacks(execute=True):
            import_jobs.import_job_confirm(actor=manager_a, job_id=job.pk)
        assert queued == [("accounts.tasks.import_job_run", job.pk)]
        job.refresh_from_db()
        assert job.status == ImportJobStatus.QUEUED

        assert import_jobs.import_job_run(job_id=job.pk) == ImportJobStatus.DONE
        # the whole file was checked (VALIDATING) before the first commit
        assert spy.validated == [(None, [2, 3, 4]), (ImportJobStatus.VALIDATING, [2, 3, 4])]  # preview, job
        assert spy.committed == [2, 3, 4]
        job.refresh_from_db()
        assert job.status == ImportJobStatus.DONE and job.processed_rows == 3 and job.resume_line == 4
        assert job.counts == {"created": 3} and job.data == b"" and job.finished_at and job.started_at
        assert not job.claimed_by and job.lease_until is None
        assert AuditLog.objects.filter(action="tests.spy.imported", object_id=str(job.pk), actor=manager_a).exists()

    def test_a_bad_row_fails_the_job_before_anything_is_committed(self, spy, manager_a, monkeypatch):
        monkeypatch.setattr(import_jobs, "PREVIEW_ROWS", 1)
        monkeypatch.setattr(import_jobs, "CHUNK_ROWS", 2)
        job = _queued_job(manager_a, ["a", "b", "c", "bad", "d", "bad"])
        assert import_jobs.import_job_run(job_id=job.pk) == ImportJobStatus.FAILED
        job.refresh_from_db()
        assert spy.committed == [] and not AuditLog.objects.filter(action="tests.spy").exists()
        assert job.error_rows == 2 and job.errors == [{"line": 5, "messages": [BAD_VALUE]},
                                                      {"line": 7, "messages": [BAD_VALUE]}]
        assert job.validated_rows == 6 and job.data == b""

    def test_a_preview_with_errors_stores_nothing(self, spy, manager_a):
        created = _create(manager_a, ["a", "bad"])
        assert created.job is None and not created.preview.valid
        assert not ImportJob.objects.exists()

    def test_an_unexpected_error_fails_the_job_and_keeps_what_was_committed(self, spy, manager_a, monkeypatch):
        monkeypatch.setattr(import_jobs, "CHUNK_ROWS", 1)
        job = _queued_job(manager_a, ["a", "b", "c"])

        def boom(records):
            if records[0]["line"] == 3:
                raise RuntimeError("disk full")

        spy.on_commit = boom
        assert import_jobs.import_job_run(job_id=job.pk) == ImportJobStatus.FAILED
        job.refresh_from_db()
        assert spy.committed == [2] and AuditLog.objects.filter(action="tests.spy").count() == 1
        assert job.message == f"{import_jobs.UNEXPECTED_ERROR}{import_jobs.PART_DONE % {'line': 2, 'done': 1}}"
        assert job.resume_line == 2


    def test_a_first_chunk_refused_at_commit_imports_nothing_and_says_so(self, spy, manager_a):
        from accounts.exceptions import ApplicationError

        job = _queued_job(manager_a, ["a", "b"])

        def refuse(records):
            raise ApplicationError("refused", fields={"rows": {"2": ["store closed"]}})

        spy.on_commit = refuse
        assert import_jobs.import_job_run(job_id=job.pk) == ImportJobStatus.FAILED
        job.refresh_from_db()
        assert job.message == f"{import_jobs.COMMIT_REFUSED}{import_jobs.NOTHING_DONE}"
        assert job.errors == [{"line": 2, "messages": ["store closed"]}] and job.error_rows == 1
        assert job.processed_rows == 0 and not AuditLog.objects.filter(action="tests.spy.imported").exists()


class TestClaim:
    def test_confirm_is_compare_and_set_and_only_for_the_uploader(self, spy, manager_a, hq, queued,
                                                                 django_capture_on_commit_callbacks):
        job = _create(manager_a, ["a"]).job
        with pytest.raises(ImportFileError) as excinfo:
            import_jobs.import_job_confirm(actor=hq, job_id=job.pk)  # not theirs, even for HQ
        assert excinfo.value.message == PREVIEW_EXPIRED
        with pytest.raises(ImportFileError):
            import_jobs.import_job_confirm(actor=manager_a, job_id="nope")
        with django_capture_on_commit_callbacks(execute=True):
            import_jobs.import_job_confirm(actor=manager_a, job_id=job.pk)
            again = import_jobs.import_job_confirm(actor=manager_a, job_id=job.pk)  # a double click
        assert again.status == ImportJobStatus.QUEUED
        assert len(queued) == 1 and AuditLog.objects.filter(action="accounts.import.queued").count() == 1

    def test_a_second_delivery_does_nothing(self, spy, manager_a):
        job = _queued_job(manager_a, ["a"])
        held = timezone.now() + dt.timedelta(minutes=1)
        ImportJob.objects.filter(pk=job.pk).update(claimed_by="other-run", lease_until=held)
        assert import_jobs.import_job_run(job_id=job.pk) == ImportJobStatus.QUEUED
        assert spy.validated == [] and spy.committed == []
        ImportJob.objects.filter(pk=job.pk).update(claimed_by="", lease_until=None)
        assert import_jobs.import_job_run(job_id=job.pk) == ImportJobStatus.DONE
        assert import_jobs.import_job_run(job_id=job.pk) == ImportJobStatus.DONE  # finished: nothing again
        assert spy.committed == [2]

    def test_a_run_that_lost_its_lease_writes_nothing_more(self, spy, manager_a, monkeypatch):
        monkeypatch.setattr(import_jobs, "CHUNK_ROWS", 1)
        job = _queued_job(manager_a, ["a", "b"])
        real = import_jobs._commit_chunk

        def stolen_before_the_second_chunk(job_, spec, actor, chunk, token):
            if chunk[0]["line"] == 3:  # our lease ran out and another run took the job
                ImportJob.objects.filter(pk=job.pk).update(claimed_by="other-run")
            return real(job_, spec, actor, chunk, token)

        monkeypatch.setattr(import_jobs, "_commit_chunk", stolen_before_the_second_chunk)
        assert import_jobs.import_job_run(job_id=job.pk) == "lease lost"
        job.refresh_from_db()
        assert job.claimed_by == "other-run" and job.status == ImportJobStatus.RUNNING
        assert job.resume_line == 2 and job.processed_rows == 1
        # the second chunk's writes were rolled back with the progress that could not be written
        assert spy.committed == [2, 3]
        assert list(AuditLog.objects.filter(action="tests.spy").values_list("data__line", flat=True)) == [2]


class TestSlices:
    def test_runs_hand_over_and_resume_at_the_last_committed_line(self, spy, manager_a, settings, monkeypatch,
                                                                 queued, django_capture_on_commit_callbacks):
        monkeypatch.setattr(import_jobs, "CHUNK_ROWS", 2)
        settings.IMPORT_SLICE_SECONDS = 0  # every run: one chunk, then the next task
        job = _queued_job(manager_a, ["a", "b", "c", "d", "e"])
        statuses = []
        for _run in range(5):
            with django_capture_on_commit_callbacks(execute=True):
                statuses.append(import_jobs.import_job_run(job_id=job.pk))
            if statuses[-1] == ImportJobStatus.DONE:
                break
        assert statuses == ["running", "running", "running", "done"]  # validate; 2 lines per run after
        assert spy.committed == [2, 3, 4, 5, 6]  # each line once, in order
        assert [args for args in queued] == [("accounts.tasks.import_job_run", job.pk)] * 3
        assert [status for status, _lines in spy.validated] == ["validating"] * 3

    def test_the_sweep_queues_stale_jobs_and_drops_old_drafts(self, spy, manager_a, queued):
        now = timezone.now()
        stale = _queued_job(manager_a, ["a"])
        ImportJob.objects.filter(pk=stale.pk).update(status=ImportJobStatus.RUNNING, claimed_by="dead",
                                                     lease_until=now - dt.timedelta(minutes=1),
                                                     touched_at=now - dt.timedelta(minutes=10))
        held = _queued_job(manager_a, ["a"])
        ImportJob.objects.filter(pk=held.pk).update(lease_until=now + dt.timedelta(minutes=1),
                                                    touched_at=now - dt.timedelta(minutes=10))
        fresh = _queued_job(manager_a, ["a"])  # waiting in the queue: not stale yet
        old_draft = _create(manager_a, ["a"]).job
        ImportJob.objects.filter(pk=old_draft.pk).update(created_at=now - dt.timedelta(days=2))
        draft = _create(manager_a, ["a"]).job

        assert import_jobs.import_jobs_resume() == 1
        assert queued == [("accounts.tasks.import_job_run", stale.pk)]
        assert not ImportJob.objects.filter(pk=old_draft.pk).exists()
        assert ImportJob.objects.filter(pk__in=[held.pk, fresh.pk, draft.pk]).count() == 3
        assert import_jobs.import_jobs_resume() == 0  # just queued: not again at once
        assert import_jobs.import_job_run(job_id=stale.pk) == ImportJobStatus.DONE


class TestLimits:
    def test_file_size_and_rows_are_configurable(self, spy, manager_a, settings):
        settings.IMPORT_MAX_FILE_BYTES = 30
        with pytest.raises(ImportFileError) as excinfo:
            _create(manager_a, ["abcdef"] * 5)  # 41 bytes
        assert excinfo.value.message == FILE_TOO_BIG % {"mb": 0}
        settings.IMPORT_MAX_FILE_BYTES = 1024
        settings.IMPORT_MAX_ROWS = 3
        assert _create(manager_a, ["a", "", "b", "c"]).total == 3  # blank lines are not rows
        with pytest.raises(ImportFileError) as excinfo:
            _create(manager_a, ["a", "b", "c", "d"])
        assert excinfo.value.message == TOO_MANY_ROWS % {"rows": 3}
        assert not ImportJob.objects.filter(total_rows=4).exists()

    def test_the_preview_checks_the_first_rows_and_counts_them_all(self, spy, manager_a, monkeypatch):
        monkeypatch.setattr(import_jobs, "PREVIEW_ROWS", 2)
        created = _create(manager_a, ["a", "b", "bad", "c"])  # the bad row is past the preview
        assert created.total == 4 and not created.complete
        assert [row.line for row in created.preview.rows] == [2, 3] and created.job is not None


class TestPage:
    @pytest.fixture
    def job(self, spy, manager_a, monkeypatch):
        monkeypatch.setattr(import_jobs, "PREVIEW_ROWS", 1)
        job = _queued_job(manager_a, ["a", "bad"])
        import_jobs.import_job_run(job_id=job.pk)
        return job

    def test_the_runner_and_hq_see_the_job_and_its_errors(self, client, job, manager_a, hq):
        for user in (manager_a, hq):
            client.force_login(user)
            response = client.get(reverse("portal:import-job", args=[job.pk]))
            assert response.status_code == 200
            body = response.content.decode()
            assert 'data-status="failed"' in body and 'data-testid="import-job-error"' in body
            progress = reverse("portal:import-job-progress", args=[job.pk])
            assert BAD_VALUE in body and progress not in body  # finished: the job no longer polls

    def test_nobody_else_sees_it(self, client, job, make_staff, store_a, consultant_a, consultant_b):
        other_manager = make_staff(Role.MANAGER, store_a)
        for user in (other_manager, consultant_a, consultant_b):
            client.force_login(user)
            assert client.get(reverse("portal:import-job", args=[job.pk])).status_code == 404
            assert client.get(reverse("portal:import-job-progress", args=[job.pk])).status_code == 404

    def test_the_list_shows_own_jobs_and_hq_sees_every_job(self, client, job, make_staff, store_a, manager_a, hq):
        other_manager = make_staff(Role.MANAGER, store_a)
        draft = _create(other_manager, ["a"]).job  # a draft is nobody's job yet
        link = reverse("portal:import-job", args=[job.pk])
        for user, sees in ((manager_a, True), (hq, True), (other_manager, False)):
            client.force_login(user)
            body = client.get(reverse("portal:import-job-list")).content.decode()
            assert (link in body) is sees, user
            assert reverse("portal:import-job", args=[draft.pk]) not in body

    def test_drafts_have_no_page(self, client, spy, manager_a):
        draft = _create(manager_a, ["a"]).job
        client.force_login(manager_a)
        assert client.get(reverse("portal:import-job", args=[draft.pk])).status_code == 404

    def test_the_progress_fragment_polls_while_the_job_runs(self, client, spy, manager_a):
        job = _queued_job(manager_a, ["a", "b"])
        ImportJob.objects.filter(pk=job.pk).update(status=ImportJobStatus.RUNNING, processed_rows=1)
        client.force_login(manager_a)
        body = client.get(reverse("portal:import-job-progress", args=[job.pk])).content.decode()
        assert f'hx-get="{reverse("portal:import-job-progress", args=[job.pk])}"' in body
        assert 'aria-valuenow="50"' in body and "<html" not in body
