"""The pipeline on its three surfaces: the portal (pipeline page with
filters and the lost action; the quote page's 发送给车主 and
标记已付款/续保成功), the mini-site (我的保单 with 接受报价 / 请给我回电)
and the owner API (me/policies, me/quotes, accept, call-me)."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation

from insurance.models import PolicySource, QuoteStatus, Renewal, RenewalStage
from insurance.services_renewals import quote_accept, quote_send
from leads.models import FollowUpTask
from membership.models import MembershipCard
from tests.insurance.matrix_renewals import MOBILE_MATRIX
from tests.insurance.renewal_fixtures import (  # noqa: F401
    due_policies,
    insurance_rule,
    make_quote,
    quiet_off,
    quote,
    specialist_a,
)
from tests.factories import OwnerFactory
from tests.matrix import OBJECTS, ROLE_FIXTURES, ROLES, SESSIONLESS, app_rows, sign_in
from tests.test_web_zh_code_words import CODE_WORDS, _choice_codes, _code_words_in, _text

pytestmark = pytest.mark.django_db

PIPELINE = "/portal/insurance/renewals/"
MY = "/m/insurance/"


def zh_text(client, path):
    with translation.override("zh-hans"):
        return _text(client.get(path, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode())


# --- portal ------------------------------------------------------------------------------------


def test_the_pipeline_lists_the_stores_renewals_with_masked_phones(client, due_policies, specialist_a, consultant_b,
                                                                  member_a):
    client.force_login(specialist_a)
    html = client.get(PIPELINE).content.decode()
    assert html.count("data-renewal=") == 2 and member_a.masked_mobile in html and member_a.mobile not in html
    assert client.get(PIPELINE + "?stage=lost").content.decode().count("data-renewal=") == 0
    assert client.get(PIPELINE + "?days=7").content.decode().count("data-renewal=") == 0
    assert client.get(PIPELINE + "?days=30&stage=to_contact").content.decode().count("data-renewal=") == 2
    assert client.get(PIPELINE + f"?specialist={specialist_a.pk}").content.decode().count("data-renewal=") == 2
    assert client.get(PIPELINE + "?specialist=none&days=bogus&stage=bogus").content.decode().count("data-renewal=") == 0
    client.force_login(consultant_b)
    assert client.get(PIPELINE).content.decode().count("data-renewal=") == 0


def test_the_pipeline_is_in_the_menu(client, specialist_a):
    client.force_login(specialist_a)
    with translation.override("zh-hans"):
        html = client.get(reverse("portal:dashboard")).content.decode()
    assert "续保跟进" in html and PIPELINE in html


def test_marking_lost_from_the_pipeline(client, due_policies, specialist_a):
    client.force_login(specialist_a)
    renewal = Renewal.objects.first()
    url = reverse("portal:insurance:renewal-lost", args=[renewal.pk])
    response = client.post(url, {"reason": "other_dealer", "lost_to": ""})
    assert response.status_code == 303
    renewal.refresh_from_db()
    assert renewal.stage == RenewalStage.TO_CONTACT  # refused: the dealer is required
    client.post(url, {"reason": "other_dealer", "lost_to": "某某4S店", "next": PIPELINE})
    renewal.refresh_from_db()
    assert (renewal.stage, renewal.lost_to) == (RenewalStage.LOST, "某某4S店")
    text = zh_text(client, PIPELINE)
    assert "在其他经销商续保" in text and "已流失" in text


def test_the_specialist_sends_the_quote_and_records_the_renewal(client, quote, specialist_a, member_a,
                                                               insurance_rule):
    client.force_login(specialist_a)
    detail = reverse("portal:insurance:quote-detail", args=[quote.pk])
    html = client.get(detail).content.decode()
    assert "发送给车主" in html and "标记已付款/续保成功" not in html
    client.post(reverse("portal:insurance:quote-send", args=[quote.pk]))
    quote.refresh_from_db()
    assert quote.status == QuoteStatus.SENT
    html = client.get(detail).content.decode()
    assert "标记已付款/续保成功" in html and 'name="number_compulsory"' in html and 'name="number_commercial"' in html
    quote_accept(member=member_a, quote=quote)
    balance = MembershipCard.objects.get(member=member_a).points_balance
    client.post(reverse("portal:insurance:quote-renew", args=[quote.pk]),
                {"number_compulsory": "J-2027-1", "number_commercial": "S-2027-1"})
    assert set(Renewal.objects.values_list("stage", flat=True)) == {RenewalStage.RENEWED}
    assert Renewal.objects.filter(new_policy__source=PolicySource.RENEWAL).count() == 2
    assert MembershipCard.objects.get(member=member_a).points_balance > balance
    text = zh_text(client, detail)
    assert "续保成功" in text and "J-2027-1" in text
    assert _code_words_in(text, CODE_WORDS | _choice_codes()) == []


def test_another_stores_quote_actions_are_404(client, quote, consultant_b):
    client.force_login(consultant_b)
    assert client.post(reverse("portal:insurance:quote-send", args=[quote.pk])).status_code == 404
    assert client.post(reverse("portal:insurance:quote-renew", args=[quote.pk])).status_code == 404


def test_portal_pages_in_chinese_show_no_codes(client, due_policies, specialist_a):
    client.force_login(specialist_a)
    assert _code_words_in(zh_text(client, PIPELINE), CODE_WORDS | _choice_codes()) == []


# --- mini-site ---------------------------------------------------------------------------------


def test_the_owner_accepts_on_the_mini_site(client, quote, specialist_a, owner_a, member_a):
    quote_send(actor=specialist_a, quote=quote)
    client.force_login(owner_a)
    text = zh_text(client, MY)
    assert "接受报价" in text and "请给我回电" in text and str(quote.total) in text and "即将到期" in text
    response = client.post(reverse("mobile:insurance:quote-accept", args=[quote.pk]))
    assert response.status_code == 303
    quote.refresh_from_db()
    assert quote.status == QuoteStatus.ACCEPTED
    html = client.get(MY).content.decode()
    assert "已接受" in html and reverse("mobile:insurance:quote-accept", args=[quote.pk]) not in html


def test_the_owner_asks_for_a_call_on_the_mini_site(client, quote, specialist_a, owner_a):
    quote_send(actor=specialist_a, quote=quote)
    client.force_login(owner_a)
    client.post(reverse("mobile:insurance:quote-call-me", args=[quote.pk]))
    quote.refresh_from_db()
    assert quote.status == QuoteStatus.CALL_ME
    assert FollowUpTask.objects.filter(assignee=specialist_a, dedup_key__startswith="insurance-quote-call-me").exists()


def test_a_draft_or_another_members_quote_is_404_on_the_mini_site(client, quote, make_member, store_a):
    client.force_login(quote.member.user or OwnerFactory(phone=quote.member.mobile))
    assert client.post(reverse("mobile:insurance:quote-accept", args=[quote.pk])).status_code == 404  # a draft
    other = make_member(store_a, mobile="13900001111")
    client.force_login(OwnerFactory(phone=other.mobile))
    assert client.post(reverse("mobile:insurance:quote-accept", args=[quote.pk])).status_code == 404


@pytest.mark.parametrize(("row", "role"), [(row, role) for row in MOBILE_MATRIX for role in ROLES],
                         ids=[f"{r[1]} {r[0]} as {role}" for r in MOBILE_MATRIX for role in ROLES])
def test_mobile_permission_rows(row, role, request, client, member_a, member_b):
    app_rows()  # loads every app's OBJECTS
    name, method, expected = row[:3]
    if isinstance(name, tuple):
        name, kwargs = name
        name = reverse(name, kwargs={k: OBJECTS[v](request.getfixturevalue).pk for k, v in kwargs.items()})
    else:
        name = reverse(name)
    fixture = ROLE_FIXTURES[role]
    if fixture is not None:
        sign_in(client, request.getfixturevalue(fixture))
    response = getattr(client, method.lower())(name)
    assert response.status_code == expected[role], f"{method} {name} as {role}: {response.status_code}"
    if response.status_code == 302:
        if role in SESSIONLESS:
            assert response["Location"].startswith(reverse("mobile:login"))
        else:
            assert response["Location"] == reverse("portal:dashboard")


# --- owner API ---------------------------------------------------------------------------------


def test_owner_api_lists_policies_and_sent_quotes_and_answers(api_as, quote, specialist_a, owner_a, member_a):
    api = api_as(owner_a)
    assert api.get("/api/v1/me/quotes/").json() in ([], {"count": 0, "next": None, "previous": None, "results": []})
    policies = api.get("/api/v1/me/policies/").json()
    rows = policies["results"] if isinstance(policies, dict) else policies
    assert {(p["kind"], p["renewal_stage"]) for p in rows} == {("compulsory", "to_contact"), ("commercial", "to_contact")}
    assert api.post(f"/api/v1/me/quotes/{quote.pk}/accept/").status_code == 404  # a draft
    quote_send(actor=specialist_a, quote=quote)
    quotes = api.get("/api/v1/me/quotes/").json()
    rows = quotes["results"] if isinstance(quotes, dict) else quotes
    assert [(q["id"], q["status"], q["total"]) for q in rows] == [(quote.pk, "sent", str(quote.total))]
    response = api.post(f"/api/v1/me/quotes/{quote.pk}/call-me/")
    assert response.status_code == 200 and response.json()["status"] == "call_me"
    response = api.post(f"/api/v1/me/quotes/{quote.pk}/accept/", HTTP_IDEMPOTENCY_KEY="k1")
    assert response.status_code == 200 and response.json()["status"] == "accepted"
    again = api.post(f"/api/v1/me/quotes/{quote.pk}/accept/", HTTP_IDEMPOTENCY_KEY="k1")
    assert again.status_code == 200 and again.json() == response.json()
    refused = api.post(f"/api/v1/me/quotes/{quote.pk}/call-me/")
    assert refused.status_code == 409 and refused.json()["code"] == "quote_not_open"


def test_the_owners_home_links_to_my_policies_with_the_quotes_waiting(client, quote, specialist_a, owner_a):
    client.force_login(owner_a)
    html = client.get("/m/").content.decode()
    assert 'data-testid="home-insurance"' in html and "查看保单与续保报价" in html
    quote_send(actor=specialist_a, quote=quote)
    html = client.get("/m/").content.decode()
    assert "1 份续保报价待您确认" in html and MY in html


def test_an_owner_without_policies_sees_no_insurance_panel(client, owner_a):
    client.force_login(owner_a)
    assert 'data-testid="home-insurance"' not in client.get("/m/").content.decode()
