"""Portal pages of the mall (积分商城) for those who run the catalogue: HQ
(group products and every store's) and store managers (their store's own
products and zone).  Views parse input, call a selector or a service, and
render; POSTs answer 303 See Other (PRG)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View

from accounts.forms import form_errors_from
from accounts.models import GROUP_ROLES, Role
from accounts.portal.mixins import PortalMixin, SeeOther
from mall import selectors
from mall.exceptions import MallError
from mall.portal.forms import (
    ImageUploadForm,
    ProductFilterForm,
    ProductForm,
    ZoneFeatureForm,
    ZoneForm,
    ZoneUnfeatureForm,
    sku_formset,
)
from mall.services import (
    product_create,
    product_image_add,
    product_image_remove,
    product_update,
    zone_feature,
    zone_unfeature,
    zone_update,
)

# Who runs the catalogue and the zones in the portal.
MALL_ROLES = GROUP_ROLES | {Role.MANAGER}
PER_PAGE = 30


def _skus_from(formset) -> list[dict]:
    return [values for form in formset.forms if (values := form.as_service_data()) is not None]


def _product_fields(data: dict) -> dict:
    return {key: data[key] for key in (
        "kind", "category", "supplier", "description", "limit_per_member", "delivery_pickup", "delivery_shipping",
        "coupon_template", "car_series", "deposit_refundable", "is_active") if key in data}


def _managed_product(request, pk):
    """A product of the actor's stores (else 404) that they manage (a group product for a manager: 403)."""
    product = selectors.product_get_for_staff(actor=request.user, pk=pk)
    if not selectors.may_manage_product(request.user, product):
        raise PermissionDenied
    return product


def _managed_store(request, pk):
    """A store the actor sees (else 404) whose zone they manage (else 403)."""
    store = selectors.zone_store_get_for_staff(actor=request.user, pk=pk)
    if not selectors.may_manage_store(request.user, store):
        raise PermissionDenied
    return store


class ProductListView(PortalMixin, View):
    """The catalogue of the actor's stores: group products and the stores' own."""

    roles = MALL_ROLES
    template_name = "portal/mall/product_list.html"

    def get(self, request):
        form = ProductFilterForm(request.GET or None, actor=request.user)
        filters = form.cleaned_data if form.is_valid() else {}
        products = selectors.product_list_for_staff(
            actor=request.user, store=filters.get("store"), kind=filters.get("kind") or None,
            pay=filters.get("pay") or None, q=filters.get("q") or None,
        ).prefetch_related("skus")
        page = Paginator(products, PER_PAGE).get_page(request.GET.get("page"))
        rows = [(p, selectors.may_manage_product(request.user, p)) for p in page.object_list]
        return render(request, self.template_name, {
            "form": form, "rows": rows, "page_obj": page, "is_paginated": page.has_other_pages(),
        })


class ProductCreateView(PortalMixin, View):
    roles = MALL_ROLES
    template_name = "portal/mall/product_form.html"

    def get(self, request, form=None, formset=None, status=200):
        form = form or ProductForm(actor=request.user)
        formset = formset or sku_formset(extra=2)
        return render(request, self.template_name, {"form": form, "formset": formset, "product": None}, status=status)

    def post(self, request):
        form = ProductForm(request.POST, actor=request.user)
        formset = sku_formset(request.POST)
        if not (form.is_valid() & formset.is_valid()):
            return self.get(request, form=form, formset=formset, status=400)
        data = form.cleaned_data
        store = data.get("store") if "store" in form.fields else request.user.store
        try:
            product = product_create(
                actor=request.user, name=data["name"], store=store, stores=data.get("stores"),
                visible_tiers=list(data["visible_tiers"]), skus=_skus_from(formset), **_product_fields(data),
            )
        except MallError as exc:
            form_errors_from(form, exc)
            return self.get(request, form=form, formset=formset, status=400)
        messages.success(request, _("商品“%(name)s”已创建。") % {"name": product.name})
        return SeeOther(reverse("portal:mall:product-edit", args=[product.pk]))


class ProductEditView(PortalMixin, View):
    """A product, its SKUs (inline) and its photos.  A manager opens their
    store's products; a group product is HQ's (403)."""

    roles = MALL_ROLES
    template_name = "portal/mall/product_form.html"

    def get(self, request, pk, form=None, formset=None, upload_form=None, status=200):
        product = _managed_product(request, pk)
        form = form or ProductForm(actor=request.user, product=product, initial=ProductForm.initial_for(product))
        formset = formset or sku_formset(skus=selectors.product_skus_all(product=product))
        return render(request, self.template_name, {
            "form": form, "formset": formset, "product": product, "images": product.images.all(),
            "upload_form": upload_form or ImageUploadForm(),
        }, status=status)

    def post(self, request, pk):
        product = _managed_product(request, pk)
        form = ProductForm(request.POST, actor=request.user, product=product)
        formset = sku_formset(request.POST, skus=selectors.product_skus_all(product=product))
        if not (form.is_valid() & formset.is_valid()):
            return self.get(request, pk, form=form, formset=formset, status=400)
        data = form.cleaned_data
        try:
            product_update(
                actor=request.user, product=product, name=data["name"], stores=data.get("stores") if "stores" in form.fields else None,
                visible_tiers=list(data["visible_tiers"]), skus=_skus_from(formset), **_product_fields(data),
            )
        except MallError as exc:
            form_errors_from(form, exc)
            return self.get(request, pk, form=form, formset=formset, status=400)
        messages.success(request, _("商品已保存。"))
        return SeeOther(reverse("portal:mall:product-edit", args=[product.pk]))


class ProductImageUploadView(PortalMixin, View):
    roles = MALL_ROLES

    def post(self, request, pk):
        product = _managed_product(request, pk)
        form = ImageUploadForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                product_image_add(actor=request.user, product=product, upload=form.cleaned_data["image"])
            except MallError as exc:
                form_errors_from(form, exc, rename={"image": "image"})
            else:
                messages.success(request, _("图片已上传，正在生成各尺寸。"))
                return SeeOther(reverse("portal:mall:product-edit", args=[product.pk]))
        return ProductEditView().get(request, pk, upload_form=form, status=400)


class ProductImageRemoveView(PortalMixin, View):
    roles = MALL_ROLES

    def post(self, request, pk):
        image = selectors.product_image_get_for_staff(actor=request.user, pk=pk)
        product = _managed_product(request, image.product_id)
        try:
            product_image_remove(actor=request.user, image=image)
        except MallError as exc:
            messages.error(request, str(exc.message))
        else:
            messages.success(request, _("图片已删除。"))
        return SeeOther(reverse("portal:mall:product-edit", args=[product.pk]))


# --- store zones -------------------------------------------------------------------------------


class ZoneListView(PortalMixin, View):
    """Every store's zone (HQ); a manager's own store."""

    roles = MALL_ROLES
    template_name = "portal/mall/zone_list.html"

    def get(self, request):
        stores = selectors.zone_stores_for_staff(actor=request.user)
        return render(request, self.template_name, {"stores": stores})


class ZoneEditView(PortalMixin, View):
    roles = MALL_ROLES
    template_name = "portal/mall/zone_edit.html"

    def get(self, request, pk, form=None, feature_form=None, status=200):
        store = _managed_store(request, pk)
        zone = selectors.zone_get(store=store)
        form = form or ZoneForm(initial={"title": zone.title, "intro": zone.intro})
        feature_form = feature_form or ZoneFeatureForm(products=selectors.zone_featurable_products(store=store))
        return render(request, self.template_name, {
            "store": store, "zone": zone, "form": form, "feature_form": feature_form,
            "features": selectors.zone_features(store=store),
            "own_products": selectors.product_list_for_staff(actor=request.user).filter(store=store),
        }, status=status)

    def post(self, request, pk):
        store = _managed_store(request, pk)
        form = ZoneForm(request.POST, request.FILES)
        if form.is_valid():
            data = form.cleaned_data
            try:
                zone_update(actor=request.user, store=store, title=data["title"], intro=data["intro"],
                            banner=data.get("banner") or None, clear_banner=data["clear_banner"])
            except MallError as exc:
                form_errors_from(form, exc)
            else:
                messages.success(request, _("专区已保存。"))
                return SeeOther(reverse("portal:mall:zone-edit", args=[store.pk]))
        return self.get(request, pk, form=form, status=400)


class ZoneFeatureView(PortalMixin, View):
    roles = MALL_ROLES

    def post(self, request, pk):
        store = _managed_store(request, pk)
        form = ZoneFeatureForm(request.POST, products=selectors.zone_featurable_products(store=store))
        if form.is_valid():
            try:
                zone_feature(actor=request.user, store=store, product=form.cleaned_data["product"],
                             position=form.cleaned_data.get("position"))
            except MallError as exc:
                form_errors_from(form, exc)
            else:
                messages.success(request, _("已加入专区推荐。"))
                return SeeOther(reverse("portal:mall:zone-edit", args=[store.pk]))
        return ZoneEditView().get(request, pk, feature_form=form, status=400)


class ZoneUnfeatureView(PortalMixin, View):
    roles = MALL_ROLES

    def post(self, request, pk):
        store = _managed_store(request, pk)
        form = ZoneUnfeatureForm(request.POST)
        if form.is_valid():
            product = selectors.zone_features(store=store).filter(product_id=form.cleaned_data["product"]).first()
            if product is not None:
                zone_unfeature(actor=request.user, store=store, product=product.product)
                messages.success(request, _("已取消推荐。"))
        return SeeOther(reverse("portal:mall:zone-edit", args=[store.pk]))

