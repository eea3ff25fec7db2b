"""People read labels, never codes: audit actions and data, outbox counters,
sources and channels, timeline badges, staff and owner names, the admin."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from allauth.account.utils import user_display
from django.conf import settings
from django.contrib.messages import get_messages
from django.urls import reverse

from accounts.audit import audit_record
from accounts.labels import audit_action_label, audit_data_items, person_name
from accounts.models import Channel, ConsentSource, OutboxMessage, OutboxStatus
from leads.models import Channel as LeadChannel
from leads.models import ChannelKind, DefeatReason, Stage
from leads.services.ingest import lead_ingest
from leads.services.scoring import lead_assign
from leads.services.stages import lead_stage_change
from tests.accounts.test_web_sign_in import web_confirm_code, web_request_code

pytestmark = pytest.mark.django_db


@pytest.fixture
def walkin(db):
    return LeadChannel.objects.get_or_create(code="walkin", defaults={"name": "自然到店", "kind": ChannelKind.WALKIN})[0]


def _text(response) -> str:
    """What a person reads: the page without tags and attributes."""
    body = re.sub(r"(?s)<(script|style)\b.*?</\1>", " ", response.content.decode())
    return re.sub(r"<[^>]+>", " ", body)


# --- the audit log ----------------------------------------------------------------------------


def test_audit_page_shows_action_labels_readable_data_and_names(client, hq, consultant_a, member_a, owner_a):
    audit_record(actor=consultant_a, action="membership.points.adjusted", obj=member_a,
                 data={"member_id": member_a.pk, "points": 50, "balance_after": 250, "reason": "活动补录",
                       "source_type": "staff", "source_id": ""})
    audit_record(actor=owner_a, action="accounts.member.notifications", obj=member_a,
                 data={"changed": {"notify_sms": False, "marketing_consent": True}, "source": ConsentSource.MINISITE})
    audit_record(actor=None, action="someapp.thing.happened", data={"flag": None})
    client.force_login(hq)
    response = client.get(reverse("portal:audit"))
    text = _text(response).split("数据", 1)[1]  # the table, after its header (the filter lists every action)
    assert "调整积分" in text and "获得积分" not in text
    assert f"会员：#{member_a.pk}" in text and "积分：50" in text and "余额：250" in text and "来源：员工调整" in text
    assert "修改通知设置" in text and "接收短信 否" in text and "同意营销 是" in text and "来源：会员网页" in text
    assert "会员 #" in text  # the object: the model's verbose name, not accounts.member
    assert consultant_a.display_name in text and f"车主 {member_a.name}" in text and "系统" in text
    # an action no app registered: a generic label, the code only in the tooltip
    body = response.content.decode()
    assert '<span title="someapp.thing.happened">其他操作</span>' in body
    for code in ("membership.", "accounts.", "someapp.", "{'", "False", "True", "None",
                 consultant_a.username, owner_a.username, member_a.mobile):
        assert code not in text, code


def test_audit_filter_offers_the_registered_actions_by_label(client, hq, member_a):
    audit_record(actor=hq, action="accounts.member.mobile_revealed", obj=member_a)
    client.force_login(hq)
    response = client.get(reverse("portal:audit"), {"action": "accounts.member.mobile_revealed"})
    assert [e.action for e in response.context["entries"]] == ["accounts.member.mobile_revealed"]
    assert '<option value="accounts.member.mobile_revealed" selected>查看完整手机号</option>' in response.content.decode()


def _audit_actions_in_source() -> set[str]:
    """Every audit action the project's code can write: action="<app>.<what>.<verb>"
    literals and export_record(what="<app>.<what>") (→ "<what>.exported")."""
    root = Path(settings.BASE_DIR)
    apps = ("accounts", "leads", "membership", "mall", "insurance", "usedcars")
    actions = set()
    for path in root.glob("*/**/*.py"):
        if path.parts[len(root.parts)] not in apps or "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            for keyword in node.keywords:
                values = [keyword.value] if not isinstance(keyword.value, ast.IfExp) else [
                    keyword.value.body, keyword.value.orelse]
                for value in values:
                    if not (isinstance(value, ast.Constant) and isinstance(value.value, str)):
                        continue
                    if keyword.arg == "action" and value.value.count(".") == 2:
                        actions.add(value.value)
                    elif keyword.arg == "what" and value.value.count(".") == 1:
                        actions.add(f"{value.value}.exported")
    return {a for a in actions if a.split(".")[0] in apps}


def test_every_audit_action_the_code_writes_has_a_label():
    actions = _audit_actions_in_source()
    assert {"membership.coupon.issued", "leads.lead.merged", "membership.audience.exported"} <= actions
    missing = sorted(a for a in actions if audit_action_label(a) is None)
    assert not missing, f"register a label for {missing} (<app>/labels.py, register_audit_labels)"


def test_audit_data_reads_as_labels():
    items = dict(audit_data_items("leads.lead.stage_changed", {"from": Stage.NEW, "to": Stage.DEFEATED}))
    assert items == {"原阶段": "新线索", "新阶段": "战败"}
    items = dict(audit_data_items("membership.card.tier_upgraded", {"from": "unknown-tier", "growth_value": 5000}))
    assert items["原等级"] == "unknown-tier" and items["成长值"] == "5000"
    assert audit_data_items("x.y.z", {}) == []


# --- dashboard, members, member 360, leads ------------------------------------------------------


def test_dashboard_outbox_counters_read_as_labels(client, hq, member_a):
    for n, status in enumerate((OutboxStatus.PENDING, OutboxStatus.SENT, OutboxStatus.SENT, OutboxStatus.SUPPRESSED)):
        OutboxMessage.objects.create(channel=Channel.SMS, recipient=member_a.mobile, body="您好", status=status,
                                     member=member_a, dedup_key=f"labels-{n}")
    client.force_login(hq)
    response = client.get(reverse("portal:dashboard"))
    text = _text(response)
    assert "待发送：1" in text and "已发送：2" in text and f"{OutboxStatus.SUPPRESSED.label}：1" in text
    for code in ("pending", "sent", "suppressed"):
        assert not re.search(rf"\b{code}\b", text), code
    assert f'href="{reverse("portal:outbox")}?status=sent"' in response.content.decode()


@pytest.mark.parametrize(("source", "label"), [("walkin", "自然到店"), (ConsentSource.MINISITE, "会员网页"), ("dms", "DMS 导入")])
def test_member_source_channel_reads_as_its_label(client, consultant_a, member_a, walkin, source, label):
    member_a.source_channel = source
    member_a.save(update_fields=["source_channel"])
    client.force_login(consultant_a)
    text = _text(client.get(reverse("portal:member-detail", args=[member_a.pk])))
    assert f"来源渠道 {label}" in re.sub(r"\s+", " ", text)
    assert not re.search(rf"\b{source}\b", text)


def test_unknown_source_reads_other_with_the_code_as_tooltip(client, consultant_a, member_a):
    member_a.source_channel = "partner_x"
    member_a.save(update_fields=["source_channel"])
    client.force_login(consultant_a)
    response = client.get(reverse("portal:member-detail", args=[member_a.pk]))
    assert '<span title="partner_x">其他</span>' in response.content.decode()


def test_member_360_timeline_badges_read_as_labels(client, consultant_a, member_a):
    client.force_login(consultant_a)
    response = client.get(reverse("portal:membership:member-360", args=[member_a.pk]))
    badges = re.findall(r'data-kind="(\w+)">([^<]*)<', response.content.decode())
    assert ("joined", "入会") in badges
    assert all(label and label != kind for kind, label in badges)


def test_lead_timeline_shows_channel_names_staff_names_and_reasons(client, consultant_a, manager_a, store_a, walkin):
    lead, _ = lead_ingest(mobile="13700005555", channel=walkin, store=store_a, name="郑爽")
    lead_assign(lead=lead, to=consultant_a, actor=manager_a)
    lead_stage_change(lead=lead, to_stage=Stage.DEFEATED, actor=manager_a, reason=DefeatReason.PRICE)
    client.force_login(manager_a)
    text = _text(client.get(reverse("portal:leads:lead-detail", args=[lead.pk])))
    assert "自然到店" in text and consultant_a.display_name in text and "价格原因" in text
    for code in ("walkin", consultant_a.username, manager_a.username, "price"):
        assert not re.search(rf"\b{code}\b", text), code


# --- people --------------------------------------------------------------------------------------


def test_people_are_named_never_by_username(consultant_a, owner_a, member_a, make_staff):
    assert person_name(consultant_a) == consultant_a.display_name
    assert person_name(owner_a) == "李娜" == user_display(owner_a)
    member_a.name = ""
    member_a.save(update_fields=["name"])
    owner_a.refresh_from_db()
    assert person_name(owner_a) == member_a.masked_mobile
    assert person_name(None) == ""


def test_owner_is_greeted_by_member_name_after_sign_in(client, owner_a, member_a, sms_code_for):
    web_request_code(client, member_a.mobile)
    response = web_confirm_code(client, sms_code_for(member_a.mobile))
    notes = [str(m) for m in get_messages(response.wsgi_request)]
    assert f"以 {member_a.name} 成功登录。" in notes  # allauth's "Successfully signed in as …"
    assert not any(owner_a.username in m for m in notes)


# --- admin ---------------------------------------------------------------------------------------


def test_admin_index_is_chinese(client, admin_user):
    client.force_login(admin_user)
    text = _text(client.get(reverse("admin:index")))
    assert "车商运营平台 · 后台管理" in text and "后台任务" in text and "登录会话" in text and "每日任务记录" in text
    for english in ("Django administration", "Django 管理", "Django Q2", "Model name", "Add link", "User sessions",
                    "Daily runs", "Reactivation items"):
        assert english not in text, english
