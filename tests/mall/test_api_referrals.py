"""The referral API: every staff member shares a product they may sell
(``{"code", "url", "poster_url"}``; the poster is a PNG anyone may open) and
lists commission lines scoped — their own, a manager their store's, HQ all;
the mini-site product page opened from a share link records the click."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
import zxingcpp
from PIL import Image
from django.urls import reverse

from accounts.models import Role
from mall import exceptions as errors
from mall.models import Commission, CommissionStatus, Order, ReferralClick, ShareLink
from mall.mobile.views import REF_SESSION_KEY
from tests.mall.orders_helpers import card, give_points, mixed_sku, rich  # noqa: F401  (fixtures)
from tests.mall.referrals_helpers import referred_order, rule  # noqa: F401

pytestmark = pytest.mark.django_db

SHARES = "/api/v1/mall/shares/"
COMMISSIONS = "/api/v1/mall/commissions/"
PNG = b"\x89PNG\r\n\x1a\n"


class TestShare:
    def test_a_consultant_shares_a_product_of_their_store(self, api_as, consultant_a, product_a, client):
        response = api_as(consultant_a).post(SHARES, {"product": product_a.pk}, format="json")
        assert response.status_code == 201, response.content
        body = response.json()
        assert set(body) == {"code", "url", "poster_url"}
        assert body["code"] == consultant_a.referral_code
        assert body["url"] == f"http://testserver/m/mall/products/{product_a.pk}/?ref={consultant_a.referral_code}"
        assert ShareLink.objects.get(staff=consultant_a, product=product_a).times_shared == 1
        poster = client.get(body["poster_url"].removeprefix("http://testserver"))  # signed out: public
        assert poster.status_code == 200 and poster["Content-Type"] == "image/png"
        assert poster.content.startswith(PNG)
        # The poster's QR code, as a phone's scanner reads it, is exactly the share link.
        qr = [r.text for r in zxingcpp.read_barcodes(Image.open(io.BytesIO(poster.content)))
              if r.format == zxingcpp.BarcodeFormat.QRCode]
        assert qr == [body["url"]]

    def test_another_stores_or_an_inactive_product_is_refused_on_product(self, api_as, consultant_b, product_a,
                                                                         group_product):
        client = api_as(consultant_b)
        for pk in (product_a.pk, 2**31 - 1):
            response = client.post(SHARES, {"product": pk}, format="json")
            assert response.status_code == 400 and response.json()["fields"]["product"] == [
                str(errors.SHARE_PRODUCT_UNKNOWN)]
        group_product.is_active = False
        group_product.save(update_fields=["is_active"])
        assert client.post(SHARES, {"product": group_product.pk}, format="json").status_code == 400
        assert not ShareLink.objects.exists()

    def test_a_forged_poster_address_is_a_404(self, client):
        assert client.get(reverse("mobile:mall:share-poster", kwargs={"token": "1:forged"})).status_code == 404


class TestClickHook:
    def test_an_owner_opening_a_share_link_is_attributed(self, client, owner_a, member_a, consultant_a,
                                                         group_product):
        client.force_login(owner_a)
        url = reverse("mobile:mall:product", args=[group_product.pk])
        assert client.get(url, {"ref": consultant_a.referral_code}).status_code == 200
        click = ReferralClick.objects.get()
        assert (click.staff, click.member, click.product) == (consultant_a, member_a, group_product)
        client.get(url, {"ref": consultant_a.referral_code})  # opened again at once: still one click
        assert ReferralClick.objects.count() == 1

    def test_a_visitor_signed_out_is_attributed_once_signed_in(self, client, owner_a, member_a, consultant_a,
                                                               group_product):
        url = reverse("mobile:mall:product", args=[group_product.pk])
        response = client.get(url, {"ref": consultant_a.referral_code})
        assert response.status_code == 302 and not ReferralClick.objects.exists()
        assert client.session[REF_SESSION_KEY] == consultant_a.referral_code
        client.force_login(owner_a)
        assert client.get(url).status_code == 200  # back without the code in the address
        assert ReferralClick.objects.get().staff == consultant_a
        assert REF_SESSION_KEY not in client.session


@pytest.fixture
def lines(rich, store_a, mixed_sku, consultant_a, consultant_b, make_staff, manager_a, rule):
    """A commission line each for two store-A consultants and a store-B consultant."""
    give_points(rich, 10_000, key="more")
    colleague = make_staff(Role.CONSULTANT, store_a, username="s01_consultant2")
    return {staff.username: Commission.objects.get(order=referred_order(rich, store_a, mixed_sku, staff))
            for staff in (consultant_a, colleague, consultant_b)}


def _ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


class TestCommissionScoping:
    """The permission-matrix rows of ``GET /api/v1/mall/commissions/``, with data."""

    def test_a_consultant_sees_their_own_lines(self, api_as, lines, consultant_a, consultant_b):
        assert _ids(api_as(consultant_a).get(COMMISSIONS)) == {lines["s01_consultant"].pk}
        assert _ids(api_as(consultant_b).get(COMMISSIONS)) == {lines["s02_consultant"].pk}

    def test_a_manager_sees_their_stores_lines(self, api_as, lines, manager_a):
        assert _ids(api_as(manager_a).get(COMMISSIONS)) == {lines["s01_consultant"].pk, lines["s01_consultant2"].pk}

    def test_hq_sees_all(self, api_as, lines, hq, admin_user):
        every = {line.pk for line in lines.values()}
        assert _ids(api_as(hq).get(COMMISSIONS)) == every
        assert _ids(api_as(admin_user).get(COMMISSIONS)) == every

    def test_owners_integrations_and_strangers_see_nothing(self, api, api_as, lines, owner_a, integration_a):
        assert api_as(owner_a).get(COMMISSIONS).status_code == 403
        assert api.get(COMMISSIONS).status_code == 401
        api.credentials(HTTP_AUTHORIZATION=f"Bearer {integration_a.token}")
        assert api.get(COMMISSIONS).status_code == 403

    def test_a_line_reads_and_filters(self, api_as, lines, consultant_a, manager_a):
        client = api_as(consultant_a)
        [row] = client.get(COMMISSIONS).json()["results"]
        line = lines["s01_consultant"]
        assert (row["order"], row["amount"], row["status"], row["kind"], row["store"], row["refund"]) == (
            line.order.number, "19.90", "pending", "earned", "S01", None)
        assert _ids(client.get(COMMISSIONS, {"status": "payable"})) == set()
        assert _ids(client.get(COMMISSIONS, {"status": "pending"})) == {line.pk}
        Order.objects.filter(pk=line.order_id).update(status="fulfilled")
        assert client.get(COMMISSIONS, {"month": "2026-13"}).status_code == 400
        assert client.get(COMMISSIONS, {"month": "soon"}).status_code == 400
        assert _ids(client.get(COMMISSIONS, {"month": "2020-01"})) == set()
        assert Decimal(row["amount"]) == line.amount and CommissionStatus.PENDING == row["status"]
