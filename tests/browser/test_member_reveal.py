"""A consultant finds a member, opens the page, reveals the mobile number, and
HQ sees the reveal in the audit log."""

import pytest
from playwright.sync_api import expect

from accounts.models import AuditLog

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_consultant_reveals_member_mobile_and_hq_sees_it_in_audit_log(
    page, browser, live_server, sign_in, consultant_a, hq, member_a, member_b
):
    sign_in(page, consultant_a.username)
    expect(page.get_by_test_id("current-user")).to_contain_text("销售顾问")

    expect(page.get_by_test_id("my-day")).to_be_visible()  # a consultant's home is their day
    page.goto("/portal/members/")
    page.fill("input[name=q]", "李娜")
    page.keyboard.press("Enter")
    table = page.get_by_test_id("member-table")
    expect(table).to_contain_text("138****5678")
    expect(table).not_to_contain_text("13812345678")
    expect(table).not_to_contain_text("张伟")  # another store's member never shows

    table.get_by_role("link", name="李娜").click()
    expect(page.get_by_test_id("member-name")).to_have_text("李娜")
    mobile = page.get_by_test_id("member-mobile")
    expect(mobile).to_contain_text("138****5678")
    page.get_by_test_id("reveal-mobile").click()
    expect(page.get_by_test_id("member-mobile")).to_contain_text("13812345678")

    entry = AuditLog.objects.get(action="accounts.member.mobile_revealed")
    assert entry.actor == consultant_a and entry.object_id == str(member_a.pk)

    hq_context = browser.new_context(base_url=live_server.url, locale="zh-CN", timezone_id="Asia/Shanghai")
    hq_page = hq_context.new_page()
    sign_in(hq_page, hq.username)
    hq_page.goto("/portal/audit/")
    audit = hq_page.get_by_test_id("audit-table")
    expect(audit).to_contain_text("查看完整手机号")  # the action's label, not its code
    expect(audit).to_contain_text(consultant_a.display_name)
    expect(audit).not_to_contain_text(consultant_a.username)
    hq_context.close()
