"""Share links and share posters of used-car listings (the mall's referral machinery):
the URL is the mini-site listing page with the staff member's referral code; the
poster (PNG) shows the cover photo and holds the share URL in its QR code; the staff
API answers {code, url, poster_url} for a public listing of one's stores (a draft 400,
another store's 404); the portal shows the link and the poster; a visitor who came
through the link and then inquires is recorded with the referring staff member."""

from __future__ import annotations

import io
from urllib.parse import parse_qs, urlsplit

import pytest
import zxingcpp
from django.urls import reverse
from PIL import Image

from accounts.models import AuditLog
from mall.posters import share_url
from usedcars.exceptions import UsedcarsError
from usedcars.models import Inquiry
from usedcars.services_inquiries import inquiry_create
from usedcars.services_listings import listing_withdraw
from usedcars.services_shares import (
    listing_from_poster_token, listing_poster_png, listing_poster_token, listing_share, listing_share_url,
)
from tests.usedcars.helpers import add_ready_photos
from tests.usedcars.test_public_api import published

BASE = "https://dealer.example.cn/"


def _decoded(png: bytes) -> list[str]:
    image = Image.open(io.BytesIO(png))
    return [r.text for r in zxingcpp.read_barcodes(image) if r.format == zxingcpp.BarcodeFormat.QRCode]


def _shares_url(listing):
    return reverse("api:usedcars:listing-shares", kwargs={"pk": listing.pk})


# --- service and poster -----------------------------------------------------------------------


def test_share_url_is_the_mini_site_listing_page_with_the_referral_code(usedcar_a, store_a, consultant_a):
    listing = published(usedcar_a, store_a)

    url = listing_share_url(listing=listing, staff=consultant_a, base_url=BASE)

    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == (
        "https://dealer.example.cn" + reverse("mobile:usedcars:detail", kwargs={"pk": listing.pk}))
    assert parse_qs(parts.query) == {"ref": [consultant_a.referral_code]}


def test_the_mall_share_url_is_unchanged_by_the_generalisation():
    expected = "https://mall.example.cn/m/mall/products/42/?ref=AB12CD"
    assert share_url(42, "AB12CD", "https://mall.example.cn/") == expected


def test_poster_is_a_750_by_1334_png_whose_qr_holds_the_share_url(usedcar_a, store_a, consultant_a, car_a):
    from usedcars.services_listings import listing_create

    listing = listing_create(actor=usedcar_a, car=car_a, title="2021款 朗逸 白色", price="98000")
    photos = add_ready_photos(usedcar_a, car_a, 1)
    listing.refresh_from_db()

    png = listing_poster_png(listing=listing, staff=consultant_a, base_url=BASE)

    image = Image.open(io.BytesIO(png))
    assert (image.format, image.size) == ("PNG", (750, 1334))
    assert _decoded(png) == [listing_share_url(listing=listing, staff=consultant_a, base_url=BASE)]
    # the cover photo fills the top: its colour (add_ready_photos: (40, 100, 150)), not the grey placeholder
    r, g, b = image.convert("RGB").getpixel((40, 40))
    assert abs(r - 40) < 25 and abs(g - 100) < 25 and abs(b - 150) < 25, (r, g, b)
    assert photos[0].is_cover


def test_poster_without_photos_still_renders(usedcar_a, store_a, consultant_a):
    listing = published(usedcar_a, store_a)
    png = listing_poster_png(listing=listing, staff=consultant_a, base_url=BASE)
    assert _decoded(png) == [listing_share_url(listing=listing, staff=consultant_a, base_url=BASE)]


def test_a_poster_token_cannot_be_forged_and_stops_working_when_the_listing_is_withdrawn(
        usedcar_a, store_a, consultant_a):
    listing = published(usedcar_a, store_a)
    token = listing_poster_token(listing=listing, staff=consultant_a)

    assert listing_from_poster_token(token) == (listing, consultant_a)
    assert listing_from_poster_token(token[:-2] + "xx") is None
    assert listing_from_poster_token("abc") is None
    listing_withdraw(actor=usedcar_a, listing=listing)
    assert listing_from_poster_token(token) is None


def test_a_draft_cannot_be_shared(usedcar_a, car_a, consultant_a):
    from usedcars.services_listings import listing_create

    listing = listing_create(actor=usedcar_a, car=car_a, title="草稿", price="98000")
    with pytest.raises(UsedcarsError) as refused:
        listing_share(actor=consultant_a, listing=listing, base_url=BASE)
    assert "listing" in refused.value.fields


def test_a_share_is_audited(usedcar_a, store_a, consultant_a):
    listing = published(usedcar_a, store_a)
    listing_share(actor=consultant_a, listing=listing, base_url=BASE)
    row = AuditLog.objects.get(action="usedcars.listing.shared")
    assert row.actor == consultant_a and row.data == {"code": consultant_a.referral_code}


# --- API ---------------------------------------------------------------------------------------


def test_staff_api_answers_code_url_and_a_poster_url_anyone_can_open(api_as, client, usedcar_a, store_a,
                                                                     consultant_a):
    listing = published(usedcar_a, store_a)

    response = api_as(consultant_a).post(_shares_url(listing))

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["code"] == consultant_a.referral_code
    assert parse_qs(urlsplit(body["url"]).query) == {"ref": [consultant_a.referral_code]}
    poster = client.get(urlsplit(body["poster_url"]).path)  # signed out
    assert poster.status_code == 200 and poster["Content-Type"] == "image/png"
    assert _decoded(poster.content) == [body["url"]]


def test_staff_api_refuses_a_draft_and_hides_another_stores_listing(api_as, usedcar_a, car_a, consultant_b,
                                                                    consultant_a):
    from usedcars.services_listings import listing_create

    draft = listing_create(actor=usedcar_a, car=car_a, title="草稿", price="98000")
    refused = api_as(consultant_a).post(_shares_url(draft))
    assert refused.status_code == 400 and "listing" in refused.json()["fields"]

    public = published(usedcar_a, car_a.store)
    assert api_as(consultant_b).post(_shares_url(public)).status_code == 404


def test_an_unknown_poster_address_is_a_404(client):
    assert client.get(reverse("mobile:usedcars:share-poster", kwargs={"token": "nope"})).status_code == 404


# --- portal ------------------------------------------------------------------------------------


def test_portal_share_button_shows_the_link_copy_button_and_poster(client, usedcar_a, store_a, consultant_a):
    listing = published(usedcar_a, store_a)
    client.force_login(consultant_a)
    detail = reverse("portal:usedcars:car-detail", kwargs={"pk": listing.car_id})
    assert 'data-testid="usedcar-share-button"' in client.get(detail).content.decode()

    response = client.post(reverse("portal:usedcars:car-share", kwargs={"pk": listing.car_id}))

    assert response.status_code == 303
    page = client.get(response["Location"]).content.decode()
    assert listing_share_url(listing=listing, staff=consultant_a, base_url="http://testserver/") in page.replace(
        "&amp;", "&")
    assert 'data-copy="#usedcar-share-url"' in page and 'data-testid="usedcar-share-poster"' in page
    assert AuditLog.objects.filter(action="usedcars.listing.shared", actor=consultant_a).count() == 1


def test_portal_share_of_a_draft_shows_the_refusal(client, usedcar_a, car_a):
    from usedcars.services_listings import listing_create

    listing_create(actor=usedcar_a, car=car_a, title="草稿", price="98000")
    client.force_login(usedcar_a)
    response = client.post(reverse("portal:usedcars:car-share", kwargs={"pk": car_a.pk}), follow=True)
    page = response.content.decode()
    assert "车辆信息发布后才能分享" in page and 'data-testid="usedcar-share"' not in page


# --- attribution -------------------------------------------------------------------------------


def test_an_inquiry_after_arriving_through_a_share_link_records_the_staff_member(client, usedcar_a, store_a,
                                                                                 consultant_a, owner_a):
    listing = published(usedcar_a, store_a)
    detail = reverse("mobile:usedcars:detail", kwargs={"pk": listing.pk})

    assert client.get(detail, {"ref": consultant_a.referral_code}).status_code == 200  # signed out
    client.force_login(owner_a)  # signs in afterwards: the session keeps the code
    response = client.post(reverse("mobile:usedcars:inquiry", kwargs={"pk": listing.pk}),
                           {"kind": "question", "message": "还能便宜吗"})

    assert response.status_code == 302
    inquiry = Inquiry.objects.get()
    assert inquiry.referred_by == consultant_a and inquiry.referral_code == consultant_a.referral_code
    assert inquiry.lead.events.filter(data__referred_by=consultant_a.pk).exists()  # on the lead's timeline too
    assert AuditLog.objects.get(action="usedcars.inquiry.created").data["referred_by"] == consultant_a.pk


def test_the_api_inquiry_takes_the_referral_code(api_as, usedcar_a, store_a, consultant_a, owner_a):
    listing = published(usedcar_a, store_a)
    url = reverse("api:usedcars:listing-inquiries", kwargs={"pk": listing.pk})

    bad = api_as(owner_a).post(url, {"kind": "question", "ref": "AB\x00CD"}, format="json")
    ok = api_as(owner_a).post(url, {"kind": "question", "ref": consultant_a.referral_code}, format="json")

    assert bad.status_code == 400 and "ref" in bad.json()["fields"]
    assert ok.status_code == 201, ok.content
    assert Inquiry.objects.get().referred_by == consultant_a


@pytest.mark.parametrize("case", ["unknown", "inactive", "other_listing"])
def test_no_referrer_is_recorded_for_a_bad_or_self_referral(client, usedcar_a, store_a, consultant_a, owner_a,
                                                            member_a, case):
    listing = published(usedcar_a, store_a)
    other = published(usedcar_a, store_a)
    code = consultant_a.referral_code
    if case == "unknown":
        code = "ZZZZZZZZ"
    elif case == "inactive":
        type(consultant_a).objects.filter(pk=consultant_a.pk).update(is_active=False)
    client.force_login(owner_a)
    client.get(reverse("mobile:usedcars:detail", kwargs={"pk": (other if case == "other_listing" else listing).pk}),
               {"ref": code})

    client.post(reverse("mobile:usedcars:inquiry", kwargs={"pk": listing.pk}), {"kind": "question"})

    inquiry = Inquiry.objects.get()
    assert inquiry.referred_by is None and inquiry.referral_code == ""


def test_a_staff_member_asking_through_their_own_link_is_not_their_own_referral(usedcar_a, store_a, consultant_a):
    listing = published(usedcar_a, store_a)
    type(consultant_a).objects.filter(pk=consultant_a.pk).update(phone="13900001111")

    inquiry, _created = inquiry_create(listing=listing, kind="question", mobile="13900001111", name="自己",
                                       referral_code=consultant_a.referral_code)
    other, _created = inquiry_create(listing=listing, kind="question", mobile="13900002222", name="客户",
                                     referral_code=consultant_a.referral_code.lower())

    assert inquiry.referred_by is None
    assert other.referred_by == consultant_a


def test_a_ref_with_a_nul_is_ignored_not_a_500(client, usedcar_a, store_a):
    listing = published(usedcar_a, store_a)
    response = client.get(reverse("mobile:usedcars:detail", kwargs={"pk": listing.pk}), {"ref": "AB\x00CD"})
    assert response.status_code == 200
