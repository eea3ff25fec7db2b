"""What people read for the mall's codes: the mall actions of the audit log
and their data (registered from ``MallConfig.ready``; see ``accounts.labels``)."""

from __future__ import annotations

from django.core.exceptions import FieldDoesNotExist
from django.utils.translation import gettext_lazy as _

from accounts.labels import object_ref, register_audit_labels
from mall.models import Product, ProductKind

# ``mall.product.changed`` lists the fields it changed: their names, as the form shows them.
_EXTRA_FIELDS = {"stores": _("销售门店"), "visible_tiers": _("可见会员等级"), "skus": _("规格（SKU）")}


def product_field_label(name) -> str | None:
    if not isinstance(name, str):
        return None
    if name in _EXTRA_FIELDS:
        return str(_EXTRA_FIELDS[name])
    try:
        return str(Product._meta.get_field(name).verbose_name)
    except FieldDoesNotExist:
        return None


def register() -> None:
    register_audit_labels(
        actions={
            "mall.product.created": _("创建商品"),
            "mall.product.changed": _("修改商品"),
            "mall.sku.created": _("新增商品规格"),
            "mall.sku.changed": _("修改商品规格"),
            "mall.product_image.added": _("上传商品图片"),
            "mall.product_image.removed": _("删除商品图片"),
            "mall.zone.changed": _("修改门店专区"),
            "mall.zone.featured": _("专区推荐集团商品"),
            "mall.zone.unfeatured": _("专区取消推荐商品"),
        },
        fields={
            "mall.product.created:kind": _("类型"),
            "mall.product.changed:kind": _("类型"),
            "mall.product.changed:fields": _("修改的字段"),
            "mall.sku.created:product": _("商品"),
            "mall.sku.changed:product": _("商品"),
            "mall.product_image.added:image": _("图片"),
            "mall.product_image.removed:image": _("图片"),
            "mall.zone.featured:product": _("商品"),
            "mall.zone.unfeatured:product": _("商品"),
            "price_cash": _("现金价"),
            "price_points": _("积分价"),
            "banner": _("横幅图"),
            "mall.zone.changed:title": _("专区标题"),
            "position": _("排序"),
        },
        values={
            "mall.product.created:kind": dict(ProductKind.choices),
            "mall.product.changed:kind": dict(ProductKind.choices),
            "mall.product.changed:fields": product_field_label,
            "mall.sku.created:product": object_ref,
            "mall.sku.changed:product": object_ref,
            "mall.product_image.added:image": object_ref,
            "mall.product_image.removed:image": object_ref,
            "mall.zone.featured:product": object_ref,
            "mall.zone.unfeatured:product": object_ref,
        },
    )
