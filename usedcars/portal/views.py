"""Portal pages of the used-car stock: the stock list (aging badges 30/60/90, status,
price, margin; status and store filters; VIN/plate search; CSV export, audited), entering
a car into stock (入库: a member's trade-in picked from the caller's stores, a purchase or
an auction, with its condition report) and a car's page (listing, photos with their processing status, condition report) with the
publish / reserve / sell / withdraw buttons showing the service's errors.  Reads go
through the scoped selectors (another store's car: 404)."""

from __future__ import annotations

from decimal import Decimal

from django.contrib import messages
from django.core.exceptions import ObjectDoesNotExist
from django.core.paginator import Paginator
from django.db import transaction
from django.http import JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.generic import View

from accounts.api.exceptions import error_body
from accounts.exceptions import ApplicationError
from accounts.exports import csv_response
from accounts.forms import form_errors_from
from accounts.models import GROUP_ROLES, Role
from accounts.portal.mixins import PortalMixin, SeeOther
from accounts.scoping import stores_for
from accounts.services import export_record
from usedcars import exceptions as errors
from usedcars.models import CHECKLIST_LABELS, Listing, StockSource, StockStatus
from usedcars.portal.forms import StockEntryForm, condition_formset
from usedcars.selectors import (
    MANAGE_ROLES, TRADE_IN_SEARCH_MIN, trade_in_vehicle_get, trade_in_vehicle_search, usedcar_get, usedcar_list,
)
from usedcars.services import condition_report_save, usedcar_create
from usedcars.services_listings import (
    listing_create, listing_publish, listing_reserve, listing_sell, listing_set_featured, listing_update,
    listing_withdraw,
)
from usedcars.services_photos import photo_add, photo_reorder, photo_set_cover
from usedcars.services_shares import listing_share, listing_share_answer, listing_share_check

PER_PAGE = 50
EXPORT_LIMIT = 20_000
EXPORT_ROLES = GROUP_ROLES | {Role.MANAGER, Role.USEDCAR}


def _listing(car) -> Listing | None:
    try:
        return car.listing
    except ObjectDoesNotExist:
        return None


def _row(car) -> dict:
    listing = _listing(car)
    reconditioning = getattr(car, "reconditioning", None) or Decimal("0")
    days = car.days_in_stock
    return {
        "car": car, "listing": listing, "days": days, "aging": next((n for n in (90, 60, 30) if days >= n), 0),
        "total_cost": car.purchase_cost + reconditioning,
        "margin": listing.price - car.purchase_cost - reconditioning if listing and listing.price else None,
    }


def _stock(request):
    status = request.GET.get("status") if request.GET.get("status") in StockStatus.values else None
    q = (request.GET.get("q") or "").strip()[:20] or None
    code = (request.GET.get("store") or "").strip()[:16]
    store = stores_for(request.user).filter(code=code).first() if code else None
    return {"status": status, "q": q, "store": store}, usedcar_list(actor=request.user, **{
        "status": status, "q": q, "store": store})


class StockListView(PortalMixin, View):
    template_name = "portal/usedcars/stock_list.html"

    def get(self, request):
        filters, cars = _stock(request)
        page = Paginator(cars, PER_PAGE).get_page(request.GET.get("page"))
        return render(request, self.template_name, {
            "rows": [_row(car) for car in page.object_list], "page_obj": page, "is_paginated": page.has_other_pages(),
            "filters": filters, "statuses": StockStatus.choices, "stores": stores_for(request.user),
            "may_export": request.user.is_superuser or request.user.role in EXPORT_ROLES,
            "may_enter": request.user.is_superuser or request.user.role in MANAGE_ROLES,
        })


class StockExportView(PortalMixin, View):
    """The filtered stock as CSV (the caller's stores only), audited."""

    roles = EXPORT_ROLES

    def get(self, request):
        filters, cars = _stock(request)
        cars = cars[:EXPORT_LIMIT]
        export_record(actor=request.user, what="usedcars.stock", rows=cars.count(),
                      filters={k: (v.code if hasattr(v, "code") else v) for k, v in filters.items() if v})

        def rows():
            yield [_("车架号"), _("车牌号"), _("门店"), _("品牌"), _("车型名称"), _("库存状态"), _("入库天数"),
                   _("收购价（元）"), _("总成本（元）"), _("售价（元）"), _("毛利（元）")]
            for car in cars:
                row = _row(car)
                listing = row["listing"]
                yield [car.vin, car.plate, car.store.code, car.brand.name, car.model_name, car.get_status_display(),
                       row["days"], car.purchase_cost, row["total_cost"], listing.price if listing else "",
                       row["margin"] if row["margin"] is not None else ""]

        return csv_response(rows(), filename=f"usedcar-stock-{timezone.localdate():%Y%m%d}.csv")


ACTIONS = {"publish", "reserve", "sell", "withdraw", "feature", "unfeature"}


class CarDetailView(PortalMixin, View):
    template_name = "portal/usedcars/car_detail.html"

    def get(self, request, pk):
        car = usedcar_get(actor=request.user, pk=pk)
        condition = getattr(car, "condition", None)
        listing = _listing(car)
        shared = None
        if listing is not None and request.GET.get("share"):
            try:
                listing_share_check(actor=request.user, listing=listing)
            except ApplicationError:
                shared = None
            else:
                shared = listing_share_answer(listing=listing, staff=request.user,
                                              base_url=request.build_absolute_uri("/"))
        return render(request, self.template_name, {
            "car": car, "row": _row(car), "listing": listing, "photos": car.photos.all(), "condition": condition,
            "shared": shared,
            "items": [(CHECKLIST_LABELS.get(i.item, i.item), i) for i in condition.items.all()] if condition else [],
            "may_manage": request.user.is_superuser or request.user.role in MANAGE_ROLES,
        })

    def post(self, request, pk):
        car = usedcar_get(actor=request.user, pk=pk)
        listing = _listing(car)
        action = request.POST.get("action")
        if listing is None or action not in ACTIONS:
            messages.error(request, _("请先创建车辆信息。") if listing is None else _("未知的操作。"))
            return SeeOther(reverse("portal:usedcars:car-detail", kwargs={"pk": car.pk}))
        try:
            if action == "publish":
                listing_publish(actor=request.user, listing=listing)
            elif action == "reserve":
                listing_reserve(actor=request.user, listing=listing, deposit=request.POST.get("deposit") or "0",
                                buyer_name=request.POST.get("buyer_name", "")[:64],
                                buyer_mobile=request.POST.get("buyer_mobile", "")[:20])
            elif action == "sell":
                listing_sell(actor=request.user, listing=listing, sale_price=request.POST.get("sale_price") or None)
            elif action in ("feature", "unfeature"):
                listing_set_featured(actor=request.user, listing=listing, featured=action == "feature")
            else:
                listing_withdraw(actor=request.user, listing=listing)
        except ApplicationError as exc:
            messages.error(request, str(exc.message))
        else:
            messages.success(request, _("已更新车辆信息状态。"))
        return SeeOther(reverse("portal:usedcars:car-detail", kwargs={"pk": car.pk}))


class CarListingView(PortalMixin, View):
    """POST: create the car's listing (a draft) or change its title, price and description."""

    def post(self, request, pk):
        car = usedcar_get(actor=request.user, pk=pk)
        listing = _listing(car)
        title, price = request.POST.get("title", ""), request.POST.get("price") or None
        description = request.POST.get("description", "")[:5000]
        try:
            if listing is None:
                listing_create(actor=request.user, car=car, title=title, price=price, description=description)
            else:
                listing_update(actor=request.user, listing=listing, title=title, price=price, description=description)
        except ApplicationError as exc:
            messages.error(request, "；".join(str(m) for ms in exc.fields.values() for m in ms) or str(exc.message))
        else:
            messages.success(request, _("已保存车辆信息。"))
        return SeeOther(reverse("portal:usedcars:car-detail", kwargs={"pk": car.pk}))


class CarPhotosView(PortalMixin, View):
    """POST: upload photos (several files; each shows 处理中 until processed), set the
    cover, or move a photo up or down."""

    def post(self, request, pk):
        car = usedcar_get(actor=request.user, pk=pk)
        photos = list(car.photos.all())
        try:
            if request.FILES.getlist("images"):
                for upload in request.FILES.getlist("images")[:30]:
                    photo_add(actor=request.user, car=car, upload=upload)
                messages.success(request, _("照片已上传，处理中。"))
            else:
                chosen = next((p for p in photos if str(p.pk) == request.POST.get("photo")), None)
                action = request.POST.get("action")
                if chosen is None:
                    messages.error(request, _("请选择照片。"))
                elif action == "cover":
                    photo_set_cover(actor=request.user, photo=chosen)
                elif action in ("up", "down"):
                    i = photos.index(chosen)
                    j = i - 1 if action == "up" else i + 1
                    if 0 <= j < len(photos):
                        photos[i], photos[j] = photos[j], photos[i]
                        photo_reorder(actor=request.user, car=car, photo_ids=[p.pk for p in photos])
        except ApplicationError as exc:
            messages.error(request, "；".join(str(m) for ms in exc.fields.values() for m in ms) or str(exc.message))
        return SeeOther(reverse("portal:usedcars:car-detail", kwargs={"pk": car.pk}))


class CarCreateView(PortalMixin, View):
    """入库: enter a car into stock with its condition report, in one transaction
    (``usedcar_create`` then ``condition_report_save``), then the car's page.  A
    trade-in names the member's vehicle found with the picker (``?vehicle=`` fills
    the form from it); another store's vehicle is a 404.  Refused input comes back
    with the errors on their fields (400)."""

    roles = MANAGE_ROLES
    template_name = "portal/usedcars/car_create.html"

    def _render(self, request, form, items, *, vehicle=None, status=200):
        q = (request.GET.get("q") or "").strip()[:20]
        return render(request, self.template_name, {
            "form": form, "items": items, "vehicle": vehicle, "q": q,
            "found": trade_in_vehicle_search(actor=request.user, q=q) if q else None,
            "search_min": TRADE_IN_SEARCH_MIN, "choose_store": "store" in form.fields,
        }, status=status)

    def get(self, request):
        vehicle = trade_in_vehicle_get(actor=request.user, pk=request.GET["vehicle"]) if request.GET.get(
            "vehicle") else None
        form = StockEntryForm(initial=StockEntryForm.initial_for(vehicle) if vehicle else {}, actor=request.user)
        return self._render(request, form, condition_formset(), vehicle=vehicle)

    def post(self, request):
        form = StockEntryForm(request.POST, actor=request.user)
        items = condition_formset(request.POST)
        valid = form.is_valid() & items.is_valid()  # both, so every error shows
        vehicle = None
        picked = form.cleaned_data.get("vehicle") if hasattr(form, "cleaned_data") else None
        if picked and form.cleaned_data.get("source") == StockSource.TRADE_IN:
            vehicle = trade_in_vehicle_get(actor=request.user, pk=picked)  # another store's: 404
        if valid:
            data = form.cleaned_data
            store = data.get("store") or request.user.store
            if store is None:
                form.add_error(None, errors.STORE_NOT_YOURS)
            else:
                try:
                    with transaction.atomic():
                        car = usedcar_create(
                            actor=request.user, store=store, source=data["source"], vehicle=vehicle,
                            seller_name=data["seller_name"], vin=data["vin"], plate=data["plate"] or "",
                            brand=data["brand_obj"], series=data["series_obj"], car_model=data["model_obj"],
                            model_name=data["model_name"], first_registration=data["first_registration"],
                            mileage=data["mileage"], colour=data["colour"], transfer_count=data["transfer_count"],
                            purchase_cost=data["purchase_cost"],
                        )
                        condition_report_save(
                            actor=request.user, car=car, grade=data["grade"], items=items.items(),
                            accident=data["accident"], flood=data["flood"], fire=data["fire"],
                            declaration_note=data["declaration_note"],
                        )
                except ApplicationError as exc:
                    form_errors_from(form, exc, rename={"car_model": "model_id"})
                else:
                    messages.success(request, _("车辆已入库。"))
                    return SeeOther(reverse("portal:usedcars:car-detail", kwargs={"pk": car.pk}))
        return self._render(request, form, items, vehicle=vehicle, status=400)


class TradeInVehicleSearchView(PortalMixin, View):
    """The trade-in picker's results (htmx fragment): members' vehicles of the
    caller's stores by plate end, VIN end or member mobile."""

    roles = MANAGE_ROLES

    def get(self, request):
        q = (request.GET.get("q") or "").strip()[:20]
        return render(request, "portal/usedcars/_trade_in_vehicles.html", {
            "found": trade_in_vehicle_search(actor=request.user, q=q), "q": q, "search_min": TRADE_IN_SEARCH_MIN,
        })


class CarPhotoOrderView(PortalMixin, View):
    """POST ``photos`` (each of the car's photo ids once, in the new order): the drag
    and drop of ``static/js/photo_order.js``.  Answers JSON: ``{"photos": [ids]}``, or
    the error shape (``{"code", "detail", "fields"}``) with the service's status (a
    wrong set of ids 400 on ``photos``, a consultant 403); another store's car 404."""

    def post(self, request, pk):
        car = usedcar_get(actor=request.user, pk=pk)
        try:
            photos = photo_reorder(actor=request.user, car=car, photo_ids=request.POST.getlist("photos")[:200])
        except ApplicationError as exc:
            fields = {key: [str(m) for m in messages] for key, messages in exc.fields.items()}
            return JsonResponse(error_body(exc.code, str(exc.message), fields), status=exc.status_code)
        return JsonResponse({"photos": [photo.pk for photo in photos]})


class CarShareView(PortalMixin, View):
    """POST: the 分享 button (any staff member of the car's store): their share link
    and poster of the published listing, shown on the car's page."""

    def post(self, request, pk):
        car = usedcar_get(actor=request.user, pk=pk)
        listing = _listing(car)
        url = reverse("portal:usedcars:car-detail", kwargs={"pk": car.pk})
        if listing is None:
            messages.error(request, _("请先创建车辆信息。"))
            return SeeOther(url)
        try:
            listing_share(actor=request.user, listing=listing, base_url=request.build_absolute_uri("/"))
        except ApplicationError as exc:
            messages.error(request, "；".join(str(m) for ms in exc.fields.values() for m in ms) or str(exc.message))
            return SeeOther(url)
        return SeeOther(f"{url}?share=1#usedcar-share")
