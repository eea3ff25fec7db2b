"""Owner points-exchange API (happy path, every refusal, idempotent replay) and
the portal campaign issue (counts, reruns, scoping)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import AuditLog
from membership.models import Coupon, CouponSource, CouponTemplate
from membership.services import points as points_services
from membership.services.coupons import coupon_campaign_issue
from membership.selectors.profiles import audience_list

pytestmark = pytest.mark.django_db

EXCHANGE = "api:membership:coupon-exchange"


def _template(**extra) -> CouponTemplate:
    return CouponTemplate.objects.create(**{"name": "洗车券", "kind": "maintenance", "value": 30, "valid_days": 30,
                                            "per_member_limit": 5, **extra})


@pytest.fixture
def rich_card(card_a, member_a):
    points_services.points_earn(member=member_a, points=500, reason="测试", idempotency_key="seed")
    return card_a


def _balance(card):
    card.refresh_from_db()
    return card.points_balance


# --- exchange API --------------------------------------------------------------------------------


class TestExchangeApi:
    def test_lists_active_templates_with_points_price(self, api_as, owner_a, store_b):
        priced = _template(points_price=100)
        _template(name="不可兑换")
        _template(name="已停用", points_price=50, is_active=False)
        _template(name="他店商家券", points_price=10, scope="merchant", store=store_b)
        body = api_as(owner_a).get(reverse("api:membership:coupon-exchangeable")).json()
        assert [row["id"] for row in body["results"]] == [priced.pk]
        assert body["results"][0]["points_price"] == 100

    def test_happy_path_and_idempotent_replay(self, api_as, owner_a, member_a, rich_card):
        template = _template(points_price=200, stock=10)
        client = api_as(owner_a)
        first = client.post(reverse(EXCHANGE), {"template": template.pk}, format="json", HTTP_IDEMPOTENCY_KEY="x1")
        assert first.status_code == 201
        assert first.json()["name"] == "洗车券" and first.json()["source"] == CouponSource.POINTS
        again = client.post(reverse(EXCHANGE), {"template": template.pk}, format="json", HTTP_IDEMPOTENCY_KEY="x1")
        assert again.status_code == 201 and again["Idempotent-Replayed"] == "true"
        assert again.json()["code"] == first.json()["code"]
        assert Coupon.objects.filter(member=member_a).count() == 1 and _balance(rich_card) == 300
        template.refresh_from_db()
        assert template.stock == 9
        # a new key buys another one
        third = client.post(reverse(EXCHANGE), {"template": template.pk}, format="json", HTTP_IDEMPOTENCY_KEY="x2")
        assert third.status_code == 201 and _balance(rich_card) == 100

    def _refused(self, client, template_id, status, code):
        response = client.post(reverse(EXCHANGE), {"template": template_id}, format="json")
        assert response.status_code == status, response.json()
        body = response.json()
        assert body["code"] == code and body["detail"]
        return body

    def test_no_card(self, api_as, owner_a, tiers):
        template = _template(points_price=100, stock=3)
        self._refused(api_as(owner_a), template.pk, 400, "card_required")
        template.refresh_from_db()
        assert template.stock == 3 and not Coupon.objects.exists()

    def test_not_enough_points(self, api_as, owner_a, card_a):
        template = _template(points_price=100, stock=3)
        self._refused(api_as(owner_a), template.pk, 409, "points_insufficient")
        template.refresh_from_db()
        assert template.stock == 3 and not Coupon.objects.exists()

    def test_not_exchangeable(self, api_as, owner_a, rich_card):
        body = self._refused(api_as(owner_a), _template().pk, 400, "coupon_not_exchangeable")
        assert "template" in body["fields"]
        self._refused(api_as(owner_a), _template(points_price=10, is_active=False).pk, 400, "coupon_not_exchangeable")

    def test_sold_out(self, api_as, owner_a, rich_card):
        template = _template(points_price=100, stock=0)
        self._refused(api_as(owner_a), template.pk, 409, "coupon_out_of_stock")
        assert _balance(rich_card) == 500

    def test_unknown_or_other_store_template(self, api_as, owner_a, rich_card, store_b):
        other = _template(points_price=10, scope="merchant", store=store_b)
        self._refused(api_as(owner_a), other.pk, 404, "coupon_template_unknown")
        self._refused(api_as(owner_a), 99999, 404, "coupon_template_unknown")

    def test_bad_input(self, api_as, owner_a):
        response = api_as(owner_a).post(reverse(EXCHANGE), {}, format="json")
        assert response.status_code == 400 and "template" in response.json()["fields"]

    def test_staff_refused(self, api_as, consultant_a):
        assert api_as(consultant_a).post(reverse(EXCHANGE), {"template": 1}, format="json").status_code == 403


# --- campaign --------------------------------------------------------------------------------------

URL = "portal:membership:coupon-campaign"


class TestCampaignService:
    def test_counts_rerun_and_refusals(self, make_member, store_a, member_a, hq):
        others = [make_member(store_a, with_vehicle=False) for _ in range(2)]
        template = _template(stock=2, per_member_limit=1)
        members = audience_list(actor=hq, store=store_a)
        assert coupon_campaign_issue(template=template, members_queryset=members, name="春季", actor=hq) == {
            "issued": 2, "skipped": 0, "refused": 1}
        assert coupon_campaign_issue(template=template, members_queryset=members, name="春季", actor=hq) == {
            "issued": 0, "skipped": 2, "refused": 1}
        assert Coupon.objects.filter(template=template, source=CouponSource.CAMPAIGN).count() == 2
        assert AuditLog.objects.filter(action="membership.coupon.campaign").count() == 2
        assert len(others) == 2

    def test_per_member_limit_refused_under_a_new_name(self, member_a, hq):
        template = _template(per_member_limit=1)
        members = audience_list(actor=hq)
        assert coupon_campaign_issue(template=template, members_queryset=members, name="A", actor=hq)["issued"] == 1
        assert coupon_campaign_issue(template=template, members_queryset=members, name="B", actor=hq) == {
            "issued": 0, "skipped": 0, "refused": 1}


class TestCampaignPortal:
    def test_preview_then_issue_then_rerun(self, client, hq, member_a, member_b):
        template = _template()
        client.force_login(hq)
        data = {"template": template.pk, "name": "618"}
        preview = client.post(reverse(URL), {**data, "action": "preview"})
        assert preview.status_code == 200 and preview.context["count"] == 2
        assert not Coupon.objects.exists()
        issued = client.post(reverse(URL), {**data, "action": "issue"})
        assert issued.context["counts"] == {"issued": 2, "skipped": 0, "refused": 0}
        rerun = client.post(reverse(URL), {**data, "action": "issue"})
        assert rerun.context["counts"] == {"issued": 0, "skipped": 2, "refused": 0}
        assert Coupon.objects.count() == 2
        audit = AuditLog.objects.filter(action="membership.coupon.campaign")
        assert audit.count() == 2 and audit.first().data["name"] == "618"

    def test_manager_reaches_only_their_store(self, client, manager_a, member_a, member_b, store_b):
        template = _template()
        client.force_login(manager_a)
        data = {"template": template.pk, "name": "店庆", "action": "issue"}
        response = client.post(reverse(URL), data)
        assert response.context["counts"]["issued"] == 1
        assert list(Coupon.objects.values_list("member", flat=True)) == [member_a.pk]
        # another store in the filter is not a valid choice
        other = client.post(reverse(URL), {**data, "store": store_b.pk})
        assert other.status_code == 200 and "store" in other.context["form"].errors
        assert Coupon.objects.count() == 1

    def test_filters_narrow_the_audience(self, client, hq, member_a, member_b, store_b):
        template = _template()
        client.force_login(hq)
        response = client.post(reverse(URL), {"template": template.pk, "name": "B店", "store": store_b.pk,
                                              "action": "issue"})
        assert response.context["counts"]["issued"] == 1
        assert Coupon.objects.get().member == member_b

    def test_consultant_refused(self, client, consultant_a):
        client.force_login(consultant_a)
        assert client.get(reverse(URL)).status_code == 403

    def test_page_renders_in_chinese_without_inline_script(self, client, manager_a):
        client.force_login(manager_a)
        html = client.get(reverse(URL)).content.decode()
        assert "活动发券" in html and "<script>" not in html.split('<main', 1)[-1]
