"""A visitor who is not signed in asks about a used car on the mini-site: name and
mobile, "获取验证码", the code their phone received (read from what the local SMS
backend delivered), "咨询这辆车"; the lead and the used-car manager's task appear for
the holding store."""

import pytest
from playwright.sync_api import expect

from accounts.models import Role
from leads.models import FollowUpTask, Lead
from tests.usedcars.test_public_api import published

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = "13900004444"


def test_a_visitor_asks_about_a_car_with_an_sms_code(page, live_server, store_b, hq, make_staff, sms_code_for,
                                                       settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    manager = make_staff(Role.USEDCAR, store_b, username="s02_usedcar")
    listing = published(hq, store_b, price="88000")

    page.goto(f"/m/usedcars/{listing.pk}/")
    form = page.get_by_test_id("usedcar-visitor-inquiry")
    form.locator("input[name=name]").fill("王先生")
    form.locator("input[name=mobile]").fill(PHONE)
    form.get_by_test_id("usedcar-send-code").click()
    expect(page.locator("body")).to_contain_text("139****4444")

    form = page.get_by_test_id("usedcar-visitor-inquiry")
    expect(form.locator("input[name=mobile]")).to_have_value(PHONE)
    form.locator("input[name=code]").fill(sms_code_for(PHONE))
    form.locator("button[name=kind][value=question]").click()
    page.wait_for_url(f"**/m/usedcars/{listing.pk}/")
    expect(page.locator("body")).to_contain_text("已提交咨询")

    lead = Lead.objects.get(mobile=PHONE)
    assert lead.store == store_b and lead.channel.code == "usedcar" and lead.name == "王先生"
    assert FollowUpTask.objects.get(lead=lead).assignee == manager
