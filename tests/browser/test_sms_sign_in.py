"""An owner signs in on the mini-site with the code their phone received
(read from what the local SMS backend delivered, not from the outbox row);
HQ then opens the portal outbox and sees that SMS with the code masked."""

import pytest
from playwright.sync_api import expect

from accounts.outbox.sealing import MASK

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = "13900003333"


def test_owner_signs_in_with_the_delivered_code_and_hq_sees_it_masked(
    page, browser, live_server, sign_in, store_a, hq, sms_code_for
):
    page.goto("/m/")
    page.wait_for_url("**/accounts/login/code/**")
    page.fill("input[name=phone]", PHONE)
    page.click("form[action^='/accounts/login/code/'] button[type=submit]")
    page.wait_for_url("**/accounts/login/code/confirm/**")
    code = sms_code_for(PHONE)
    page.fill("input[name=code]", code)
    page.click("form[action^='/accounts/login/code/confirm/'] button[type=submit]")
    page.wait_for_url("**/m/")
    expect(page.locator("body")).to_contain_text("139****3333")

    hq_context = browser.new_context(base_url=live_server.url, locale="zh-CN")
    hq_page = hq_context.new_page()
    sign_in(hq_page, hq.username)
    hq_page.goto("/portal/outbox/")
    outbox = hq_page.get_by_test_id("outbox-table")
    expect(outbox).to_contain_text(MASK)
    expect(outbox).not_to_contain_text(code)
    hq_context.close()
