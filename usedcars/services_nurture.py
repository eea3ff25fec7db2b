"""New used-car listings in leads' nurture messages (自定义营销): a lead interested
in a brand (its intended brand, else its series' brand) gets up to three public
listings of that brand published since its previous nurture message (the first
message: the last 7 days), its own store's first, each with its mini-site link.
Registered into ``leads.services.nurture`` (``register_nurture_addition``) by
``UsedcarsConfig.ready()``; consent and quiet hours stay the outbox's."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext as _t

from leads.models import Lead
from usedcars.models import Listing
from usedcars.selectors_public import new_listings_for_brand

MAX_LISTINGS = 3


def listing_public_url(listing: Listing) -> str:
    """The listing's mini-site page, absolute when ``PUBLIC_SITE_URL`` is set."""
    return f"{settings.PUBLIC_SITE_URL.rstrip('/')}{reverse('mobile:usedcars:detail', kwargs={'pk': listing.pk})}"


def nurture_listings_text(*, lead: Lead, since: dt.datetime | None, now: dt.datetime) -> str:
    """The lines a nurture message to ``lead`` gets ("" when its brand is
    unknown or nothing new was published)."""
    brand = lead.brand if lead.brand_id else (lead.series.brand if lead.series_id else None)
    if brand is None:
        return ""
    listings = new_listings_for_brand(brand=brand, since=since, near=lead.store, limit=MAX_LISTINGS, now=now)
    if not listings:
        return ""
    lines = [_t("新上架的%(brand)s二手车：") % {"brand": brand.name}]
    for listing in listings:
        lines.append(_t("%(title)s ¥%(price)s（%(store)s）%(url)s") % {
            "title": listing.title, "price": f"{listing.price:,.0f}", "store": listing.store.name,
            "url": listing_public_url(listing)})
    return "\n".join(lines)
