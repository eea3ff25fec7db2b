"""Every read of the mall app, scoped through accounts.scoping.

Owners (members) see what they may buy: active products with an active SKU,
sold at the store asked about (or anywhere), whose tier visibility lets their
card's tier see them.  Staff see the products of their stores: the group
products sold at one of them and their stores' own products; HQ sees all.
Another store's product is a 404 for staff, and so is a product an owner may
not see."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from accounts.models import GROUP_ROLES, Member, Role, Store, User
from accounts.scoping import store_ids_for, stores_for
from mall.models import Category, FlashSale, FlashSaleItem, PayKind, Product, ProductImage, Sku, StoreZone, ZoneFeature, pay_kind_q
from membership.models import MembershipCard

# Who manages the catalogue and the zones: managers (their store), the group, and an
# integration credential (its store, or every store when it is group-wide).
MANAGE_ROLES = GROUP_ROLES | {Role.MANAGER, Role.INTEGRATION}

_ProductStores = Product.stores.through
_ProductTiers = Product.visible_tiers.through


def may_manage_store(actor: User | None, store: Store | None) -> bool:
    """May ``actor`` manage ``store``'s products and zone (``None``: the group's products)?
    HQ and admins: everything; a store manager or a store's integration: their store only."""
    if actor is None or not actor.is_authenticated or not actor.is_active:
        return False
    if not (actor.is_superuser or actor.role in MANAGE_ROLES):
        return False
    ids = store_ids_for(actor)
    if store is None:
        return ids is None
    return ids is None or store.pk in ids


def may_manage_product(actor: User | None, product: Product) -> bool:
    return may_manage_store(actor, product.store)


def sold_at_q(store_ids) -> Q:
    """Products sold at one of ``store_ids``: their own products, and group
    products whose sales stores include one of them or are empty (every store)."""
    listed = Exists(_ProductStores.objects.filter(product_id=OuterRef("pk"), store_id__in=store_ids))
    everywhere = ~Exists(_ProductStores.objects.filter(product_id=OuterRef("pk")))
    return Q(store_id__in=store_ids) | (Q(store__isnull=True) & (listed | everywhere))


def _with_details(queryset: QuerySet[Product]) -> QuerySet[Product]:
    return queryset.select_related("category", "category__parent", "store", "supplier").prefetch_related(
        Prefetch("skus", queryset=Sku.objects.filter(is_active=True).order_by("position", "id"), to_attr="active_skus"),
        Prefetch("images", queryset=ProductImage.objects.order_by("position", "id")),
    )


def product_filter(queryset, *, store=None, category=None, kind=None, pay=None, q=None):
    if store is not None:
        queryset = queryset.filter(sold_at_q([store.pk]))
    if category is not None:
        queryset = queryset.filter(Q(category=category) | Q(category__parent=category))
    if kind:
        queryset = queryset.filter(kind=kind)
    if pay in PayKind.values:
        queryset = queryset.filter(
            Exists(Sku.objects.filter(pay_kind_q(pay), product_id=OuterRef("pk"), is_active=True))
        )
    if q:
        q = q.strip()[:64]
        queryset = queryset.filter(Q(name__icontains=q) | Q(description__icontains=q) | Q(category__name__icontains=q))
    return queryset


# --- owners ------------------------------------------------------------------------------------


def member_tier_id(member: Member | None) -> int | None:
    if member is None:
        return None
    return MembershipCard.objects.filter(member=member).values_list("tier_id", flat=True).first()


def _tier_q(tier_id: int | None) -> Q:
    for_all = ~Exists(_ProductTiers.objects.filter(product_id=OuterRef("pk")))
    if tier_id is None:
        return Q(for_all)
    return Q(for_all | Exists(_ProductTiers.objects.filter(product_id=OuterRef("pk"), tier_id=tier_id)))


def product_list_for_member(
    *, member: Member | None, store: Store | None = None, category: Category | None = None, kind: str | None = None,
    pay: str | None = None, q: str | None = None, group_only: bool = False,
) -> QuerySet[Product]:
    """What a member may buy (newest first): active, with an active SKU, in an
    open store (or the group's), visible to their tier; filtered by the store
    that sells it, category (and its children), kind, how it is paid and text."""
    if member is None:
        return Product.objects.none()
    queryset = Product.objects.filter(
        Q(store__isnull=True) | Q(store__is_active=True), _tier_q(member_tier_id(member)), is_active=True,
    ).filter(Exists(Sku.objects.filter(product_id=OuterRef("pk"), is_active=True)))
    if group_only:
        queryset = queryset.filter(store__isnull=True)
    return _with_details(product_filter(queryset, store=store, category=category, kind=kind, pay=pay, q=q))


def product_get_for_member(*, member: Member | None, pk) -> Product:
    try:
        return product_list_for_member(member=member).get(pk=pk)
    except (Product.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def zone_products_for_member(*, member: Member | None, store: Store) -> tuple[list[Product], list[Product]]:
    """A store zone's products a member may buy: (the group products the zone
    features, in the zone's order; the store's own products)."""
    visible = product_list_for_member(member=member, store=store)
    order = list(ZoneFeature.objects.filter(zone__store=store).values_list("product_id", flat=True))
    featured_by_id = {p.pk: p for p in visible.filter(pk__in=order)}
    featured = [featured_by_id[pk] for pk in order if pk in featured_by_id]
    own = list(visible.filter(store=store))
    return featured, own


def zone_store_get(*, code: str) -> Store:
    """An open store, by code, for its zone page (any member may visit any zone)."""
    store = Store.objects.filter(code=code, is_active=True).first()
    if store is None:
        raise Http404
    return store


def zone_get(*, store: Store) -> StoreZone:
    """The store's zone (an unsaved empty one when nobody has set it up yet)."""
    return StoreZone.objects.filter(store=store).select_related("store").first() or StoreZone(store=store)


def zone_list_for_member() -> QuerySet[Store]:
    return Store.objects.filter(is_active=True).select_related("mall_zone").order_by("code")


def category_list(*, top_only: bool = False) -> QuerySet[Category]:
    queryset = Category.objects.filter(is_active=True).select_related("parent")
    return queryset.filter(parent__isnull=True) if top_only else queryset


# --- staff -------------------------------------------------------------------------------------


def product_list_for_staff(
    *, actor: User, store: Store | None = None, category: Category | None = None, kind: str | None = None,
    pay: str | None = None, q: str | None = None, group_only: bool = False, include_inactive: bool = True,
) -> QuerySet[Product]:
    """The products of the actor's stores (group products sold there and the
    stores' own); every product for HQ."""
    ids = store_ids_for(actor)
    queryset = Product.objects.all()
    if ids is not None:
        if not ids:
            return Product.objects.none()
        queryset = queryset.filter(sold_at_q(ids))
    if not include_inactive:
        queryset = queryset.filter(is_active=True)
    if group_only:
        queryset = queryset.filter(store__isnull=True)
    return _with_details(product_filter(queryset, store=store, category=category, kind=kind, pay=pay, q=q))


def product_get_for_staff(*, actor: User, pk) -> Product:
    try:
        return product_list_for_staff(actor=actor).get(pk=pk)
    except (Product.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def product_skus_all(*, product: Product) -> QuerySet[Sku]:
    """Every SKU of a product, inactive ones too (for staff who manage it)."""
    return product.skus.order_by("position", "id")


def zone_store_get_for_staff(*, actor: User, pk) -> Store:
    """A store whose zone staff may open (another store's: 404)."""
    try:
        return stores_for(actor).get(pk=pk)
    except (Store.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def zone_features(*, store: Store) -> QuerySet[ZoneFeature]:
    return ZoneFeature.objects.filter(zone__store=store).select_related("product").order_by("position", "id")


def zone_featurable_products(*, store: Store) -> QuerySet[Product]:
    """Group products sold at ``store`` that the zone does not feature yet."""
    featured = ZoneFeature.objects.filter(zone__store=store).values("product_id")
    return (Product.objects.filter(sold_at_q([store.pk]), store__isnull=True, is_active=True)
            .exclude(pk__in=featured).order_by("name"))


def product_image_get_for_staff(*, actor: User, pk) -> ProductImage:
    """A photo of a product of the actor's stores (another store's: 404)."""
    try:
        return ProductImage.objects.select_related("product").get(
            pk=pk, product__in=product_list_for_staff(actor=actor).values("pk"))
    except (ProductImage.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def zone_stores_for_staff(*, actor: User) -> QuerySet[Store]:
    """The stores whose zones the actor manages (HQ: every store; a manager: their own)."""
    return stores_for(actor).select_related("mall_zone").order_by("code")


def flash_sale_list_current(*, now=None, products: QuerySet[Product] | None = None) -> QuerySet:
    """Flash sales running or upcoming (not ended), soonest first, with their
    items and SKUs (active sales only).  ``products``: only the items of these
    products, and only the sales that still have one (an owner sees what their
    tier may buy, at the store asked about; staff, their stores' products)."""
    now = now or timezone.now()
    items = FlashSaleItem.objects.select_related("sku", "sku__product").order_by("id")
    sales = FlashSale.objects.filter(is_active=True, ends_at__gt=now)
    if products is not None:
        items = items.filter(sku__product__in=products.values("pk"))
        sales = sales.filter(Exists(items.filter(sale_id=OuterRef("pk"))))
    return sales.prefetch_related(Prefetch("items", queryset=items)).order_by("starts_at", "id")


def flash_sale_list_for(*, actor: User, member: Member | None, store: Store | None = None, now=None) -> QuerySet:
    """The flash-sale list a caller sees: an owner the items of products their
    tier may buy (at ``store`` when given, else anywhere); staff the items of
    their stores' products (HQ: all)."""
    if actor.role == Role.OWNER and not actor.is_superuser:
        products = product_list_for_member(member=member, store=store)
    else:
        products = product_list_for_staff(actor=actor, store=store)
    return flash_sale_list_current(now=now, products=products)


def skus_for_member(*, member: Member | None, sku_ids) -> QuerySet[Sku]:
    """Active SKUs among ``sku_ids`` of products the member may buy (a cart's lines)."""
    buyable = product_list_for_member(member=member).values("pk")
    return Sku.objects.select_related("product", "product__store").filter(
        pk__in=list(sku_ids), is_active=True, product__in=buyable)


def stores_selling_for_member(*, member: Member | None, product_ids) -> list[Store]:
    """The open stores where the member may buy every one of ``product_ids``
    (the checkout's pickup stores), the member's own store first."""
    ids = set(product_ids)
    if member is None or not ids:
        return []
    stores = [store for store in Store.objects.filter(is_active=True).order_by("code")
              if product_list_for_member(member=member, store=store).filter(pk__in=ids).count() == len(ids)]
    return sorted(stores, key=lambda store: store.pk != member.store_id)
