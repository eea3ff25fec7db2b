"""CSV/Excel lead import: a preview with per-row errors, then the import job:
every row checked first, nothing imported when one is wrong."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.import_jobs import import_job_run
from accounts.models import ImportJob, ImportJobStatus
from accounts.validators import MOBILE_INVALID
from leads import exceptions as errors
from leads import imports
from leads.exceptions import LeadsError
from leads.models import Lead, LeadSource
from leads.services.imports import leads_import

pytestmark = pytest.mark.django_db

URL = "portal:leads:lead-import"
GOOD = (
    "mobile,name,store,channel,model_interest,note\n"
    "13811110001,张三,S01,autohome,帕萨特,看过车\n"
    "139 1111 0002,李四,s01,dongchedi,途观L,\n"
    "13811110001,张三,S01,oem,,厂家下发重复\n"
)
BAD = (
    "mobile,name,store,channel,model_interest,note\n"
    "13811110001,张三,S01,autohome,帕萨特,\n"
    "12345,坏号码,S01,autohome,,\n"
    "13811110003,未知渠道,S01,weibo,,\n"
    "13811110004,未知门店,S99,autohome,,\n"
    "13811110005,别的门店,S02,autohome,,\n"
)


def _csv(text: str, name="leads.csv", encoding="utf-8") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode(encoding), content_type="text/csv")


def _xlsx(rows: list[list], name="leads.xlsx") -> SimpleUploadedFile:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


@pytest.fixture
def as_manager(client, manager_a, store_b, channels):
    client.force_login(manager_a)
    return client


def _preview(client, upload):
    return client.post(reverse(URL), {"file": upload})


def _confirm_and_run(client, preview) -> ImportJob:
    """Confirm the previewed file and run the job it queues (as the worker would)."""
    job = preview.context["job"]
    response = client.post(reverse(URL), {"job": job.pk})
    assert response.status_code == 303 and response["Location"] == reverse("portal:import-job", args=[job.pk])
    import_job_run(job_id=job.pk)
    return ImportJob.objects.get(pk=job.pk)


class TestPreview:
    def test_bad_rows_are_reported_per_row(self, as_manager):
        response = _preview(as_manager, _csv(BAD))
        assert response.status_code == 200
        preview = response.context["preview"]
        assert not preview.valid and preview.error_count == 4
        by_line = {row.line: row.errors for row in preview.rows}
        assert by_line[2] == []
        assert by_line[3] == [str(MOBILE_INVALID)]
        assert by_line[4] == [str(errors.UNKNOWN_CHANNEL)]
        assert by_line[5] == [str(errors.UNKNOWN_STORE)]
        assert by_line[6] == [str(errors.STORE_NOT_ALLOWED)]  # S02 is outside the manager's scope
        body = response.content.decode()
        assert body.count('data-testid="import-row-error"') == 4
        assert 'data-testid="import-commit"' not in body  # no commit button for a bad file
        assert not Lead.objects.exists()  # the preview writes nothing

    def test_duplicates_in_file_are_merges_not_errors(self, as_manager, make_lead, store_a):
        make_lead(store_a, mobile="13911110002")  # an open lead for row 3's mobile already exists
        preview = _preview(as_manager, _csv(GOOD)).context["preview"]
        assert preview.valid
        notices = {row.line: row.notices for row in preview.rows}
        assert notices[2] == []
        assert notices[3] == [str(imports.MERGE_EXISTING)]
        assert notices[4] == [str(imports.DUPLICATE_IN_FILE % {"line": 2})]

    def test_file_level_errors(self, as_manager):
        for upload, message in [
            (_csv("name,channel\n张三,autohome\n"), imports.NO_MOBILE_COLUMN),
            (_csv("mobile,name\n"), imports.EMPTY_FILE),
            (SimpleUploadedFile("leads.pdf", b"%PDF-1.4"), imports.UNSUPPORTED_FILE),
            (SimpleUploadedFile("leads.xlsx", b"PK\x03\x04 broken"), imports.UNREADABLE_FILE),
        ]:
            response = _preview(as_manager, upload)
            assert response.status_code == 400
            assert str(message) in response.context["form"].errors["file"]

    def test_limits(self, as_manager, settings):
        settings.IMPORT_MAX_ROWS = 3
        rows = "".join(f"1381111{n:04d},,S01,autohome,,\n" for n in range(4))
        with pytest.raises(imports.ImportFileError):
            imports.parse_csv(("mobile,name,store,channel,model_interest,note\n" + rows).encode())
        response = _preview(as_manager, _csv("mobile,name,store,channel,model_interest,note\n" + rows))
        assert response.status_code == 400
        assert str(imports.TOO_MANY_ROWS % {"rows": 3}) in response.context["form"].errors["file"]
        settings.IMPORT_MAX_FILE_BYTES = 1024 * 1024
        big = SimpleUploadedFile("big.csv", b"mobile\n" + b"13811110000\n" * (1024 * 1024 // 12 + 10))
        response = _preview(as_manager, big)
        assert response.status_code == 400
        assert str(imports.FILE_TOO_BIG % {"mb": 1}) in response.context["form"].errors["file"]
        assert not ImportJob.objects.exists()

    def test_consultants_may_not_import(self, client, consultant_a):
        client.force_login(consultant_a)
        assert client.get(reverse(URL)).status_code == 403


class TestCommit:
    def test_valid_file_imports_every_row_and_merges_duplicates(self, as_manager, store_a, manager_a):
        job = _confirm_and_run(as_manager, _preview(as_manager, _csv(GOOD)))
        assert job.status == ImportJobStatus.DONE and job.counts == {"created": 2, "merged": 1}
        assert Lead.objects.count() == 2  # rows 2 and 4 share a mobile: one lead, two sources
        lead = Lead.objects.get(mobile="13811110001")
        assert lead.store == store_a and lead.name == "张三" and lead.channel.code == "autohome"
        assert sorted(LeadSource.objects.filter(lead=lead).values_list("channel__code", flat=True)) == ["autohome", "oem"]
        assert "厂家下发重复" in lead.note
        assert Lead.objects.get(mobile="13911110002").channel.code == "dongchedi"
        page = as_manager.get(reverse("portal:import-job", args=[job.pk])).content.decode()
        assert "新建线索" in page and "合并到已有线索" in page and 'data-status="done"' in page
        from accounts.models import AuditLog

        assert AuditLog.objects.filter(action="leads.lead.imported", actor=manager_a).exists()

    def test_bad_file_has_nothing_to_confirm(self, as_manager):
        response = _preview(as_manager, _csv(BAD))
        assert response.status_code == 200 and response.context["preview"].error_count == 4
        assert response.context["job"] is None and not ImportJob.objects.exists()
        assert not Lead.objects.exists()

    def test_a_bad_row_past_the_preview_fails_the_job(self, as_manager, monkeypatch):
        from accounts import import_jobs

        monkeypatch.setattr(import_jobs, "PREVIEW_ROWS", 1)
        job = _confirm_and_run(as_manager, _preview(as_manager, _csv(BAD)))
        assert job.status == ImportJobStatus.FAILED and job.error_rows == 4
        assert [error["line"] for error in job.errors] == [3, 4, 5, 6]
        assert not Lead.objects.exists()

    def test_a_mobile_met_in_an_earlier_chunk_is_a_merge(self, as_manager, monkeypatch):
        from accounts import import_jobs

        monkeypatch.setattr(import_jobs, "CHUNK_ROWS", 1)
        job = _confirm_and_run(as_manager, _preview(as_manager, _csv(GOOD)))
        assert job.counts == {"created": 2, "merged": 1} and Lead.objects.count() == 2

    def test_failure_mid_import_rolls_back_earlier_rows(self, manager_a, channels, monkeypatch):
        """Every row is checked before the first write; a row that still fails
        during ingestion undoes the rows before it."""
        from leads.services import ingest

        real = ingest.lead_ingest
        calls = []

        def flaky(**kwargs):
            calls.append(kwargs["mobile"])
            if len(calls) == 2:
                raise LeadsError("boom", fields={"mobile": ["boom"]})
            return real(**kwargs)

        monkeypatch.setattr(ingest, "lead_ingest", flaky)
        records = imports.parse_csv(GOOD.encode())
        with pytest.raises(LeadsError) as excinfo:
            leads_import(records=records, actor=manager_a)
        assert excinfo.value.fields == {"rows": {"3": ["boom"]}}
        assert not Lead.objects.exists() and not LeadSource.objects.exists()

    def test_a_foreign_or_unknown_draft_is_refused(self, as_manager, client, hq):
        job = _preview(as_manager, _csv(GOOD)).context["job"]
        response = as_manager.post(reverse(URL), {"job": "forged"}, follow=True)
        assert str(imports.PREVIEW_EXPIRED) in [str(m) for m in response.context["messages"]]
        client.force_login(hq)  # another user's preview is not theirs to commit
        client.post(reverse(URL), {"job": job.pk})
        assert ImportJob.objects.get().status == ImportJobStatus.DRAFT
        assert not Lead.objects.exists()

    def test_scope_is_checked_again_at_commit(self, manager_a, store_b, channels):
        records = [{"line": 2, "mobile": "13811110009", "name": "", "store": "S02", "channel": "autohome",
                    "model_interest": "", "note": ""}]
        with pytest.raises(LeadsError) as excinfo:
            leads_import(records=records, actor=manager_a)
        assert excinfo.value.fields["rows"] == {"2": [str(errors.STORE_NOT_ALLOWED)]}
        assert not Lead.objects.exists()

    def test_store_staff_may_leave_the_store_empty(self, manager_a, store_a, channels):
        records = [{"line": 2, "mobile": "13811110010", "channel": "walkin"}]
        result = leads_import(records=records, actor=manager_a)
        assert result.created == 1 and Lead.objects.get().store == store_a

    def test_hq_must_name_the_store(self, hq, store_a, channels):
        preview = imports.rows_validate(records=[{"line": 2, "mobile": "13811110011", "channel": "walkin"}], actor=hq)
        assert preview.rows[0].errors == [str(imports.STORE_REQUIRED)]


class TestFormats:
    def test_chinese_headers_and_gbk(self, as_manager, store_a):
        text = "手机号,姓名,门店,渠道,意向车型,备注\n13811110021,王五,S01,autohome,朗逸,国庆车展\n"
        for encoding in ("utf-8-sig", "gbk"):
            Lead.objects.all().delete()
            response = _preview(as_manager, _csv(text, encoding=encoding))
            preview = response.context["preview"]
            assert preview.valid, [row.errors for row in preview.rows]
            assert preview.rows[0].values == {"mobile": "13811110021", "name": "王五", "store": "S01", "channel": "autohome",
                                              "model_interest": "朗逸", "note": "国庆车展"}
            _confirm_and_run(as_manager, response)
            assert Lead.objects.get().model_interest == "朗逸"

    def test_xlsx_with_numeric_mobiles(self, as_manager, store_a):
        upload = _xlsx([
            ["手机号", "姓名", "门店", "渠道", "意向车型", "备注"],
            [13811110031, "赵六", "S01", "oem", "ID.4", None],
            [None, None, None, None, None, None],  # blank rows are skipped
            ["13811110032", "钱七", "S01", "dongchedi", "", ""],
        ])
        response = _preview(as_manager, upload)
        preview = response.context["preview"]
        assert preview.valid and [row.values["mobile"] for row in preview.rows] == ["13811110031", "13811110032"]
        assert [row.line for row in preview.rows] == [2, 4]
        _confirm_and_run(as_manager, response)
        assert set(Lead.objects.values_list("mobile", flat=True)) == {"13811110031", "13811110032"}

    def test_xlsx_bad_rows(self, as_manager):
        upload = _xlsx([["mobile", "channel", "store"], ["123", "autohome", "S01"], [13811110041, "nope", "S01"]])
        preview = _preview(as_manager, upload).context["preview"]
        assert [row.errors for row in preview.rows] == [[str(MOBILE_INVALID)], [str(errors.UNKNOWN_CHANNEL)]]
