"""The Chinese UI shows no raw codes.

The main pages are rendered in zh-hans as the roles that use them, over the
demo group (``seed_demo``: leads from every channel, members with consent,
points, coupons, referrals) plus audit rows of several actions, an owner's
consent change, assignments, a defeat and outbox messages in every status.
The text a person reads (tags and attributes stripped: a code may sit in a
tooltip or a form value) must hold none of the known code words: status and
channel codes, the choice codes of our models, audit action prefixes,
Python's ``{'``/``True``/``False``/``None``, staff usernames, owner
usernames built from a mobile, and untranslated English (the admin's).
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from django.apps import apps
from django.core.management import call_command
from django.urls import reverse
from django.utils import translation

from accounts.demo import DEMO_OWNERS
from accounts.models import Channel, ConsentSource, Member, OutboxMessage, OutboxStatus, Role, User
from accounts.services import member_reveal_mobile, member_set_notification_preferences
from leads.models import Channel as LeadChannel
from leads.models import DefeatReason, Lead, Stage
from leads.services.scoring import lead_assign
from leads.services.stages import lead_stage_change
from membership.models import CouponSource, CouponTemplate
from membership.services.coupons import coupon_issue

pytestmark = pytest.mark.django_db

OUR_APPS = ("accounts", "leads", "membership", "mall", "insurance", "usedcars")
# Words that are codes wherever they appear in Chinese text (whole words, case-sensitive).
CODE_WORDS = {"pending", "sending", "sent", "failed", "suppressed", "walkin", "dongchedi", "autohome", "oem",
              "miniprogram", "minisite", "True", "False", "None"}
# Fragments that never belong in text: audit action prefixes and Python reprs.
FRAGMENTS = ("membership.", "leads.", "accounts.", "{'", "':", "[]", "{}")
# Staff usernames (s01_consultant) and owner usernames built from a mobile (m13800138000).
USERNAMES = re.compile(r"\b(?:s\d{2}_[a-z]+\d*|m1\d{10})\b")
# Untranslated English: two lowercase-led words in a row ("Model name", "Daily runs"), and Django's name.
ENGLISH = re.compile(r"\b(?:[A-Za-z][a-z]+ [a-z]{2,}|Django)\b")
# A snake_case identifier (an audit key such as spend_entry_id, a source code such as mall_order).
SNAKE = re.compile(r"(?<![\w.\-/])[a-z]+(?:_[a-z]+)+(?![\w\-/])")


class _Text(HTMLParser):
    """The text nodes of a page: what a person reads (no tags, no attributes)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._skip += 1

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def _text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return " ".join(" ".join(parser.parts).split())


def _choice_codes() -> set[str]:
    """Every stored choice code of our models (``walkin`` is a row, the rest are choices)."""
    codes = set()
    for model in apps.get_models():
        if model._meta.app_label not in OUR_APPS:
            continue
        for field in model._meta.fields:
            for value, _label in field.flatchoices or ():
                if isinstance(value, str) and re.fullmatch(r"[a-z][a-z_]{2,}", value):
                    codes.add(value)
    return codes


def _code_words_in(text: str, words: set[str]) -> list[str]:
    found = [w for w in words if re.search(rf"(?<![\w.\-/]){re.escape(w)}(?![\w\-/])", text)]
    found += [f for f in FRAGMENTS if f in text]
    found += USERNAMES.findall(text)
    found += ENGLISH.findall(text)
    found += SNAKE.findall(text)
    return sorted(set(found))


@pytest.fixture
def demo(db):
    """The demo group, plus audit rows and events of several kinds."""
    call_command("seed_demo", members=40, no_progress=True)
    store = Member.objects.get(mobile=DEMO_OWNERS[0][2]).store
    consultant = User.objects.get(username=f"{store.code.lower()}_consultant")
    manager = User.objects.get(username=f"{store.code.lower()}_manager")
    hq = User.objects.get(username="hq")
    owner_member = Member.objects.get(mobile=DEMO_OWNERS[0][2])
    # The worst case for an owner's login: a username that embeds the mobile.
    owner = User.objects.create(username=f"m{owner_member.mobile}", phone=owner_member.mobile, role=Role.OWNER,
                                phone_verified=True)
    owner_member.user = owner
    owner_member.save(update_fields=["user"])
    # Audit rows and events of several kinds: a consent change by the owner, a reveal,
    # an assignment, a defeat with a reason, a coupon issued by staff.
    member_set_notification_preferences(member=owner_member, data={"marketing_consent": True, "notify_sms": False},
                                        source=ConsentSource.MINISITE, actor=owner)
    member_reveal_mobile(member=owner_member, actor=consultant, ip_address="10.0.0.8")
    lead = Lead.objects.filter(store=store, is_open=True, channel__code="dongchedi").first() or \
        Lead.objects.filter(store=store, is_open=True).first()
    lead_assign(lead=lead, to=consultant, actor=manager)
    lead_stage_change(lead=lead, to_stage=Stage.DEFEATED, actor=manager, reason=DefeatReason.PRICE)
    template = CouponTemplate.objects.filter(is_active=True).first()
    coupon_issue(template=template, member=owner_member, source=CouponSource.STAFF, actor=consultant)
    for n, status in enumerate(OutboxStatus.values):
        OutboxMessage.objects.create(channel=Channel.SMS, recipient=owner_member.mobile, body="您好", status=status,
                                     member=owner_member, dedup_key=f"code-words-{n}")
    return {"consultant": consultant, "manager": manager, "hq": hq, "owner": owner, "admin": User.objects.get(username="admin"),
            "member": owner_member, "lead": lead}


def _pages(demo) -> list[tuple[str, str]]:
    member, lead = demo["member"], demo["lead"]
    other_lead = Lead.objects.filter(store=lead.store).exclude(pk=lead.pk).order_by("pk").first()
    return [
        ("consultant", reverse("portal:dashboard")),
        ("manager", reverse("portal:dashboard")),
        ("hq", reverse("portal:dashboard")),
        ("consultant", reverse("portal:member-list")),
        ("consultant", reverse("portal:member-detail", args=[member.pk])),
        ("consultant", reverse("portal:membership:member-360", args=[member.pk])),
        ("consultant", reverse("portal:leads:lead-list")),
        ("manager", reverse("portal:leads:lead-detail", args=[lead.pk])),
        ("manager", reverse("portal:leads:lead-detail", args=[other_lead.pk])),
        ("consultant", reverse("portal:leads:task-list")),
        ("manager", reverse("portal:leads:task-list")),
        ("manager", reverse("portal:leads:report")),
        ("consultant", reverse("portal:leads:reception")),
        ("manager", reverse("portal:leads:calendar")),
        ("manager", reverse("portal:leads:calendar") + "?view=day"),
        ("manager", reverse("portal:leads:fleet")),
        ("manager", reverse("portal:leads:hours")),
        ("consultant", reverse("portal:leads:lead-book", args=[lead.pk])),
        ("hq", reverse("portal:audit")),
        ("consultant", reverse("portal:membership:coupon-template-list")),
        ("consultant", reverse("portal:membership:coupon-issue")),
        ("consultant", reverse("portal:membership:coupon-redeem")),
        ("manager", reverse("portal:membership:coupon-campaign")),
        ("owner", reverse("mobile:home")),
        ("owner", reverse("mobile:membership:card")),
        ("owner", reverse("mobile:membership:points")),
        ("owner", reverse("mobile:membership:coupons")),
        ("admin", reverse("admin:index")),
    ]


def test_main_pages_in_chinese_show_no_code_words(demo, client):
    words = CODE_WORDS | _choice_codes() | set(LeadChannel.objects.values_list("code", flat=True))
    problems = {}
    with translation.override("zh-hans"):
        for role, url in _pages(demo):
            client.force_login(demo[role])
            response = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans")
            assert response.status_code == 200, (role, url, response.status_code)
            text = _text(response.content.decode())
            found = _code_words_in(text, words)
            if found:
                problems[f"{url} as {role}"] = found
    assert not problems, f"raw codes on the Chinese UI: {problems}"


def test_the_checker_finds_codes_in_text_but_not_in_attributes():
    words = CODE_WORDS | {"defeated"}
    html = ('<a href="/portal/outbox/?status=pending" title="membership.coupon.issued">待发送：3</a>'
            '<option value="walkin">自然到店</option><span data-kind="points">积分</span>')
    assert _code_words_in(_text(html), words) == []
    for raw, word in [("<td>pending: 56</td>", "pending"), ("<code>membership.coupon.issued</code>", "membership."),
                      ("<td>{'member_id': 3}</td>", "{'"), ("<td>来源渠道 walkin</td>", "walkin"),
                      ("<span>s01_consultant</span>", "s01_consultant"), ("<b>m13800138000</b>", "m13800138000"),
                      ("<td>False</td>", "False"), ("<td>defeated</td>", "defeated"),
                      ("<th>Model name</th>", "Model name"), ("<h1>Django 管理</h1>", "Django"),
                      ("<li>spend_entry_id：12</li>", "spend_entry_id"), ("<td>来源：mall_order</td>", "mall_order")]:
        assert word in _code_words_in(_text(raw), words), raw
