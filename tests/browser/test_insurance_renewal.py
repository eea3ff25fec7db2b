"""The renewal flow end to end: the specialist opens the quote and sends it
(发送给车主); the owner accepts it on the mini-site (接受报价); the specialist
marks it paid with the new policy numbers (标记已付款/续保成功); the policies
renew and the owner's points rise."""

from urllib.parse import urlparse

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import expect

from insurance.models import PolicySource, QuoteStatus, Renewal, RenewalStage
from membership.models import MembershipCard
from tests.insurance.conftest import insurer, make_policy, rating_rules, vehicle_a  # noqa: F401  (fixtures)
from tests.insurance.renewal_fixtures import (  # noqa: F401  (fixtures)
    due_policies,
    insurance_rule,
    quiet_off,
    quote,
    specialist_a,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _owner_context(browser, live_server, user):
    client = Client()
    client.force_login(user)
    context = browser.new_context(base_url=live_server.url, locale="zh-CN", timezone_id="Asia/Shanghai")
    context.set_default_timeout(15_000)
    context.add_cookies([{
        "name": settings.SESSION_COOKIE_NAME, "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
        "domain": urlparse(live_server.url).hostname, "path": "/",
    }])
    return context


def test_specialist_sends_owner_accepts_specialist_renews_and_points_rise(
    page, browser, live_server, sign_in, specialist_a, owner_a, member_a, quote, insurance_rule
):
    points_before = MembershipCard.objects.get(member=member_a).points_balance

    sign_in(page, specialist_a.username)
    page.goto("/portal/insurance/renewals/")
    expect(page.get_by_test_id("renewal-list")).to_contain_text(quote.plate)
    page.goto("/portal/insurance/quotes/")
    page.get_by_role("link", name=f"#{quote.pk}").click()
    page.get_by_role("button", name="发送给车主").click()
    expect(page.get_by_test_id("quote-status")).to_have_text("已发送")

    owner = _owner_context(browser, live_server, owner_a)
    phone = owner.new_page()
    phone.goto("/m/insurance/")
    card = phone.get_by_test_id("my-quote")
    expect(card).to_contain_text(str(quote.total))
    card.get_by_role("button", name="接受报价").click()
    expect(phone.get_by_test_id("my-quote-status")).to_have_text("已接受")
    owner.close()
    assert Renewal.objects.filter(stage=RenewalStage.ACCEPTED).count() == 2

    page.reload()
    expect(page.get_by_test_id("quote-status")).to_have_text("已接受")
    page.get_by_label("交强险保单号").fill("PICC-J-2027-0001")
    page.get_by_label("商业险保单号").fill("PICC-S-2027-0001")
    page.get_by_role("button", name="标记已付款/续保成功").click()
    expect(page.get_by_test_id("renewal-stage").first).to_have_text("续保成功")

    quote.refresh_from_db()
    assert quote.status == QuoteStatus.ACCEPTED
    assert set(Renewal.objects.values_list("stage", flat=True)) == {RenewalStage.RENEWED}
    assert Renewal.objects.filter(new_policy__source=PolicySource.RENEWAL).count() == 2
    assert MembershipCard.objects.get(member=member_a).points_balance > points_before
