"""HQ keeps the catalogue in Django admin: edits brands, series and models,
and imports the catalogue from a spreadsheet (upload → every row checked →
confirm → one transaction) or exports it in the same layout."""

from __future__ import annotations

import csv
import io

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.catalogue import exceptions as errors
from accounts.catalogue.sheet import COLUMNS
from accounts.models import AuditLog, Brand, CarModel, CarSeries

pytestmark = pytest.mark.django_db

IMPORT = reverse("admin:accounts_carmodel_import")
EXPORT = reverse("admin:accounts_carmodel_export")


@pytest.fixture
def admin_client(client, admin_user, catalogue):
    client.force_login(admin_user)
    return client


def sheet(*rows: dict, name="catalogue.csv") -> SimpleUploadedFile:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS)
    writer.writeheader()
    for row in rows:
        writer.writerow(row)
    return SimpleUploadedFile(name, out.getvalue().encode("utf-8-sig"), content_type="text/csv")


NEW = {"brand_code": "nova", "brand": "诺瓦", "initial": "N", "series": "星河", "maker": "诺瓦汽车",
       "model": "2026款 长续航版", "year": "2026", "body_type": "SUV", "seats": "5", "energy_type": "纯电动",
       "battery_kwh": "75", "guide_price": "19.98万"}


def test_lists_link_to_import_and_export(admin_client):
    for model in ("brand", "carseries", "carmodel"):
        html = admin_client.get(reverse(f"admin:accounts_{model}_changelist")).content.decode()
        assert IMPORT in html and EXPORT in html


def test_upload_shows_the_checked_rows_then_confirm_imports_them(admin_client, admin_user):
    lavida = CarModel.objects.filter(series__code="vw-lavida").order_by("pk").first()
    change = {"brand": "大众", "series": "朗逸", "model": lavida.name, "year": lavida.year, "body_type": "轿车",
              "seats": 5, "energy_type": "汽油", "displacement": "1.5", "guide_price": "99900"}
    response = admin_client.post(IMPORT, {"file": sheet(NEW, change)})
    assert response.status_code == 200
    check = response.context["check"]
    assert check.valid and [row.action for row in check.rows] == ["新增车型", "更新车型"]
    html = response.content.decode()
    assert 'data-testid="catalogue-import-summary"' in html and "确认导入" in html
    assert not Brand.objects.filter(code="nova").exists()  # nothing written before the confirmation

    response = admin_client.post(IMPORT, {"token": response.context["token"]})
    assert response.status_code == 302 and response["Location"] == reverse("admin:accounts_carmodel_changelist")
    series = CarSeries.objects.get(brand__code="nova")
    assert series.models.get().battery_kwh == 75
    lavida.refresh_from_db()
    assert lavida.guide_price == 99900
    assert AuditLog.objects.filter(action="accounts.catalogue.imported", actor=admin_user).count() == 1
    page = admin_client.get(response["Location"]).content.decode()
    assert "车型库已导入" in page

    # The token was used up: confirming again imports nothing twice.
    again = admin_client.post(IMPORT, {"token": "anything"}, follow=True)
    assert "预览已失效" in again.content.decode()
    assert AuditLog.objects.filter(action="accounts.catalogue.imported").count() == 1


def test_rows_with_errors_are_listed_and_nothing_can_be_confirmed(admin_client):
    bad = {**NEW, "guide_price": "免费", "energy_type": "核动力"}
    response = admin_client.post(IMPORT, {"file": sheet(NEW, bad)})
    check = response.context["check"]
    assert not check.valid and check.error_count == 1
    html = response.content.decode()
    assert str(errors.PRICE_INVALID) in html
    assert "确认导入" not in html and "token" not in response.context
    assert not Brand.objects.filter(code="nova").exists()


def test_a_file_that_is_no_spreadsheet_is_refused_on_the_field(admin_client):
    response = admin_client.post(IMPORT, {"file": SimpleUploadedFile("cars.pdf", b"%PDF-1.4")})
    assert response.context["form"].errors["file"]
    response = admin_client.post(IMPORT, {"file": SimpleUploadedFile("cars.csv", "车型\n朗逸\n".encode())})
    assert "缺少必需的列" in response.context["form"].errors["file"][0]


def test_export_then_import_changes_nothing(admin_client):
    response = admin_client.get(EXPORT)
    assert response["Content-Type"].startswith("text/csv")
    exported = b"".join(response.streaming_content)
    rows = list(csv.reader(io.StringIO(exported.decode("utf-8-sig"))))
    assert rows[0] == list(COLUMNS) and len(rows) - 1 == CarModel.objects.count()
    check = admin_client.post(IMPORT, {"file": SimpleUploadedFile("export.csv", exported)}).context["check"]
    assert check.valid, [(row.line, row.errors) for row in check.rows if not row.ok][:3]
    assert check.counts["unchanged"] == CarModel.objects.count()
    assert check.counts["models_created"] == check.counts["models_updated"] == 0


def test_hq_edits_a_guide_price_in_the_admin(admin_client):
    model = CarModel.objects.filter(series__code="tesla-model-3").first()
    url = reverse("admin:accounts_carmodel_change", args=[model.pk])
    form = admin_client.get(url).context["adminform"].form
    data = {name: form[name].value() for name in form.fields}
    data = {k: ("" if v is None else v) for k, v in data.items()}
    data.update(guide_price="229900", is_active="on")
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    model.refresh_from_db()
    assert model.guide_price == 229900


def test_only_admins_reach_the_import(client, hq, catalogue):
    client.force_login(hq)
    response = client.get(IMPORT)
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_importing_needs_the_right_to_add_and_change_brands_series_and_models(client, make_staff, catalogue):
    editor = make_staff("hq", None, username="catalogue_editor", is_staff=True)
    editor.user_permissions.add(*Permission.objects.filter(codename__in=["add_carmodel", "change_carmodel",
                                                                          "view_carmodel"]))
    client.force_login(editor)
    assert client.get(IMPORT).status_code == 403
    editor.user_permissions.add(*Permission.objects.filter(codename__in=[
        "add_brand", "change_brand", "add_carseries", "change_carseries"]))
    editor = type(editor).objects.get(pk=editor.pk)  # permissions are cached on the instance
    client.force_login(editor)
    assert client.get(IMPORT).status_code == 200
