"""The catalogue in Django admin (imported by ``accounts.admin``): HQ edits
brands, series and models, and imports or exports the whole catalogue as a
spreadsheet (one row per model, the layout of ``accounts.catalogue.sheet``).

The import is small and synchronous: upload → every row checked and shown
with what it would do → confirm → written in one transaction
(``catalogue_import``).  Between the two steps the file's records wait in
the admin's session (compressed), under a one-time token."""

from __future__ import annotations

import base64
import json
import secrets
import zlib

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext, gettext_lazy as _

from accounts.catalogue.exceptions import CatalogueError
from accounts.catalogue.models import CarModel, CarSeries
from accounts.catalogue.services import catalogue_check, catalogue_import
from accounts.catalogue.sheet import COLUMNS, LIMITS, SHEET
from accounts.exports import csv_response
from accounts.imports import ImportFileError
from accounts.models import Brand

SESSION_KEY = "catalogue-import"
PREVIEW_EXPIRED = _("预览已失效，请重新上传文件。")
IMPORTED = _("车型库已导入：新增品牌 %(brands_created)s、车系 %(series_created)s、车型 %(models_created)s；"
             "更新品牌 %(brands_updated)s、车系 %(series_updated)s、车型 %(models_updated)s；"
             "无变化车型 %(unchanged)s。")


class CatalogueChangeList:
    """The import / export buttons on the catalogue's three lists."""

    change_list_template = "admin/accounts/catalogue_change_list.html"


@admin.register(Brand)
class BrandAdmin(CatalogueChangeList, admin.ModelAdmin):
    list_display = ["code", "name", "initial", "pinyin", "is_group_brand", "is_active", "series_count"]
    list_filter = ["is_group_brand", "is_active", "initial"]
    search_fields = ["code", "name", "pinyin", "aliases"]
    list_editable = ["is_group_brand", "is_active"]
    ordering = ["initial", "pinyin", "code"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(n_series=Count("series"))

    @admin.display(description=_("车系数"), ordering="n_series")
    def series_count(self, obj):
        return obj.n_series


class CarModelInline(admin.TabularInline):
    model = CarModel
    extra = 0
    fields = ["year", "name", "body_type", "seats", "energy_type", "displacement", "battery_kwh", "guide_price",
              "is_active"]
    ordering = ["-year", "guide_price"]
    show_change_link = True


@admin.register(CarSeries)
class CarSeriesAdmin(CatalogueChangeList, admin.ModelAdmin):
    list_display = ["name", "brand", "code", "maker", "position", "is_active", "model_count"]
    list_filter = ["is_active", "brand"]
    search_fields = ["name", "code", "aliases", "maker", "brand__name", "brand__code"]
    list_select_related = ["brand"]
    autocomplete_fields = ["brand"]
    inlines = [CarModelInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(n_models=Count("models"))

    @admin.display(description=_("车型数"), ordering="n_models")
    def model_count(self, obj):
        return obj.n_models


class CatalogueUploadForm(forms.Form):
    file = forms.FileField(
        label=_("车型库表格"),
        help_text=_("CSV（UTF-8 或 GBK）或 Excel（.xlsx），每行一个车型。"),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx"}),
    )


@admin.register(CarModel)
class CarModelAdmin(CatalogueChangeList, admin.ModelAdmin):
    list_display = ["name", "series", "year", "body_type", "seats", "energy_type", "displacement", "battery_kwh",
                    "guide_price", "is_active"]
    list_filter = ["is_active", "energy_type", "body_type", "year", "series__brand"]
    search_fields = ["name", "series__name", "series__code", "series__brand__name"]
    list_select_related = ["series__brand"]
    autocomplete_fields = ["series"]
    show_full_result_count = False

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("import/", view(self.import_view), name="accounts_carmodel_import"),
            path("export/", view(self.export_view), name="accounts_carmodel_export"),
            *super().get_urls(),
        ]

    def _check_may_import(self, request) -> None:
        """An import adds and changes brands and series as well as models."""
        if not request.user.has_perms([f"accounts.{action}_{model}" for action in ("add", "change")
                                       for model in ("brand", "carseries", "carmodel")]):
            raise PermissionDenied

    def import_view(self, request):
        """Upload → the checked rows → confirm (``token``) → imported."""
        self._check_may_import(request)
        context = {**self.admin_site.each_context(request), "opts": self.opts, "title": _("从表格导入车型库"),
                   "columns": COLUMNS}
        if request.method == "POST" and "token" in request.POST:
            return self._confirm(request, context)
        form = CatalogueUploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                if upload.size > LIMITS.max_bytes:
                    raise LIMITS.too_big()
                records = list(SHEET.read(upload.file, name=upload.name or "", limits=LIMITS))
            except ImportFileError as exc:
                form.add_error("file", str(exc.message))
            else:
                check = catalogue_check(records=records)
                context.update(check=check)
                if check.valid:
                    token = secrets.token_urlsafe(16)
                    packed = zlib.compress(json.dumps(records, ensure_ascii=False).encode())
                    request.session[SESSION_KEY] = {"token": token, "records": base64.b64encode(packed).decode()}
                    context.update(token=token)
        context["form"] = form
        return TemplateResponse(request, "admin/accounts/catalogue_import.html", context)

    def _confirm(self, request, context):
        stored = request.session.get(SESSION_KEY) or {}
        if not stored or not secrets.compare_digest(stored.get("token", ""), request.POST.get("token", "")):
            messages.error(request, PREVIEW_EXPIRED)
            return redirect("admin:accounts_carmodel_import")
        records = json.loads(zlib.decompress(base64.b64decode(stored["records"])))
        try:
            check = catalogue_import(records=records, actor=request.user)
        except CatalogueError:  # the catalogue changed since the preview: show the rows again
            context.update(form=CatalogueUploadForm(), check=catalogue_check(records=records))
            return TemplateResponse(request, "admin/accounts/catalogue_import.html", context, status=409)
        request.session.pop(SESSION_KEY, None)
        messages.success(request, IMPORTED % check.counts)
        return redirect(reverse("admin:accounts_carmodel_changelist"))

    def export_view(self, request):
        """The whole catalogue in the import's layout (edit it, import it back)."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        rows = [list(COLUMNS)]
        models = CarModel.objects.select_related("series__brand").order_by(
            "series__brand__initial", "series__brand__code", "series__position", "series__code", "-year", "guide_price")
        for model in models:
            series, brand = model.series, model.series.brand
            rows.append([
                brand.code, brand.name, brand.initial, brand.pinyin, brand.aliases,
                gettext("是") if brand.is_group_brand else gettext("否"),
                series.code, series.name, series.maker, series.aliases,
                model.name, model.year, model.get_body_type_display(), model.seats, model.get_energy_type_display(),
                model.displacement if model.displacement is not None else "",
                model.battery_kwh if model.battery_kwh is not None else "", model.guide_price,
            ])
        return csv_response(rows, filename="catalogue.csv")
