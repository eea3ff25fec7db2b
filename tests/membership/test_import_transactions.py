"""DMS import of visits and spend: preview with per-row errors, all rows or none,
re-importing the same file adds nothing."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from accounts.models import Member
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
    response = client.post(reverse(URL), {"file": upload})
    assert response.status_code == 200, response.content.decode()[:2000]
    token = response.context["token"]
    return response, client.post(reverse(URL), {"token": token})


def test_preview_then_commit_then_reimport_adds_nothing(client, member_a, store_a, manager_a):
    client.force_login(manager_a)
    response, commit = _preview_and_commit(client, _csv(GOOD))
    preview = response.context["preview"]
    assert preview.valid and preview.new_count == 2 and preview.skip_count == 1
    assert commit.status_code == 303
    assert Transaction.objects.count() == 2
    new_member = Member.objects.get(mobile="13900002222")
    assert new_member.store == store_a and not new_member.marketing_consent
    assert Transaction.objects.get(reference="INS-1").kind == "insurance"

    response, commit = _preview_and_commit(client, _csv(GOOD))
    assert response.context["preview"].skip_count == 3
    assert "已导入，跳过" in response.content.decode()
    assert commit.status_code == 303
    assert Transaction.objects.count() == 2
    assert Member.objects.filter(mobile="13900002222").count() == 1


def test_bad_rows_are_shown_and_nothing_is_imported(client, member_a, store_a, store_b, manager_a):
    client.force_login(manager_a)
    response = client.post(reverse(URL), {"file": _csv(BAD)})
    preview = response.context["preview"]
    errors = {row.line: row.errors for row in preview.rows}
    assert not errors[2]
    assert all(errors[line] for line in range(3, 9))
    assert str(txn_services.STORE_NOT_ALLOWED) in errors[4] and str(txn_services.STORE_NOT_ALLOWED) in errors[5]
    assert str(txn_services.OCCURRED_AT_INVALID) in errors[7] and str(txn_services.AMOUNT_INVALID) in errors[7]
    assert not preview.valid
    assert b'data-testid="import-commit"' not in response.content
    # forcing the commit anyway: refused, nothing written
    commit = client.post(reverse(URL), {"token": response.context["token"]})
    assert commit.status_code == 400
    assert not Transaction.objects.exists()


def test_service_commit_is_all_or_nothing(member_a, store_a, store_b, manager_a):
    records = imports.parse_csv(BAD.encode())
    with pytest.raises(MembershipError):
        imports.transactions_import(records=records, actor=manager_a)
    assert not Transaction.objects.exists()


def test_excel_file_with_chinese_headers(client, member_a, store_a, hq):
    import datetime as dt

    client.force_login(hq)
    upload = _xlsx([["手机号", "门店代码", "发生时间", "类型", "金额", "单据号"],
                    [13812345678, "S01", dt.datetime(2025, 3, 1, 9, 0), "维保", 300, "X-1"]])
    _response, commit = _preview_and_commit(client, upload)
    assert commit.status_code == 303
    txn = Transaction.objects.get(reference="X-1")
    assert txn.source == "import" and txn.kind == "service" and timezone.localtime(txn.occurred_at).hour == 9


def test_tampered_token_is_refused(client, store_a, manager_a):
    client.force_login(manager_a)
    response = client.post(reverse(URL), {"token": "forged"})
    assert response.status_code == 303
    assert not Transaction.objects.exists()


def test_missing_columns_is_a_file_error(client, store_a, manager_a):
    client.force_login(manager_a)
    response = client.post(reverse(URL), {"file": _csv("mobile,amount\n13812345678,1\n")})
    assert response.status_code == 400
    assert "occurred_at" in response.content.decode()


def test_consultants_cannot_import(client, store_a, consultant_a):
    client.force_login(consultant_a)
    assert client.get(reverse(URL)).status_code == 403
