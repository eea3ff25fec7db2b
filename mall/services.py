"""Every write of the mall app (CONVENTIONS.md section 1): the catalogue
(products, SKUs, images) and the store zones.

Who may write: HQ and admins everything; a store manager (or a store's
integration credential) only their store's own products and zone
(``mall.selectors.may_manage_store``).  Another store's product is a 404 before
it gets here (scoped getters); a group product a manager can see but not
change is a 403 (``MallForbidden``).  Every change writes an audit row.

SKU stock is one integer column.  Here it is set by the people who run the
catalogue; orders (a later slice) take it with conditional UPDATEs
(``filter(pk=…, stock__gte=n).update(stock=F("stock") - n)``), which the
``mall_sku_stock_not_negative`` constraint backs."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django_q import tasks as django_q_tasks

from accounts.audit import audit_record
from accounts.models import Store, User
from mall import exceptions as errors
from mall.exceptions import MallError, MallForbidden
from mall import images
from mall.images import process, validate_upload
from mall.models import DEPOSIT_MAX, DEPOSIT_MIN, Product, ProductImage, ProductKind, Sku, StoreZone, ZoneFeature
from mall.selectors import may_manage_store, sold_at_q

logger = logging.getLogger(__name__)

IMAGE_MAX_BYTES = 5 * 1024 * 1024
# The fields product_create/product_update take (besides store, skus and the M2Ms).
PRODUCT_FIELDS = (
    "name", "kind", "category", "supplier", "description", "limit_per_member", "delivery_pickup", "delivery_shipping",
    "coupon_template", "car_series", "deposit_refundable", "is_active",
)
SKU_FIELDS = ("name", "price_cash", "price_points", "stock", "position", "is_active")


def _invalid(field: str, message) -> MallError:
    return MallError(message, code="invalid", fields={field: [str(message)]})


def manage_check(actor: User | None, store: Store | None) -> None:
    """``MallForbidden`` unless ``actor`` manages ``store`` (``None``: the group)."""
    if not may_manage_store(actor, store):
        raise MallForbidden(errors.GROUP_PRODUCT_HQ_ONLY if store is None else errors.NOT_ALLOWED)


# --- SKUs --------------------------------------------------------------------------------------


def _sku_values(data: Mapping[str, Any], *, field: str, current: Sku | None = None) -> dict[str, Any]:
    """Checked SKU values (``field`` prefixes error keys: ``skus.0``)."""
    values = {key: data[key] for key in SKU_FIELDS if key in data}
    name = str(values.get("name", current.name if current else "") or "").strip()[:64]
    if not name:
        raise _invalid(f"{field}.name", errors.SKU_NEEDS_NAME)
    values["name"] = name
    cash = values.get("price_cash", current.price_cash if current else None)
    if cash is not None and cash != "":
        try:
            cash = Decimal(str(cash)).quantize(Decimal("0.01"))
        except (InvalidOperation, ValueError) as exc:
            raise _invalid(f"{field}.price_cash", errors.SKU_NEEDS_PRICE) from exc
        if not (Decimal("0") < cash < Decimal("10000000000")):
            raise _invalid(f"{field}.price_cash", errors.SKU_NEEDS_PRICE)
    else:
        cash = None
    points = values.get("price_points", current.price_points if current else None)
    try:
        points = None if points in (None, "", 0) else int(points)
        stock = int(values.get("stock", current.stock if current else 0) or 0)
    except (TypeError, ValueError) as exc:
        raise _invalid(f"{field}.stock", errors.SKU_VALUE_INVALID) from exc
    if points is not None and not 0 < points < 2**31:
        raise _invalid(f"{field}.price_points", errors.SKU_VALUE_INVALID)
    if not 0 <= stock < 2**31:
        raise _invalid(f"{field}.stock", errors.SKU_VALUE_INVALID)
    if cash is None and points is None:
        raise _invalid(f"{field}.price_cash", errors.SKU_NEEDS_PRICE)
    values["price_cash"], values["price_points"], values["stock"] = cash, points, stock
    return values


def _deposit_check(product: Product, skus: Iterable[Sku]) -> None:
    if product.kind != ProductKind.DEPOSIT:
        return
    for n, sku in enumerate(skus):
        if (sku.price_points is not None or sku.price_cash is None
                or not DEPOSIT_MIN <= sku.price_cash <= DEPOSIT_MAX):
            raise _invalid(f"skus.{n}.price_cash", errors.DEPOSIT_AMOUNT % {"min": DEPOSIT_MIN, "max": DEPOSIT_MAX})


@transaction.atomic
def sku_create(*, actor: User, product: Product, name: str, price_cash=None, price_points=None, stock: int = 0,
               position: int | None = None, is_active: bool = True) -> Sku:
    manage_check(actor, product.store)
    values = _sku_values({"name": name, "price_cash": price_cash, "price_points": price_points, "stock": stock,
                          "is_active": is_active}, field="sku")
    if position is None:
        position = (product.skus.aggregate(m=Max("position"))["m"] or 0) + 1
    sku = Sku(product=product, position=position, **values)
    _deposit_check(product, [sku])
    sku.save()
    audit_record(actor=actor, action="mall.sku.created", obj=sku, store=product.store, data=_sku_audit(sku))
    return sku


@transaction.atomic
def sku_update(*, actor: User, sku: Sku, **changes) -> Sku:
    """Change a SKU's name, prices, stock (the number on the shelf), order or
    whether it is sold."""
    product = sku.product
    manage_check(actor, product.store)
    values = _sku_values(changes, field="sku", current=sku)
    for key, value in values.items():
        setattr(sku, key, value)
    _deposit_check(product, [sku])
    sku.save(update_fields=list(values))
    audit_record(actor=actor, action="mall.sku.changed", obj=sku, store=product.store, data=_sku_audit(sku))
    return sku


def _sku_audit(sku: Sku) -> dict:
    return {"product": sku.product_id, "name": sku.name, "price_cash": str(sku.price_cash) if sku.price_cash else None,
            "price_points": sku.price_points, "stock": sku.stock, "is_active": sku.is_active}


# --- products ----------------------------------------------------------------------------------


def _product_check(product: Product, *, stores: list[Store] | None) -> None:
    if product.kind == ProductKind.SERVICE_VOUCHER and product.coupon_template_id is None:
        raise _invalid("coupon_template", errors.VOUCHER_NEEDS_TEMPLATE)
    if product.kind == ProductKind.GOODS and not (product.delivery_pickup or product.delivery_shipping):
        raise _invalid("delivery_pickup", errors.GOODS_NEED_DELIVERY)
    if product.store_id is not None and stores:
        raise _invalid("stores", errors.STORES_ONLY_FOR_GROUP)
    if not (product.name or "").strip():
        raise _invalid("name", errors.PRODUCT_NEEDS_NAME)


def _apply_skus(*, actor: User, product: Product, skus: list[Mapping[str, Any]]) -> None:
    """Create the SKUs without an ``id``, change those with one (of this product)."""
    existing = {sku.pk: sku for sku in product.skus.all()}
    next_position = max((s.position for s in existing.values()), default=0) + 1
    for n, data in enumerate(skus):
        sku_id = data.get("id")
        if sku_id is not None:
            sku = existing.get(sku_id)
            if sku is None:
                raise _invalid(f"skus.{n}.id", errors.SKU_NOT_OF_PRODUCT)
            values = _sku_values(data, field=f"skus.{n}", current=sku)
            for key, value in values.items():
                setattr(sku, key, value)
            _deposit_at(product, sku, n)
            sku.save(update_fields=list(values))
            audit_record(actor=actor, action="mall.sku.changed", obj=sku, store=product.store, data=_sku_audit(sku))
        else:
            values = _sku_values(data, field=f"skus.{n}")
            values.setdefault("position", next_position)
            next_position = max(next_position, values["position"]) + 1
            sku = Sku(product=product, **values)
            _deposit_at(product, sku, n)
            sku.save()
            existing[sku.pk] = sku
            audit_record(actor=actor, action="mall.sku.created", obj=sku, store=product.store, data=_sku_audit(sku))


def _deposit_at(product: Product, sku: Sku, n: int) -> None:
    try:
        _deposit_check(product, [sku])
    except MallError as exc:
        raise _invalid(f"skus.{n}.price_cash", exc.message) from exc


def _deposit_skus_check(product: Product) -> None:
    """After a kind change: every active SKU of a deposit offer is a 2,000–5,000 yuan cash price."""
    for n, sku in enumerate(product.skus.filter(is_active=True)):
        _deposit_at(product, sku, n)


def _set_relations(product: Product, *, stores, visible_tiers) -> None:
    if stores is not None:
        product.stores.set(stores)
    if visible_tiers is not None:
        product.visible_tiers.set(visible_tiers)


def _product_audit(product: Product, changed: Iterable[str] = ()) -> dict:
    data = {"name": product.name, "kind": product.kind, "is_active": product.is_active}
    if changed:
        data["fields"] = sorted(changed)
    return data


@transaction.atomic
def product_create(
    *, actor: User, name: str, kind: str = ProductKind.GOODS, store: Store | None = None,
    stores: list[Store] | None = None, visible_tiers: list | None = None, skus: list[Mapping[str, Any]] = (),
    **fields,
) -> Product:
    """A group product (``store=None``, HQ only) or a store's own product (its
    manager or HQ), with its SKUs (at least one)."""
    manage_check(actor, store)
    unknown = set(fields) - set(PRODUCT_FIELDS)
    if unknown:
        raise TypeError(f"unknown product fields: {sorted(unknown)}")
    if kind not in ProductKind.values:
        raise _invalid("kind", errors.KIND_UNKNOWN)
    product = Product(name=(name or "").strip()[:100], kind=kind, store=store, **fields)
    _product_check(product, stores=stores)
    if not skus:
        raise _invalid("skus", errors.SKU_NEEDS_ONE)
    product.save()
    _set_relations(product, stores=stores, visible_tiers=visible_tiers)
    _apply_skus(actor=actor, product=product, skus=list(skus))
    audit_record(actor=actor, action="mall.product.created", obj=product, store=store, data=_product_audit(product))
    return product


@transaction.atomic
def product_update(
    *, actor: User, product: Product, stores: list[Store] | None = None, visible_tiers: list | None = None,
    skus: list[Mapping[str, Any]] | None = None, **changes,
) -> Product:
    """Change a product's fields (``store`` is fixed at creation), its sales
    stores and visible tiers (``None``: unchanged) and its SKUs (listed with an
    ``id``: changed; without: added; SKUs not listed stay as they are)."""
    manage_check(actor, product.store)
    unknown = set(changes) - set(PRODUCT_FIELDS)
    if unknown:
        raise TypeError(f"unknown product fields: {sorted(unknown)}")
    product = Product.objects.select_for_update(of=("self",)).get(pk=product.pk)
    for key, value in changes.items():
        setattr(product, key, value.strip()[:100] if key == "name" and isinstance(value, str) else value)
    _product_check(product, stores=stores if stores is not None else (list(product.stores.all()) if product.store_id else None))
    product.save()
    _set_relations(product, stores=stores, visible_tiers=visible_tiers)
    if skus:
        _apply_skus(actor=actor, product=product, skus=skus)
    if product.kind == ProductKind.DEPOSIT:
        _deposit_skus_check(product)
    if not product.skus.exists():
        raise _invalid("skus", errors.SKU_NEEDS_ONE)
    changed = set(changes) | {k for k, v in (("stores", stores), ("visible_tiers", visible_tiers), ("skus", skus)) if v is not None}
    audit_record(actor=actor, action="mall.product.changed", obj=product, store=product.store,
                 data=_product_audit(product, changed))
    return product


# --- images ------------------------------------------------------------------------------------


def image_check(upload, *, field: str = "image") -> None:
    """A complete JPEG, PNG or WebP under ``IMAGE_MAX_BYTES`` and the pixel
    limit (``mall.images.validate_upload``, the one upload rule), or a
    ``MallError`` on ``field`` with its message.  An upload whose declared
    size is over the limit is refused before it is read."""
    if (getattr(upload, "size", None) or 0) > IMAGE_MAX_BYTES:
        raise _invalid(field, images.IMAGE_TOO_LARGE % {"max_mb": IMAGE_MAX_BYTES // (1024 * 1024)})
    try:
        validate_upload(upload, max_bytes=IMAGE_MAX_BYTES)
    except ValidationError as exc:
        raise _invalid(field, exc.messages[0]) from exc
    finally:
        upload.seek(0)


def _enqueue_image_processing(image_id: int) -> None:
    def enqueue():
        try:
            django_q_tasks.async_task("mall.tasks.product_image_process", image_id,
                                      task_name=f"mall-image-{image_id}")
        except Exception:  # broker down: the image keeps its original until processed again
            logger.exception("could not enqueue the processing of product image %s", image_id)

    transaction.on_commit(enqueue)


@transaction.atomic
def product_image_add(*, actor: User, product: Product, upload, position: int | None = None) -> ProductImage:
    """Store an uploaded photo (checked to be a real image) and process it in
    the background after commit (``product_image_process``)."""
    manage_check(actor, product.store)
    image_check(upload)
    if position is None:
        position = (product.images.aggregate(m=Max("position"))["m"] or 0) + 1
    image = ProductImage(product=product, position=position)
    image.original.save(upload.name.rsplit("/", 1)[-1][-80:] or "image", upload, save=False)
    image.save()
    audit_record(actor=actor, action="mall.product_image.added", obj=product, store=product.store,
                 data={"image": image.pk})
    _enqueue_image_processing(image.pk)
    return image


@transaction.atomic
def product_image_remove(*, actor: User, image: ProductImage) -> None:
    product = image.product
    manage_check(actor, product.store)
    storage, names = image.original.storage, [image.original.name, *(image.variants or {}).values()]
    image_id = image.pk
    image.delete()
    audit_record(actor=actor, action="mall.product_image.removed", obj=product, store=product.store,
                 data={"image": image_id})

    def remove_files():
        for name in names:
            if name:
                storage.delete(name)

    transaction.on_commit(remove_files)


def product_image_process(*, image_id: int) -> ProductImage | None:
    """The background step after an upload (``mall.tasks.product_image_process``):
    ``mall.images.process`` makes the upright, metadata-free large, medium and
    thumb variants, stored beside the original and named in ``variants``.  Safe
    to run twice (a processed image is left alone); a removed image is skipped;
    an original that turns out unusable keeps being shown as it is (logged)."""
    image = ProductImage.objects.filter(pk=image_id).select_related("product").first()
    if image is None or image.processed_at is not None:
        return image
    storage, stem = image.original.storage, image.original.name.rsplit(".", 1)[0]
    try:
        with image.original.open("rb") as original:
            variants = process(original.read())
    except ValidationError:
        logger.warning("product image %s could not be processed; its original is shown", image_id)
        return image
    saved = {name: storage.save(f"{stem}_{name}.{variant.content.name.rsplit('.', 1)[-1]}", variant.content)
             for name, variant in variants.items()}
    if not ProductImage.objects.filter(pk=image_id, processed_at__isnull=True).update(
            variants=saved, processed_at=timezone.now()):
        for name in saved.values():  # processed meanwhile by another run: drop this run's files
            storage.delete(name)
    image.refresh_from_db()
    return image


# --- store zones -------------------------------------------------------------------------------


def _zone_for_update(store: Store) -> StoreZone:
    zone, _created = StoreZone.objects.get_or_create(store=store)
    return StoreZone.objects.select_for_update(of=("self",)).get(pk=zone.pk)


@transaction.atomic
def zone_update(*, actor: User, store: Store, title: str = "", intro: str = "", banner=None,
                clear_banner: bool = False) -> StoreZone:
    """The zone's title, intro and banner (HQ any store's; a manager their own)."""
    manage_check(actor, store)
    if banner is not None:
        image_check(banner, field="banner")
    zone = _zone_for_update(store)
    zone.title, zone.intro = (title or "").strip()[:64], (intro or "").strip()[:2000]
    old_banner = zone.banner.name if zone.banner else ""
    if banner is not None:
        zone.banner.save(banner.name.rsplit("/", 1)[-1][-80:] or "banner", banner, save=False)
    elif clear_banner:
        zone.banner = ""
    zone.save()
    audit_record(actor=actor, action="mall.zone.changed", obj=zone, store=store,
                 data={"title": zone.title, "banner": bool(zone.banner)})
    if old_banner and old_banner != (zone.banner.name if zone.banner else ""):
        storage = zone.banner.storage
        transaction.on_commit(lambda: storage.delete(old_banner))
    return zone


@transaction.atomic
def zone_feature(*, actor: User, store: Store, product: Product, position: int | None = None) -> ZoneFeature:
    """Feature a group product sold at ``store`` in its zone (again: move it)."""
    manage_check(actor, store)
    if product.store_id is not None or not Product.objects.filter(sold_at_q([store.pk]), pk=product.pk).exists():
        raise _invalid("product", errors.FEATURE_GROUP_ONLY)
    zone = _zone_for_update(store)
    if position is None:
        position = (zone.features.aggregate(m=Max("position"))["m"] or 0) + 1
    feature, _created = ZoneFeature.objects.update_or_create(zone=zone, product=product, defaults={"position": position})
    audit_record(actor=actor, action="mall.zone.featured", obj=zone, store=store,
                 data={"product": product.pk, "position": position})
    return feature


@transaction.atomic
def zone_unfeature(*, actor: User, store: Store, product: Product) -> None:
    manage_check(actor, store)
    deleted, _ = ZoneFeature.objects.filter(zone__store=store, product=product).delete()
    if deleted:
        audit_record(actor=actor, action="mall.zone.unfeatured", obj=StoreZone.objects.get(store=store), store=store,
                     data={"product": product.pk})
