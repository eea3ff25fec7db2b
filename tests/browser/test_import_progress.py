"""A store manager imports a DMS file in the portal: the preview counts the
rows, the confirm opens the job's page, and its progress bar (htmx polling)
follows the worker to "done" without a reload."""

import pytest
from playwright.sync_api import expect

from accounts.import_jobs import import_job_run
from accounts.models import ImportJob, ImportJobStatus
from membership.models import Transaction

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CSV = "mobile,store_code,occurred_at,kind,amount,reference\n" + "".join(
    f"1381234{n:04d},S01,2025-01-05 10:30,service,100,DMS-{n}\n" for n in range(250)
)


def test_the_progress_bar_follows_the_job(page, sign_in, manager_a, store_a, tmp_path):
    upload = tmp_path / "dms.csv"
    upload.write_text(CSV, encoding="utf-8")
    sign_in(page, manager_a.username)
    page.goto("/portal/membership/transactions/import/")
    page.set_input_files("input[name=file]", str(upload))
    page.get_by_test_id("import-upload").locator("button[type=submit]").click()
    expect(page.get_by_test_id("import-total")).to_have_text("文件共 250 行")
    page.get_by_test_id("import-commit").click()

    expect(page.get_by_test_id("import-job-status")).to_have_text("排队中")
    job = ImportJob.objects.get()
    assert job.status == ImportJobStatus.QUEUED
    assert import_job_run(job_id=job.pk) == ImportJobStatus.DONE  # the worker's part

    expect(page.get_by_test_id("import-job")).to_have_attribute("data-status", "done")  # polled in, no reload
    expect(page.get_by_test_id("import-job-bar")).to_have_attribute("aria-valuenow", "100")
    expect(page.get_by_test_id("import-job-done")).to_be_visible()
    assert Transaction.objects.count() == 250
