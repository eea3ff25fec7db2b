"""Policy import (保单导入): an insurer's spreadsheet through the one
spreadsheet import — preview with per-row errors, every row checked before
anything is written, vehicles matched by VIN then plate, unmatched policies
listed for staff to link, re-import updates instead of duplicating, and every
read and write scoped to the importer's stores."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.demo import plate_for
from accounts.import_jobs import import_job_run
from accounts.models import AuditLog, ImportJob, ImportJobStatus, Role
from insurance import services_import as imports
from insurance.exceptions import InsuranceError
from insurance.models import Policy, PolicyKind, PolicySource

pytestmark = pytest.mark.django_db

URL = "portal:insurance:policy-import"
UNMATCHED_URL = "portal:insurance:policy-unmatched"
HEADER = "保险公司,保单号,险别,车牌号,车架号,起保日期,终保日期,保费,险种明细,门店代码,续保专员,有责出险次数\n"
NOT_ON_FILE = plate_for(5000)  # a valid plate no vehicle has


def _csv(text, name="policies.csv"):
    return SimpleUploadedFile(name, text.encode("utf-8"), content_type="text/csv")


def _xlsx(rows, name="policies.xlsx"):
    from openpyxl import Workbook

    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile(name, buffer.getvalue())


def _run(client, upload, *, expect=ImportJobStatus.DONE):
    """Upload, confirm and run the job (as the worker would); the preview response and the job."""
    response = client.post(reverse(URL), {"file": upload})
    assert response.status_code == 200, response.content.decode()[:2000]
    job = response.context["job"]
    assert job is not None, [row.errors for row in response.context["preview"].rows]
    commit = client.post(reverse(URL), {"job": job.pk})
    assert commit.status_code == 303 and commit["Location"] == reverse("portal:import-job", args=[job.pk])
    assert import_job_run(job_id=job.pk) == expect
    return response, ImportJob.objects.get(pk=job.pk)


@pytest.fixture
def specialist_a(make_staff, store_a):
    return make_staff(Role.INSURANCE, store_a, username="s01_insurance", last_name="赵", first_name="敏")


@pytest.fixture
def manager_b(make_staff, store_b):
    return make_staff(Role.MANAGER, store_b, username="s02_manager")


@pytest.fixture
def car_a(member_a):
    return member_a.vehicles.get()


@pytest.fixture
def car_b(member_b):
    return member_b.vehicles.get()


def _good(car_a, premium="3,200.50"):
    return HEADER + (
        f"picc,P-1,交强险,,{car_a.vin},2026-03-01,2027-03-01,950,,S01,,0\n"
        f'平安产险,p-2,商业险,{car_a.plate},,2026/03/01,2027/03/01,"{premium}",车损险:2100;三者险:1000000:1100.50,S01,赵敏,1\n'
        f"人保财险,P-3,商业险,{NOT_ON_FILE},,2026-04-02,2027-04-02,1800,,s01,s01_insurance,\n"
        f"picc,P-1,交强险,,{car_a.vin},2026-03-01,2027-03-01,950,,S01,,0\n"
    )


def test_good_file_matches_by_vin_and_plate_and_lists_the_unmatched(client, manager_a, store_a, car_a, specialist_a):
    client.force_login(manager_a)
    response, job = _run(client, _csv(_good(car_a)))
    preview = response.context["preview"]
    assert (preview.new_count, preview.update_count, preview.unmatched_count) == (3, 0, 1)
    notices = {row.line: row.notices for row in preview.rows}
    assert str(imports.MATCHED_VIN % {"vehicle": car_a.plate}) in notices[2]
    assert str(imports.MATCHED_PLATE % {"vehicle": car_a.plate}) in notices[3]
    assert str(imports.UNMATCHED) in notices[4]
    assert str(imports.DUPLICATE_IN_FILE % {"line": 2}) in notices[5]
    assert job.counts == {"created": 3, "updated": 0, "skipped": 1, "unmatched": 1}

    compulsory = Policy.objects.get(number="P-1")
    assert compulsory.vehicle == car_a and compulsory.vin == car_a.vin and compulsory.kind == PolicyKind.COMPULSORY
    assert compulsory.source == PolicySource.IMPORTED and compulsory.store == store_a
    commercial = Policy.objects.get(number="P-2")  # the number is kept upper case, without spaces
    assert commercial.insurer.code == "pingan" and commercial.vehicle == car_a
    assert commercial.premium == Decimal("3200.50") and commercial.specialist == specialist_a
    assert commercial.at_fault_claims == 1 and commercial.start_date == dt.date(2026, 3, 1)
    assert sorted((c.coverage.code, c.sum_insured, c.premium) for c in commercial.coverages.all()) == [
        ("third_party", Decimal("1000000.00"), Decimal("1100.50")), ("vehicle_damage", None, Decimal("2100.00"))]
    unmatched = Policy.objects.get(number="P-3")
    assert unmatched.vehicle is None and unmatched.plate == NOT_ON_FILE and unmatched.specialist == specialist_a

    page = client.get(reverse(UNMATCHED_URL))
    assert [p.number for p in page.context["page_obj"]] == ["P-3"]
    assert AuditLog.objects.filter(action="insurance.policy.imported", actor=manager_a).count() == 1


def test_reimport_updates_and_never_duplicates(client, manager_a, car_a, specialist_a):
    client.force_login(manager_a)
    _run(client, _csv(_good(car_a)))
    response, job = _run(client, _csv(_good(car_a, premium="3300")))
    assert response.context["preview"].update_count == 3
    assert str(imports.WILL_UPDATE) in response.context["preview"].rows[0].notices
    assert job.counts == {"created": 0, "updated": 3, "skipped": 1, "unmatched": 1}
    assert Policy.objects.count() == 3
    commercial = Policy.objects.get(number="P-2")
    assert commercial.premium == Decimal("3300.00") and commercial.coverages.count() == 2


def test_reimport_keeps_the_vehicle_staff_linked(client, manager_a, car_a, specialist_a):
    client.force_login(manager_a)
    _run(client, _csv(_good(car_a)))
    policy = Policy.objects.get(number="P-3")
    policy.vehicle = car_a
    policy.save()
    _run(client, _csv(_good(car_a)))
    policy.refresh_from_db()
    assert policy.vehicle == car_a  # the row matches no vehicle; the link staff made stays


def test_bad_rows_each_get_their_error_and_nothing_is_imported(client, manager_a, store_b, car_a, car_b):
    Policy.objects.create(insurer_id=imports.Insurer.objects.get(code="cpic").pk, number="B-TAKEN",
                          kind=PolicyKind.COMPULSORY, plate=car_b.plate, start_date=dt.date(2026, 1, 1),
                          end_date=dt.date(2027, 1, 1), premium=Decimal("950"), store=store_b)
    bad = HEADER + (
        f"picc,OK-1,交强险,{car_a.plate},,2026-03-01,2027-03-01,950,,S01,,\n"  # 2: fine
        f"nobody,X-1,交强险,{car_a.plate},,2026-03-01,2027-03-01,950,,S01,,\n"  # 3: insurer
        f"picc,X-2,车险,,,2026-03-01,2027-03-01,950,,S01,,\n"  # 4: kind, plate or VIN
        f"picc,X-3,交强险,ABC,LSV123,someday,2026-03-01,-5,,S01,,x\n"  # 5: plate, VIN, date, premium, claims
        f"picc,X-4,交强险,{car_a.plate},,2026-03-01,2026-03-01,950,车损险:1,S02,,\n"  # 6: dates, coverages, store
        f"picc,X-5,商业险,{car_a.plate},,2026-03-01,2027-03-01,950,飞行险:1;车损险,S99,nobody,\n"  # 7
        f"cpic,B-TAKEN,交强险,{car_a.plate},,2026-03-01,2027-03-01,950,,S01,,\n"  # 8: store B's number
        f"picc,OK-1,交强险,{car_a.plate},,2026-03-01,2027-03-01,999,,S01,,\n"  # 9: same number, other values
    )
    client.force_login(manager_a)
    response = client.post(reverse(URL), {"file": _csv(bad)})
    preview = response.context["preview"]
    errors = {row.line: row.errors for row in preview.rows}
    assert errors[2] == []
    assert errors[3] == [str(imports.INSURER_UNKNOWN % {"value": "nobody"})]
    assert str(imports.KIND_INVALID) in errors[4] and str(imports.PLATE_OR_VIN) in errors[4]
    assert {str(imports.PLATE_INVALID), str(imports.DATE_INVALID % {"field": "起保日期"}),
            str(imports.PREMIUM_INVALID), str(imports.CLAIMS_INVALID)} <= set(errors[5])
    assert any("车架号" in message for message in errors[5])
    assert {str(imports.DATES_ORDER), str(imports.COVERAGE_COMPULSORY),
            str(imports.STORE_NOT_ALLOWED)} <= set(errors[6])
    assert {str(imports.COVERAGE_UNKNOWN % {"value": "飞行险"}), str(imports.COVERAGE_INVALID % {"item": "车损险"}),
            str(imports.STORE_UNKNOWN % {"value": "S99"})} <= set(errors[7])
    assert errors[8] == [str(imports.NUMBER_TAKEN)]
    assert errors[9] == [str(imports.DUPLICATE_DIFFERS % {"line": 2})]
    assert not preview.valid and response.context["job"] is None
    assert b'data-testid="import-commit"' not in response.content
    assert response.content.decode().count('data-testid="import-row-error"') == sum(map(len, errors.values()))
    assert not ImportJob.objects.exists()
    assert Policy.objects.count() == 1  # store B's, untouched


def test_a_bad_row_past_the_preview_fails_the_job_with_nothing_imported(client, manager_a, car_a):
    rows = [f"picc,N-{n},交强险,{NOT_ON_FILE},,2026-03-01,2027-03-01,950,,S01,,\n" for n in range(205)]
    rows.append("picc,N-LAST,交强险,,,2026-03-01,2027-03-01,950,,S01,,\n")  # line 207: no plate or VIN
    client.force_login(manager_a)
    response, job = _run(client, _csv(HEADER + "".join(rows)), expect=ImportJobStatus.FAILED)
    assert response.context["preview"].valid and not response.context["complete"]
    assert job.errors == [{"line": 207, "messages": [str(imports.PLATE_OR_VIN)]}]
    assert not Policy.objects.exists()
    page = client.get(reverse("portal:import-job", args=[job.pk])).content.decode()
    assert 'data-testid="import-job-error"' in page and str(imports.PLATE_OR_VIN) in page


def test_service_import_is_all_or_nothing(manager_a, car_a):
    records = imports.parse_csv((HEADER + f"picc,A-1,交强险,{car_a.plate},,2026-03-01,2027-03-01,950,,S01,,\n"
                                 "picc,A-2,交强险,,,2026-03-01,2027-03-01,950,,S01,,\n").encode())
    with pytest.raises(InsuranceError) as caught:
        imports.policies_import(records=records, actor=manager_a)
    assert caught.value.fields["rows"] == {"3": [str(imports.PLATE_OR_VIN)]}
    assert not Policy.objects.exists()


def test_excel_with_date_cells_and_numbers(client, hq, store_a, car_a):
    client.force_login(hq)
    upload = _xlsx([["保险公司", "保单号", "险别", "车牌号", "车架号", "起保日期", "终保日期", "保费", "门店代码"],
                    ["太平洋产险", 20260001, "商业险", None, car_a.vin, dt.datetime(2026, 5, 1), dt.datetime(2027, 5, 1),
                     4321.5, "S01"]])
    _response, job = _run(client, upload)
    assert job.file_name == "policies.xlsx" and job.counts["created"] == 1
    policy = Policy.objects.get(number="20260001")
    assert policy.insurer.code == "cpic" and policy.vehicle == car_a and policy.premium == Decimal("4321.50")
    assert (policy.start_date, policy.end_date) == (dt.date(2026, 5, 1), dt.date(2027, 5, 1))


def test_vin_wins_over_plate(hq, store_a, car_a, car_b):
    records = imports.parse_csv((HEADER + f"picc,V-1,交强险,{car_b.plate},{car_a.vin},2026-03-01,2027-03-01,950,,S01,,\n")
                                .encode())
    imports.policies_import(records=records, actor=hq)
    assert Policy.objects.get(number="V-1").vehicle == car_a


def test_store_staff_import_into_their_store_and_match_only_their_vehicles(manager_a, hq, store_a, car_b):
    # No store code: the manager's store.  Store B's car is not theirs to match: the policy stays unmatched.
    records = imports.parse_csv((HEADER + f"picc,S-1,交强险,{car_b.plate},{car_b.vin},2026-03-01,2027-03-01,950,,,,\n")
                                .encode())
    counts = imports.policies_import(records=records, actor=manager_a)
    assert counts["unmatched"] == 1
    policy = Policy.objects.get(number="S-1")
    assert policy.store == store_a and policy.vehicle is None
    # HQ must name the store.
    preview = imports.rows_validate(records=records, actor=hq)
    assert str(imports.STORE_REQUIRED) in preview.rows[0].errors


def test_staff_link_an_unmatched_policy_to_a_vehicle_in_scope(client, manager_a, manager_b, car_a, car_b):
    client.force_login(manager_a)
    _run(client, _csv(HEADER + f"picc,L-1,交强险,{NOT_ON_FILE},,2026-03-01,2027-03-01,950,,S01,,\n"))
    policy = Policy.objects.get(number="L-1")
    link = reverse("portal:insurance:policy-link", args=[policy.pk])

    # Store B's manager sees neither the policy in the list nor the policy itself.
    client.force_login(manager_b)
    assert list(client.get(reverse(UNMATCHED_URL)).context["page_obj"]) == []
    assert client.post(link, {"vehicle": car_b.plate}).status_code == 404

    # Store A's manager cannot link it to store B's car, and can to their own (by VIN here).
    client.force_login(manager_a)
    response = client.post(link, {"vehicle": car_b.plate}, follow=True)
    assert str(imports.VEHICLE_NOT_FOUND) in [str(m) for m in response.context["messages"]]
    policy.refresh_from_db()
    assert policy.vehicle is None
    response = client.post(link, {"vehicle": car_a.vin.lower()})
    assert response.status_code == 303 and response["Location"] == reverse(UNMATCHED_URL)
    policy.refresh_from_db()
    assert policy.vehicle == car_a and policy.plate == NOT_ON_FILE and policy.vin == car_a.vin
    audit = AuditLog.objects.get(action="insurance.policy.vehicle_linked")
    assert audit.actor == manager_a and audit.data["number"] == "L-1"
    page = client.get(reverse(UNMATCHED_URL)).content.decode()
    assert 'data-testid="policy-unmatched-empty"' in page


def test_consultants_may_not_import(client, consultant_a):
    client.force_login(consultant_a)
    assert client.get(reverse(URL)).status_code == 403
    assert client.get(reverse(UNMATCHED_URL)).status_code == 403


def test_the_import_page_and_job_page_name_the_kind(client, manager_a, car_a):
    client.force_login(manager_a)
    _response, job = _run(client, _csv(HEADER + f"picc,K-1,交强险,{car_a.plate},,2026-03-01,2027-03-01,950,,S01,,\n"))
    page = client.get(reverse("portal:import-job", args=[job.pk])).content.decode()
    assert "保单导入" in page and "新增保单" in page and 'data-status="done"' in page
    assert [j.pk for j in client.get(reverse(URL)).context["jobs"]] == [job.pk]
