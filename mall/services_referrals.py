"""Every write of employee referrals (分销): shares, clicks, attribution,
commission lines, the completion of orders, reversals and monthly statements.

Attribution.  A member who opens a staff member's share link (the mini-site
product page with ``?ref=<referral code>``) is recorded as a ``ReferralClick``;
so is a referral code sent with an order (a click at order time).  An order's
referrer is the staff member of the member's **last** click within
``MALL_REFERRAL_WINDOW_DAYS`` — never the member's own account and never the
staff member buying for themselves (their staff phone is the member's mobile):
such clicks are not recorded and never count.

Commission.  When a referred order is paid, one ``earned`` line (``pending``)
is made from the rules (a product's rule, else its category's, else the parent
category's): ``cash_percent`` of the cash paid (the line's share of
``cash_due``) plus ``per_1000_points`` yuan per 1,000 points redeemed, each part
rounded to the fen.  No rule, nothing earned: no line.

Completion.  ``orders_complete`` (hourly) moves fulfilled orders whose refund
window (``MALL_REFUND_WINDOW_DAYS``) has passed since fulfilment — and paid
orders of service vouchers only (delivered into the wallet at payment) since
payment — to ``completed`` by compare-and-set, and in the same transaction
their pending commission to ``payable``.  A deposit or goods order completes
only after it was fulfilled.

Reversal.  ``commission_reverse`` runs inside ``order_refund``'s transaction
(the order row locked, so it is serialised with the completion job's
compare-and-set on the same row).  The reversed amount is proportional and
cumulative: after refunds of ``c`` of the cash and ``p`` of the points, the
reversed total is ``cash_part × c / cash_due + points_part × p / points_spent``
(a full refund reverses everything, no fen left over).  A pending line is
reduced in place (``reversed`` at zero); once payable or paid, the difference is
a negative ``reversal`` line, payable at once, that lands on the next statement.

Statements.  ``statements_generate(month)`` gives every staff member with
payable lines up to that month's end (and on no statement yet) one statement
for the month and attaches those lines with a conditional UPDATE
(``statement IS NULL``), so two runs at once never put a line on two
statements; the total is the sum of the lines it holds.  ``statement_mark_paid``
is a compare-and-set ``open`` → ``paid`` that marks its lines paid."""

from __future__ import annotations

import datetime as dt
import logging
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.db.models import Count, Exists, F, OuterRef, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy

from accounts.audit import audit_record
from accounts.dates import add_months, day_start
from accounts.models import STAFF_ROLES, Member, User
from mall import exceptions as errors
from mall.exceptions import MallError
from mall.posters import share_poster, share_url
from mall.models import (
    ClickSource, Commission, CommissionKind, CommissionRule, CommissionStatement, CommissionStatus, Order, OrderLine,
    OrderRefund, OrderStatus, Product, ProductKind, ReferralClick, ShareLink, StatementStatus,
)

logger = logging.getLogger(__name__)

_GROUP_NAME = gettext_lazy("集团")
ZERO = Decimal("0.00")
FEN = Decimal("0.01")
COMPLETE_BATCH = 200
CLICK_REPEAT = dt.timedelta(minutes=10)  # the same link opened again within this is one click


def _fen(value: Decimal) -> Decimal:
    return value.quantize(FEN, rounding=ROUND_HALF_UP)


# --- attribution ---------------------------------------------------------------------------------


def referral_staff_for_code(code: str) -> User | None:
    """The active staff member behind a referral code (None: unknown or inactive)."""
    code = (code or "").strip().upper()[:12]
    if not code:
        return None
    return User.objects.filter(referral_code=code, is_active=True, role__in=sorted(STAFF_ROLES)).first()


def referral_is_self(*, staff: User, member: Member) -> bool:
    """A staff member referring themselves: the member's own login, or the
    member whose mobile is the staff member's phone (an employee's own purchase)."""
    if member.user_id is not None and member.user_id == staff.pk:
        return True
    return bool(staff.phone) and staff.phone == member.mobile


def referral_click_record(*, code: str, member: Member | None, product: Product | None = None,
                          source: str = ClickSource.LINK, now: dt.datetime | None = None) -> ReferralClick | None:
    """Record that ``member`` opened ``code``'s share link (or sent the code
    with an order).  An unknown code or a self-referral records nothing."""
    if member is None:
        return None
    staff = referral_staff_for_code(code)
    if staff is None or referral_is_self(staff=staff, member=member):
        return None
    now = now or timezone.now()
    last = ReferralClick.objects.filter(member=member, clicked_at__lte=now).order_by("-clicked_at", "-id").first()
    if (last is not None and last.staff_id == staff.pk and last.product_id == (product.pk if product else None)
            and last.source == source and now - last.clicked_at < CLICK_REPEAT):
        return last  # the same page opened again: one click
    share = ShareLink.objects.filter(staff=staff, product=product).first() if product is not None else None
    return ReferralClick.objects.create(staff=staff, member=member, product=product, share=share, store=staff.store,
                                        source=source, clicked_at=now)


def referral_attribute(*, code: str, member: Member, now: dt.datetime | None = None) -> User | None:
    """The referrer of an order ``member`` places now: a ``code`` sent with it
    counts as a click at order time; then the staff member of the last click
    within ``MALL_REFERRAL_WINDOW_DAYS`` (module docstring)."""
    now = now or timezone.now()
    if code:
        referral_click_record(code=code, member=member, source=ClickSource.ORDER, now=now)
    since = now - dt.timedelta(days=settings.MALL_REFERRAL_WINDOW_DAYS)
    clicks = (ReferralClick.objects.filter(member=member, clicked_at__gte=since, clicked_at__lte=now,
                                           staff__is_active=True, staff__role__in=sorted(STAFF_ROLES))
              .select_related("staff").order_by("-clicked_at", "-id")[:20])
    for click in clicks:
        if not referral_is_self(staff=click.staff, member=member):
            return click.staff
    return None


# --- shares --------------------------------------------------------------------------------------


def share_create(*, actor: User, product: Product, now: dt.datetime | None = None) -> ShareLink:
    """The actor shares ``product`` (fetched through ``product_get_for_staff``:
    one they may sell).  One row per staff member and product, counted."""
    now = now or timezone.now()
    if not product.is_active:
        raise MallError(errors.SHARE_PRODUCT_INACTIVE, code="invalid",
                        fields={"product": [str(errors.SHARE_PRODUCT_INACTIVE)]})
    with transaction.atomic():
        updated = ShareLink.objects.filter(staff=actor, product=product).update(
            times_shared=F("times_shared") + 1, last_shared_at=now)
        if not updated:
            try:
                with transaction.atomic():
                    ShareLink.objects.create(staff=actor, product=product, store=actor.store, created_at=now,
                                             last_shared_at=now)
            except IntegrityError:  # shared twice at once: count it on the other row
                ShareLink.objects.filter(staff=actor, product=product).update(
                    times_shared=F("times_shared") + 1, last_shared_at=now)
        share = ShareLink.objects.select_related("product", "staff", "store").get(staff=actor, product=product)
        audit_record(actor=actor, action="mall.share.created", obj=share, store=actor.store,
                     data={"product": product.pk, "times": share.times_shared})
    return share


POSTER_SALT = "mall.share-poster"
POSTER_CACHE_SECONDS = 24 * 3600


def share_link(*, share: ShareLink, base_url: str) -> str:
    """The address the staff member shares: the mini-site product page with their code."""
    return share_url(share.product_id, share.staff.referral_code, base_url)


def share_answer(*, share: ShareLink, base_url: str) -> dict:
    """``{"code", "url", "poster_url"}`` of a share (the API's answer; the portal's share button shows it)."""
    poster = reverse("mobile:mall:share-poster", kwargs={"token": share_poster_token(share)})
    return {"code": share.staff.referral_code, "url": share_link(share=share, base_url=base_url),
            "poster_url": base_url.rstrip("/") + poster}


def share_poster_token(share: ShareLink) -> str:
    """The poster's address token: signed, so posters cannot be enumerated."""
    return signing.dumps(share.pk, salt=POSTER_SALT, compress=False)


def share_from_poster_token(token: str) -> ShareLink | None:
    try:
        pk = signing.loads(token, salt=POSTER_SALT)
    except signing.BadSignature:
        return None
    if not isinstance(pk, int):
        return None
    return ShareLink.objects.select_related("product", "staff", "staff__store").filter(pk=pk).first()


def _poster_photo(product: Product) -> bytes | None:
    image = product.images.order_by("position", "id").first()
    if image is None:
        return None
    path = (image.variants or {}).get("large") or image.original.name
    try:
        with image.original.storage.open(path, "rb") as handle:
            return handle.read()
    except (OSError, ValueError):
        logger.warning("share poster: the photo %s of product %s cannot be read", path, product.pk)
        return None


def share_poster_png(*, share: ShareLink, base_url: str) -> bytes:
    """The share poster (``mall.posters.share_poster``): the product's photo,
    name and price, the staff member's name and store, and the QR code of the
    share link.  Kept in the cache until the product or the person changes."""
    product, staff = share.product, share.staff
    sku = product.skus.filter(is_active=True).order_by("position", "id").first()
    price = sku.price_text if sku is not None else ""
    store_name = staff.store.name if staff.store_id else str(_GROUP_NAME)
    url = share_link(share=share, base_url=base_url)
    key = "mall-poster:" + signing.Signer(salt=POSTER_SALT).signature(
        "|".join([str(share.pk), url, product.name, price, staff.display_name, store_name,
                  product.updated_at.isoformat()]))
    png = cache.get(key)
    if png is None:
        png = share_poster(product_image=_poster_photo(product), product_name=product.name, price_text=price,
                           employee_name=staff.display_name, store_name=store_name, url=url)
        cache.set(key, png, POSTER_CACHE_SECONDS)
    return png


# --- commission lines ----------------------------------------------------------------------------


def commission_rule_save(*, actor: User, product: Product | None = None, category=None, cash_percent: Decimal,
                         per_1000_points: Decimal, is_active: bool = True,
                         rule: CommissionRule | None = None) -> CommissionRule:
    """Create or change a commission rule (HQ): for one product or one
    category, never both; one rule per product and per category.  Changes
    apply to orders paid from now on (earned lines keep their amount)."""
    if (product is None) == (category is None):
        raise MallError(errors.COMMISSION_RULE_TARGET, code="invalid",
                        fields={"product": [str(errors.COMMISSION_RULE_TARGET)]})
    if not (Decimal("0") <= cash_percent <= Decimal("100")) or per_1000_points < 0:
        raise MallError(errors.COMMISSION_RULE_RATE, code="invalid",
                        fields={"cash_percent": [str(errors.COMMISSION_RULE_RATE)]})
    taken = CommissionRule.objects.filter(Q(product=product) if product is not None else Q(category=category))
    if rule is not None:
        taken = taken.exclude(pk=rule.pk)
    if taken.exists():
        field = "product" if product is not None else "category"
        raise MallError(errors.COMMISSION_RULE_TAKEN, code="invalid",
                        fields={field: [str(errors.COMMISSION_RULE_TAKEN)]})
    rule = rule or CommissionRule()
    created = rule.pk is None
    rule.product, rule.category = product, category
    rule.cash_percent, rule.per_1000_points, rule.is_active = cash_percent, per_1000_points, is_active
    with transaction.atomic():
        rule.save()
        audit_record(actor=actor, action="mall.commission_rule.saved", obj=rule, store=None, data={
            "product": product.pk if product is not None else None,
            "category": category.pk if category is not None else None, "cash_percent": str(cash_percent),
            "per_1000_points": str(per_1000_points), "is_active": is_active, "created": created,
        })
    return rule


def commission_rule_for(product: Product) -> CommissionRule | None:
    """The product's active rule, else its category's, else the parent category's."""
    by_product = CommissionRule.objects.filter(is_active=True, product=product).first()
    if by_product is not None:
        return by_product
    category = product.category
    while category is not None:
        rule = CommissionRule.objects.filter(is_active=True, category=category).first()
        if rule is not None:
            return rule
        category = category.parent
    return None


def commission_compute(order: Order) -> tuple[Decimal, Decimal]:
    """(cash part, points part) the order earns under the current rules."""
    lines = list(OrderLine.objects.filter(order=order).select_related("product__category__parent"))
    cash_total = sum((line.line_cash for line in lines), ZERO)
    cash_part = points_part = Decimal("0")
    for line in lines:
        rule = commission_rule_for(line.product)
        if rule is None:
            continue
        if cash_total > 0 and line.line_cash > 0:
            paid = line.line_cash * order.cash_due / cash_total  # the line's share of the cash paid
            cash_part += paid * rule.cash_percent / 100
        if line.line_points:
            points_part += Decimal(line.line_points) * rule.per_1000_points / 1000
    return _fen(cash_part), _fen(points_part)


def commission_create_for_order(*, order: Order, now: dt.datetime | None = None) -> Commission | None:
    """The ``earned`` line of a paid referred order (``pending``).  Called in
    the transaction that made the order paid; safe to call again (one line per
    order)."""
    if order.referral_id is None:
        return None
    if Commission.objects.filter(order=order, kind=CommissionKind.EARNED).exists():
        return None
    staff = User.objects.select_related("store").filter(pk=order.referral_id).first()
    if staff is None or (order.member_id and referral_is_self(staff=staff, member=order.member)):
        return None
    cash_part, points_part = commission_compute(order)
    amount = cash_part + points_part
    if amount <= ZERO:
        return None
    line = Commission.objects.create(
        staff=staff, store=staff.store, order=order, kind=CommissionKind.EARNED, status=CommissionStatus.PENDING,
        cash_base=order.cash_due, points_base=order.points_spent, cash_part=cash_part, points_part=points_part,
        amount=amount, created_at=now or timezone.now(),
    )
    audit_record(actor=None, action="mall.commission.created", obj=order, store=order.store,
                 data={"number": order.number, "staff": staff.pk, "amount": str(amount)})
    return line


def _reversed_target(earned: Commission, order: Order) -> Decimal:
    """How much of ``earned`` the order's refunds so far take back."""
    if order.status == OrderStatus.REFUNDED:
        return earned.cash_part + earned.points_part
    cash = earned.cash_part * order.refunded_cash / earned.cash_base if earned.cash_base else Decimal("0")
    points = (earned.points_part * Decimal(order.refunded_points) / Decimal(earned.points_base)
              if earned.points_base else Decimal("0"))
    return min(_fen(cash + points), earned.cash_part + earned.points_part)


def commission_reverse(*, order: Order, refund: OrderRefund, now: dt.datetime | None = None) -> Decimal:
    """Take back the commission a refund undoes (module docstring).  Called
    inside ``order_refund``'s transaction with ``order`` locked and its
    ``refunded_cash`` / ``refunded_points`` / ``status`` already updated.
    Returns the amount taken back (0 when there was no commission)."""
    now = now or timezone.now()
    earned = Commission.objects.filter(order=order, kind=CommissionKind.EARNED).first()
    if earned is None:
        return ZERO
    full = earned.cash_part + earned.points_part
    reversals = -_fen(Commission.objects.filter(order=order, kind=CommissionKind.REVERSAL)
                      .aggregate(s=Sum("amount"))["s"] or ZERO)  # SQLite sums decimals as floats
    done = (full - earned.amount) + reversals
    delta = _fen(_reversed_target(earned, order) - done)
    if delta <= ZERO:
        return ZERO
    # Pending: reduce in place (compare-and-set on the status: the completion job may not move it meanwhile).
    left = earned.amount - delta
    reduced = Commission.objects.filter(pk=earned.pk, status=CommissionStatus.PENDING, amount=earned.amount).update(
        amount=left, status=CommissionStatus.REVERSED if left <= ZERO else CommissionStatus.PENDING)
    if reduced:
        how = "reduced"
    else:
        Commission.objects.create(
            staff_id=earned.staff_id, store_id=earned.store_id, order=order, refund=refund,
            kind=CommissionKind.REVERSAL, status=CommissionStatus.PAYABLE, amount=-delta, created_at=now,
            payable_at=now,
        )
        how = "reversal_line"
    audit_record(actor=None, action="mall.commission.reversed", obj=order, store=order.store, data={
        "number": order.number, "refund_no": refund.number, "staff": earned.staff_id, "amount": str(delta),
        "how": how,
    })
    return delta


# --- completion ----------------------------------------------------------------------------------


def _voucher_only_q() -> Q:
    other = OrderLine.objects.filter(order_id=OuterRef("pk")).exclude(product__kind=ProductKind.SERVICE_VOUCHER)
    return ~Exists(other)


def orders_completable(*, now: dt.datetime | None = None):
    """Orders whose refund window has passed: fulfilled that long ago, or
    paid that long ago with service vouchers only."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(days=settings.MALL_REFUND_WINDOW_DAYS)
    return Order.objects.filter(
        Q(status=OrderStatus.FULFILLED, fulfilled_at__lte=cutoff)
        | (Q(status=OrderStatus.PAID, paid_at__lte=cutoff) & _voucher_only_q())
    )


def order_complete(*, order: Order, now: dt.datetime | None = None) -> bool:
    """One order → ``completed`` (compare-and-set from the status it had) and
    its pending commission → ``payable``, in one transaction.  False when the
    order moved meanwhile (refunded, or completed by another run)."""
    now = now or timezone.now()
    with transaction.atomic():
        moved = orders_completable(now=now).filter(pk=order.pk, status=order.status).update(
            status=OrderStatus.COMPLETED, updated_at=now)
        if not moved:
            return False
        payable = Commission.objects.filter(order=order, kind=CommissionKind.EARNED,
                                            status=CommissionStatus.PENDING).update(
            status=CommissionStatus.PAYABLE, payable_at=now)
        audit_record(actor=None, action="mall.order.completed", obj=order, store=order.store,
                     data={"number": order.number, "commission_payable": bool(payable)})
    return True


def orders_complete(*, now: dt.datetime | None = None) -> int:
    """The hourly job: complete every order past its refund window (each in
    its own transaction; safe to run twice).  Returns how many completed."""
    now = now or timezone.now()
    completed = 0
    while True:
        due = list(orders_completable(now=now).select_related("store").order_by("pk")[:COMPLETE_BATCH])
        if not due:
            return completed
        done = sum(order_complete(order=order, now=now) for order in due)
        completed += done
        if len(due) < COMPLETE_BATCH or not done:
            return completed


# --- statements ----------------------------------------------------------------------------------


def month_start(value: dt.date) -> dt.date:
    return value.replace(day=1)


def month_end_instant(month: dt.date) -> dt.datetime:
    """The first local instant after ``month``."""
    return day_start(add_months(month_start(month), 1))


def _statement_refresh(statement: CommissionStatement) -> None:
    totals = Commission.objects.filter(statement=statement).aggregate(s=Sum("amount"), n=Count("pk"))
    CommissionStatement.objects.filter(pk=statement.pk).update(total=_fen(totals["s"] or ZERO), lines_count=totals["n"])


def statements_generate(*, actor: User, month: dt.date, now: dt.datetime | None = None) -> list[CommissionStatement]:
    """One statement per staff member with payable lines up to the end of
    ``month`` not on a statement yet (module docstring).  A staff member whose
    statement for the month is paid already keeps their new lines for the next
    month.  Safe to run twice, also at once."""
    now = now or timezone.now()
    month = month_start(month)
    if month > month_start(timezone.localdate(now)):
        raise MallError(errors.STATEMENT_MONTH_FUTURE, code="invalid",
                        fields={"month": [str(errors.STATEMENT_MONTH_FUTURE)]})
    end = month_end_instant(month)
    waiting = Commission.objects.filter(status=CommissionStatus.PAYABLE, statement__isnull=True, payable_at__lt=end)
    statements = []
    for staff_id in sorted(set(waiting.values_list("staff_id", flat=True))):
        with transaction.atomic():
            staff = User.objects.select_related("store").get(pk=staff_id)
            try:
                with transaction.atomic():
                    statement, created = CommissionStatement.objects.get_or_create(
                        staff=staff, month=month, defaults={"store": staff.store, "created_at": now})
            except IntegrityError:  # the other run made it a moment ago
                statement, created = CommissionStatement.objects.get(staff=staff, month=month), False
            # Locked: marking it paid waits for these lines (or this run sees it paid).
            statement = CommissionStatement.objects.select_for_update(of=("self",)).get(pk=statement.pk)
            if statement.status != StatementStatus.OPEN:
                continue
            attached = waiting.filter(staff_id=staff_id).update(statement=statement)
            _statement_refresh(statement)
            statement.refresh_from_db()
            if attached:
                audit_record(actor=actor, action="mall.statement.generated", obj=statement, store=statement.store,
                             data={"month": f"{month:%Y-%m}", "staff": staff_id, "lines": attached,
                                   "total": str(statement.total)})
            statements.append(statement)
    return statements


def statement_mark_paid(*, actor: User, statement: CommissionStatement, now: dt.datetime | None = None) -> bool:
    """``open`` → ``paid`` (compare-and-set) and its lines paid.  False when
    it was paid already (a second click pays nothing twice)."""
    now = now or timezone.now()
    with transaction.atomic():
        moved = CommissionStatement.objects.filter(pk=statement.pk, status=StatementStatus.OPEN).update(
            status=StatementStatus.PAID, paid_at=now, paid_by=actor)
        if not moved:
            return False
        lines = Commission.objects.filter(statement=statement, status=CommissionStatus.PAYABLE).update(
            status=CommissionStatus.PAID, paid_at=now)
        statement.refresh_from_db()
        audit_record(actor=actor, action="mall.statement.paid", obj=statement, store=statement.store,
                     data={"month": f"{statement.month:%Y-%m}", "staff": statement.staff_id, "lines": lines,
                           "total": str(statement.total)})
    return True


def statements_export_record(*, actor: User, month: dt.date, rows: int) -> None:
    """The payroll export is audited (who, which month, how many rows)."""
    audit_record(actor=actor, action="mall.statement.exported", store=actor.store,
                 data={"month": f"{month_start(month):%Y-%m}", "rows": rows})
