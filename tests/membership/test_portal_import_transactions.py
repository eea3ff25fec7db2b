"""DMS import of visits and spend: preview with per-row errors, then the import
job (every row checked, then committed); re-importing the same file adds nothing."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from accounts.import_jobs import import_job_run
from accounts.imports import PREVIEW_EXPIRED
from accounts.models import ImportJob, ImportJobStatus, Member
from membership import imports
from membership.exceptions import MembershipError
from membership.models import Transaction
from membership.services import transactions as txn_services

pytestmark = pytest.mark.django_db

URL = "portal:membership:transaction-import"
GOOD = (
    "mobile,store_code,occurred_at,kind,amount,reference\n"
    "13812345678,S01,2025-01-05 10:30,service,880.00,RO-1\n"
    "13900002222,s01,2025/02/01,保险,4200,INS-1\n"
    "13812345678,S01,2025-01-05 10:30,service,880.00,RO-1\n"
)
BAD = (
    "手机号,门店代码,发生时间,类型,金额,单据号\n"
    "13812345678,S01,2025-01-05 10:30,service,880.00,RO-1\n"
    "12345,S01,2025-01-05,service,1,RO-2\n"
    "13812345678,S99,2025-01-05,service,1,RO-3\n"
    "13812345678,S02,2025-01-05,service,1,RO-4\n"
    "13812345678,S01,2025-01-05,lottery,1,RO-5\n"
    "13812345678,S01,someday,service,-1,RO-6\n"
    "13812345678,S01,2025-01-06,service,2,RO-1\n"
)


def _csv(text, name="dms.csv"):
    return SimpleUploadedFile(name, text.encode("utf-8"), content_type="text/csv")


def _xlsx(rows):
    from openpyxl import Workbook

    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile("dms.xlsx", buffer.getvalue())


def _preview_and_commit(client, upload):
    """Upload, confirm, and run the job the confirm queued (as the worker would)."""
    response = client.post(reverse(URL), {"file": upload})
    assert response.status_code == 200, response.content.decode()[:2000]
    job = response.context["job"]
    commit = client.post(reverse(URL), {"job": job.pk})
    assert commit.status_code == 303 and commit["Location"] == reverse("portal:import-job", args=[job.pk])
    assert import_job_run(job_id=job.pk) == ImportJobStatus.DONE
    return response, ImportJob.objects.get(pk=job.pk)


def test_preview_then_commit_then_reimport_adds_nothing(client, member_a, store_a, manager_a):
    client.force_login(manager_a)
    response, job = _preview_and_commit(client, _csv(GOOD))
    preview = response.context["preview"]
    assert preview.valid and preview.new_count == 2 and preview.skip_count == 1
    assert response.context["total"] == 3 and response.context["complete"]
    assert job.counts == {"created": 2, "skipped": 1, "new_members": 1}
    assert Transaction.objects.count() == 2
    new_member = Member.objects.get(mobile="13900002222")
    assert new_member.store == store_a and not new_member.marketing_consent
    assert Transaction.objects.get(reference="INS-1").kind == "insurance"
    page = client.get(reverse("portal:import-job", args=[job.pk])).content.decode()
    assert 'data-status="done"' in page and "新建会员" in page

    response, job = _preview_and_commit(client, _csv(GOOD))
    assert response.context["preview"].skip_count == 3
    assert "已导入，跳过" in response.content.decode()
    assert job.counts == {"created": 0, "skipped": 3, "new_members": 0}
    assert Transaction.objects.count() == 2
    assert Member.objects.filter(mobile="13900002222").count() == 1
    assert [j.pk for j in client.get(reverse(URL)).context["jobs"]] == [job.pk, job.pk - 1]


def test_bad_rows_are_shown_and_nothing_is_imported(client, member_a, store_a, store_b, manager_a):
    client.force_login(manager_a)
    response = client.post(reverse(URL), {"file": _csv(BAD)})
    preview = response.context["preview"]
    errors = {row.line: row.errors for row in preview.rows}
    assert not errors[2]
    assert all(errors[line] for line in range(3, 9))
    assert str(txn_services.STORE_NOT_ALLOWED) in errors[4] and str(txn_services.STORE_NOT_ALLOWED) in errors[5]
    assert str(txn_services.OCCURRED_AT_INVALID) in errors[7] and str(txn_services.AMOUNT_INVALID) in errors[7]
    assert not preview.valid and response.context["job"] is None
    assert b'data-testid="import-commit"' not in response.content
    assert not ImportJob.objects.exists()  # nothing stored to confirm
    assert not Transaction.objects.exists()


def test_service_commit_is_all_or_nothing(member_a, store_a, store_b, manager_a):
    records = imports.parse_csv(BAD.encode())
    with pytest.raises(MembershipError):
        imports.transactions_import(records=records, actor=manager_a)
    assert not Transaction.objects.exists()


def test_excel_file_with_chinese_headers(client, member_a, store_a, hq):
    client.force_login(hq)
    upload = _xlsx([["手机号", "门店代码", "发生时间", "类型", "金额", "单据号"],
                    [13812345678, "S01", dt.datetime(2025, 3, 1, 9, 0), "维保", 300, "X-1"]])
    _response, job = _preview_and_commit(client, upload)
    assert job.file_name == "dms.xlsx"
    txn = Transaction.objects.get(reference="X-1")
    assert txn.source == "import" and txn.kind == "service" and timezone.localtime(txn.occurred_at).hour == 9


def test_someone_elses_or_an_unknown_draft_is_refused(client, store_a, manager_a, hq):
    client.force_login(hq)
    draft = client.post(reverse(URL), {"file": _csv(GOOD)}).context["job"]
    client.force_login(manager_a)
    for job_id in (draft.pk, "forged"):
        response = client.post(reverse(URL), {"job": job_id}, follow=True)
        assert str(PREVIEW_EXPIRED) in [str(m) for m in response.context["messages"]]
    assert ImportJob.objects.get().status == ImportJobStatus.DRAFT
    assert not Transaction.objects.exists()


def test_missing_columns_is_a_file_error(client, store_a, manager_a):
    client.force_login(manager_a)
    response = client.post(reverse(URL), {"file": _csv("mobile,amount\n13812345678,1\n")})
    assert response.status_code == 400
    assert "occurred_at" in response.content.decode()


def test_consultants_cannot_import(client, store_a, consultant_a):
    client.force_login(consultant_a)
    assert client.get(reverse(URL)).status_code == 403


def test_a_large_file_is_stored_and_counted(client, store_a, manager_a, settings):
    """A file above Django's in-memory upload size arrives as a temporary file."""
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 1024
    rows = "".join(f"1381234{n:04d},S01,2025-01-05 10:30,service,10,BIG-{n}\n" for n in range(300))
    client.force_login(manager_a)
    response = client.post(reverse(URL), {"file": _csv("mobile,store_code,occurred_at,kind,amount,reference\n" + rows)})
    assert response.context["total"] == 300 and not response.context["complete"]
    assert len(response.context["preview"].rows) == 200
    assert "文件共 300 行" in response.content.decode()
    job = response.context["job"]
    client.post(reverse(URL), {"job": job.pk})
    assert import_job_run(job_id=job.pk) == ImportJobStatus.DONE
    assert Transaction.objects.count() == 300


@hypothesis_settings(max_examples=200, deadline=None)
@given(moment=st.datetimes(min_value=dt.datetime(1992, 1, 1), max_value=dt.datetime(2099, 12, 31)),
       fmt=st.sampled_from(imports.DATE_FORMATS))
def test_a_date_reads_as_its_format_says_whichever_parser_reads_it(moment, fmt):
    text = moment.strftime(fmt)
    assert imports.parse_occurred_at(text) == timezone.make_aware(dt.datetime.strptime(text, fmt))
