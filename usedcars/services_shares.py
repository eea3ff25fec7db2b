"""Share links and share posters of used-car listings (分享), reusing the mall's
employee-referral machinery.

A staff member shares a published (or reserved) listing of one of their stores: the
share URL is the mini-site listing page with their referral code
(``/m/usedcars/<listing>/?ref=<code>``, ``mall.posters.share_url_for_path``) and the
poster is ``mall.posters.share_poster`` with the listing's cover photo, title, price,
the holding store and the QR code of that URL.  The poster's address carries a signed
token of (listing, staff member), so posters cannot be enumerated; anyone may open it
(it is made to be forwarded).

Attribution.  A visitor arriving through a share link keeps the code in their session
(``usedcars.mobile.views``); when they ask about that car or book a viewing, the
inquiry records the referring staff member (``Inquiry.referred_by``) and the code, as
the mall does for orders (``mall.services_referrals.referral_staff_for_code``: an
active staff member; never the visitor referring themselves)."""

from __future__ import annotations

import logging

from django.core import signing
from django.core.cache import cache
from django.urls import reverse

from accounts.audit import audit_record
from accounts.models import STAFF_ROLES, Member, User
from mall.posters import share_poster, share_url_for_path
from mall.services_referrals import referral_is_self, referral_staff_for_code
from usedcars import exceptions as errors
from usedcars.models import Listing, ListingPhoto, PhotoStatus
from usedcars.selectors_public import PUBLIC_STATES
from usedcars.services import invalid

logger = logging.getLogger(__name__)

POSTER_SALT = "usedcars.share-poster"
POSTER_CACHE_SECONDS = 24 * 3600


def listing_share_check(*, actor: User, listing: Listing) -> None:
    """A share needs a person with a referral code (staff, not an integration) and a
    listing the public can see (published or reserved)."""
    if not (actor.is_superuser or actor.role in STAFF_ROLES) or not actor.referral_code:
        raise invalid("staff", errors.SHARE_NEEDS_STAFF)
    if listing.state not in PUBLIC_STATES:
        raise invalid("listing", errors.SHARE_NOT_PUBLIC)


def listing_share_url(*, listing: Listing, staff: User, base_url: str) -> str:
    """The mini-site page of the listing with the staff member's referral code."""
    path = reverse("mobile:usedcars:detail", kwargs={"pk": listing.pk})
    return share_url_for_path(path, staff.referral_code, base_url)


def listing_poster_token(*, listing: Listing, staff: User) -> str:
    return signing.dumps([listing.pk, staff.pk], salt=POSTER_SALT, compress=False)


def listing_from_poster_token(token: str) -> tuple[Listing, User] | None:
    """The (public listing, active staff member) a poster token names, else None."""
    try:
        value = signing.loads(token, salt=POSTER_SALT)
    except signing.BadSignature:
        return None
    if not (isinstance(value, list) and len(value) == 2 and all(isinstance(v, int) for v in value)):
        return None
    listing = Listing.objects.filter(pk=value[0], state__in=PUBLIC_STATES).select_related("store").first()
    staff = User.objects.filter(pk=value[1], is_active=True).select_related("store").first()
    if listing is None or staff is None:
        return None
    return listing, staff


def listing_share_answer(*, listing: Listing, staff: User, base_url: str) -> dict:
    """``{"code", "url", "poster_url"}``: what the API answers and the portal's 分享 card shows."""
    token = listing_poster_token(listing=listing, staff=staff)
    poster = reverse("mobile:usedcars:share-poster", kwargs={"token": token})
    return {"code": staff.referral_code, "url": listing_share_url(listing=listing, staff=staff, base_url=base_url),
            "poster_url": base_url.rstrip("/") + poster}


def listing_share(*, actor: User, listing: Listing, base_url: str) -> dict:
    """The actor shares ``listing`` (one of their stores', fetched through the scoped
    selector): checked, audited (``usedcars.listing.shared``), and answered as
    ``listing_share_answer``."""
    listing_share_check(actor=actor, listing=listing)
    audit_record(actor=actor, action="usedcars.listing.shared", obj=listing, store=listing.store,
                 data={"code": actor.referral_code})
    return listing_share_answer(listing=listing, staff=actor, base_url=base_url)


def _cover_bytes(listing: Listing) -> bytes | None:
    photo = (ListingPhoto.objects.filter(car_id=listing.car_id, status=PhotoStatus.READY)
             .order_by("-is_cover", "position", "id").first())
    if photo is None or not photo.large:
        return None
    try:
        with photo.large.open("rb") as handle:
            return handle.read()
    except (OSError, ValueError):
        logger.warning("used-car share poster: the photo %s of listing %s cannot be read", photo.pk, listing.pk)
        return None


def price_text(listing: Listing) -> str:
    if listing.price is None:
        return ""
    return f"¥{listing.price:,.0f}" if listing.price == listing.price.to_integral() else f"¥{listing.price:,.2f}"


def listing_poster_png(*, listing: Listing, staff: User, base_url: str) -> bytes:
    """The listing's share poster (PNG, 750 × 1334): cover photo, title, price, the
    holding store and the QR code of the staff member's share URL; cached until the
    listing changes."""
    url = listing_share_url(listing=listing, staff=staff, base_url=base_url)
    price = price_text(listing)
    key = "usedcars-poster:" + signing.Signer(salt=POSTER_SALT).signature("|".join([
        str(listing.pk), url, listing.title, price, staff.display_name, listing.store.name,
        listing.updated_at.isoformat(), str(ListingPhoto.objects.filter(car_id=listing.car_id).order_by(
            "-is_cover", "position", "id").values_list("pk", flat=True).first()),
    ]))
    png = cache.get(key)
    if png is None:
        png = share_poster(product_image=_cover_bytes(listing), product_name=listing.title, price_text=price,
                           employee_name=staff.display_name, store_name=listing.store.name, url=url,
                           hint=str(errors.SHARE_POSTER_HINT), placeholder=str(errors.SHARE_POSTER_NO_PHOTO))
        cache.set(key, png, POSTER_CACHE_SECONDS)
    return png


def inquiry_referrer(*, code: str, member: Member | None, mobile: str = "") -> User | None:
    """The staff member whose share link brought this visitor (None: no code, an
    unknown or inactive one, or the visitor themselves)."""
    staff = referral_staff_for_code(code)
    if staff is None:
        return None
    if member is not None and referral_is_self(staff=staff, member=member):
        return None
    if mobile and staff.phone and staff.phone == mobile:
        return None
    return staff
