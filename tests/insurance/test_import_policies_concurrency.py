"""The same policy file imported by two jobs at the same moment, with real
threads on SQLite and PostgreSQL: one policy per insurer and number, never
two (the unique constraint, the chunk re-checked at commit and the job's one
retry of a chunk that lost the race turn the second insert into an update).

    .venv/bin/python -m pytest tests/insurance/test_import_policies_concurrency.py
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/dealerops .venv/bin/python -m pytest \
        tests/insurance/test_import_policies_concurrency.py
"""

from __future__ import annotations

import io

import pytest

from accounts import import_jobs
from accounts.models import ImportJob, ImportJobStatus
from insurance.models import Policy
from tests.concurrency import run_together

pytestmark = pytest.mark.django_db(transaction=True)

HEADER = "保险公司,保单号,险别,车牌号,起保日期,终保日期,保费,门店代码\n"


def _queued(actor, raw: bytes) -> ImportJob:
    created = import_jobs.import_job_create(kind="insurance.policies", actor=actor, fileobj=io.BytesIO(raw),
                                            name="policies.csv", size=len(raw))
    assert created.job is not None, [row.errors for row in created.preview.rows]
    return import_jobs.import_job_confirm(actor=actor, job_id=created.job.pk)


def test_two_jobs_importing_the_same_policies_at_once_make_each_policy_once(member_a, store_a, hq, manager_a):
    plate = member_a.vehicles.get().plate
    raw = (HEADER + "".join(f"picc,C-{n},交强险,{plate},2026-03-01,2027-03-01,{900 + n},S01\n"
                            for n in range(30))).encode()
    jobs = [_queued(hq, raw), _queued(manager_a, raw)]
    results = run_together(lambda i: import_jobs.import_job_run(job_id=jobs[i].pk), 2)
    assert results == [ImportJobStatus.DONE, ImportJobStatus.DONE], results
    assert Policy.objects.count() == 30
    counts = [ImportJob.objects.get(pk=job.pk).counts for job in jobs]
    assert sum(c["created"] for c in counts) == 30
    assert sum(c["created"] + c["updated"] for c in counts) == 60
    assert set(Policy.objects.values_list("vehicle__plate", flat=True)) == {plate}
