"""Refer a friend (推荐好友): the referral code is the referrer's card number; a
new member uses it when opening their first card and the referrer earns the
REFER_FRIEND rule's points (capped per month).  Services, owner API, mini-site
flow (join link → SMS sign-in → open card), member 360, admin, demo data, and
concurrent / retried openings that must not pay twice."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditLog, Member, OutboxMessage
from membership import exceptions as errors
from membership.models import (
    EarningRule,
    EarningRuleKind,
    MembershipCard,
    MembershipSettings,
    PointsEntry,
    Referral,
)
from membership.services import referrals as svc
from membership.services.cards import card_open
from tests.concurrency import run_together
from tests.matrix import ROLE_FIXTURES, ROLES, SESSIONLESS, sign_in
from tests.membership.matrix_referrals import MOBILE_MATRIX, MOBILE_PUBLIC

RULE_POINTS = 200


@pytest.fixture
def refer_rule(db):
    return EarningRule.objects.update_or_create(
        kind=EarningRuleKind.REFER_FRIEND, defaults={"points": Decimal(RULE_POINTS), "is_active": True}
    )[0]


@pytest.fixture
def referrer(make_member, store_a):
    return make_member(store_a, name="陈静", mobile="13711112222")


@pytest.fixture
def referrer_card(referrer, tiers):
    return MembershipCard.objects.create(member=referrer, tier=tiers["normal"])


def _balance(member) -> int:
    return MembershipCard.objects.get(member=member).points_balance


def _referral_entries(member):
    return PointsEntry.objects.filter(member=member, source_type="referral")


# --- services ----------------------------------------------------------------------------------


@pytest.mark.django_db
class TestServices:
    def test_opening_a_card_with_a_code_records_the_referral_and_pays_the_referrer(
        self, member_a, referrer, referrer_card, refer_rule, consultant_a
    ):
        card = card_open(member=member_a, referral_code=referrer_card.card_no)
        assert card.member == member_a
        referral = Referral.objects.get(referee=member_a)
        assert (referral.referrer, referral.code, referral.rewarded_points) == (referrer, referrer_card.card_no, RULE_POINTS)
        assert referral.rewarded_at is not None
        entry = _referral_entries(referrer).get()
        assert (entry.points, entry.reason, entry.source_id) == (RULE_POINTS, "推荐好友", str(member_a.pk))
        assert entry.idempotency_key == f"referral:{member_a.pk}" and entry.store == referrer.store
        assert _balance(referrer) == RULE_POINTS
        assert not PointsEntry.objects.filter(member=member_a, source_type="referral").exists()
        audit = AuditLog.objects.get(action="membership.referral.recorded")
        assert audit.data["referee_id"] == member_a.pk and audit.data["rewarded_points"] == RULE_POINTS
        notice = OutboxMessage.objects.get(member=referrer, template="membership.referral_rewarded")
        assert notice.topic == "points" and str(RULE_POINTS) in notice.body
        assert notice.channel == "inapp" and notice.recipient == f"member:{referrer.pk}"

    def test_code_is_read_like_a_scanned_card_number(self, member_a, referrer_card, refer_rule):
        spaced = " ".join(referrer_card.card_no.lower()[i:i + 4] for i in range(0, 14, 4))
        card_open(member=member_a, referral_code=spaced)
        assert Referral.objects.get(referee=member_a).code == referrer_card.card_no

    @pytest.mark.parametrize("code", ["DO000000000000", "NOSUCHCODE", "x" * 40])
    def test_unknown_code_is_refused_and_nothing_is_written(self, member_a, tiers, referrer_card, refer_rule, code):
        with pytest.raises(errors.ReferralError) as caught:
            card_open(member=member_a, referral_code=code)
        assert caught.value.code == "referral_code_unknown"
        assert caught.value.fields == {"referral_code": [str(errors.REFERRAL_CODE_UNKNOWN)]}
        assert not MembershipCard.objects.filter(member=member_a).exists()
        assert not Referral.objects.exists() and not PointsEntry.objects.exists() and not AuditLog.objects.exists()

    def test_own_card_is_refused(self, referrer, referrer_card):
        with pytest.raises(errors.ReferralError) as caught:
            svc.referral_check(referee=referrer, code=referrer_card.card_no)
        assert caught.value.code == "referral_self" and str(caught.value.message) == str(errors.REFERRAL_SELF)

    def test_members_who_joined_over_30_days_ago_are_refused(self, member_a, tiers, referrer_card, refer_rule):
        Member.objects.filter(pk=member_a.pk).update(joined_at=timezone.now() - dt.timedelta(days=31))
        member_a.refresh_from_db()
        with pytest.raises(errors.ReferralError) as caught:
            card_open(member=member_a, referral_code=referrer_card.card_no)
        assert caught.value.code == "referral_not_new_member"
        assert "30" in str(caught.value.message)
        assert not MembershipCard.objects.filter(member=member_a).exists()
        Member.objects.filter(pk=member_a.pk).update(joined_at=timezone.now() - dt.timedelta(days=29))
        member_a.refresh_from_db()
        card_open(member=member_a, referral_code=referrer_card.card_no)
        assert Referral.objects.filter(referee=member_a).exists()

    def test_a_member_is_referred_only_once(self, member_a, referrer, referrer_card, refer_rule):
        Referral.objects.create(referrer=referrer, referee=member_a, code=referrer_card.card_no)
        with pytest.raises(errors.ReferralError) as caught:
            card_open(member=member_a, referral_code=referrer_card.card_no)
        assert caught.value.code == "referral_already_referred"

    def test_a_card_holder_gets_the_card_back_and_no_referral(self, member_a, card_a, referrer, referrer_card, refer_rule):
        assert card_open(member=member_a, referral_code=referrer_card.card_no) == card_a
        assert card_open(member=member_a, referral_code="NOSUCHCODE") == card_a  # nothing to check any more
        assert not Referral.objects.exists() and _balance(referrer) == 0

    def test_opening_twice_pays_once(self, member_a, referrer, referrer_card, refer_rule):
        first = card_open(member=member_a, referral_code=referrer_card.card_no)
        again = card_open(member=member_a, referral_code=referrer_card.card_no)
        assert first == again
        assert Referral.objects.count() == 1 and _referral_entries(referrer).count() == 1
        assert _balance(referrer) == RULE_POINTS
        assert OutboxMessage.objects.filter(template="membership.referral_rewarded").count() == 1

    def test_beyond_the_monthly_cap_the_referral_is_recorded_without_points(
        self, make_member, store_a, referrer, referrer_card, refer_rule, membership_settings
    ):
        MembershipSettings.objects.filter(pk=1).update(referral_monthly_cap=2)
        friends = [make_member(store_a, name=f"好友{i}") for i in range(3)]
        for friend in friends:
            card_open(member=friend, referral_code=referrer_card.card_no)
        points = [Referral.objects.get(referee=f).rewarded_points for f in friends]
        assert points == [RULE_POINTS, RULE_POINTS, 0]
        assert Referral.objects.get(referee=friends[2]).rewarded_at is None
        assert _balance(referrer) == 2 * RULE_POINTS and _referral_entries(referrer).count() == 2
        # Last month's referrals do not count against this month.
        last_month = svc._month_start(timezone.now()) - dt.timedelta(days=1)
        Referral.objects.filter(referee__in=friends).update(created_at=last_month)
        another = make_member(store_a, name="好友3")
        card_open(member=another, referral_code=referrer_card.card_no)
        assert Referral.objects.get(referee=another).rewarded_points == RULE_POINTS

    def test_cap_zero_means_no_cap(self, make_member, store_a, referrer_card, refer_rule, membership_settings):
        MembershipSettings.objects.filter(pk=1).update(referral_monthly_cap=0)
        for i in range(3):
            card_open(member=make_member(store_a, name=f"好友{i}"), referral_code=referrer_card.card_no)
        assert list(Referral.objects.values_list("rewarded_points", flat=True)) == [RULE_POINTS] * 3

    def test_rule_off_records_the_referral_with_no_points(self, member_a, referrer, referrer_card, refer_rule):
        EarningRule.objects.filter(pk=refer_rule.pk).update(is_active=False)
        card_open(member=member_a, referral_code=referrer_card.card_no)
        assert Referral.objects.get(referee=member_a).rewarded_points == 0
        assert not _referral_entries(referrer).exists()

    def test_no_self_referral_row_can_exist(self, referrer):
        from django.db import IntegrityError, transaction

        with pytest.raises(IntegrityError), transaction.atomic():
            Referral.objects.create(referrer=referrer, referee=referrer, code="X")


    def test_opening_that_lost_the_race_gets_the_card_not_already_referred(
        self, monkeypatch, member_a, referrer, referrer_card, refer_rule
    ):
        """Two openings with the same code: the second looked for a card before
        the first committed and checks the code after it did.  It gets the card
        the first one opened, not a "already referred" refusal."""
        real_check = svc.referral_check

        def check_after_the_other_opening_committed(**kwargs):
            monkeypatch.setattr(svc, "referral_check", real_check)
            winner = card_open(member=member_a, referral_code=referrer_card.card_no)
            check_after_the_other_opening_committed.winner = winner
            return real_check(**kwargs)

        monkeypatch.setattr(svc, "referral_check", check_after_the_other_opening_committed)
        card = card_open(member=member_a, referral_code=referrer_card.card_no)
        assert card.pk == check_after_the_other_opening_committed.winner.pk
        assert Referral.objects.count() == 1 and _balance(referrer) == RULE_POINTS


# --- concurrency -----------------------------------------------------------------------------------


@pytest.mark.concurrency
@pytest.mark.django_db(transaction=True)
class TestConcurrency:
    def test_concurrent_openings_of_one_card_pay_the_referrer_once(self, member_a, referrer, referrer_card, refer_rule):
        results = run_together(lambda i: card_open(member=member_a, referral_code=referrer_card.card_no), 6)
        assert all(isinstance(r, MembershipCard) for r in results), results
        assert len({r.pk for r in results}) == 1
        assert Referral.objects.count() == 1 and _referral_entries(referrer).count() == 1
        assert _balance(referrer) == RULE_POINTS

    def test_concurrent_friends_respect_the_monthly_cap(self, make_member, store_a, referrer, referrer_card, refer_rule):
        MembershipSettings.current()
        MembershipSettings.objects.filter(pk=1).update(referral_monthly_cap=2)
        friends = [make_member(store_a, name=f"好友{i}") for i in range(5)]
        results = run_together(lambda i: card_open(member=friends[i], referral_code=referrer_card.card_no), 5)
        assert all(isinstance(r, MembershipCard) for r in results), results
        assert Referral.objects.count() == 5
        assert sorted(Referral.objects.values_list("rewarded_points", flat=True)) == [0, 0, 0, RULE_POINTS, RULE_POINTS]
        assert _balance(referrer) == 2 * RULE_POINTS


# --- owner API -----------------------------------------------------------------------------------


@pytest.mark.django_db
class TestApi:
    url = "/api/v1/me/card/"

    def test_open_with_a_code_then_the_referrer_sees_the_friend(
        self, api_as, owner_a, member_a, referrer, referrer_card, refer_rule, make_staff
    ):
        from accounts.models import Role, User

        opened = api_as(owner_a).post(self.url, {"referral_code": referrer_card.card_no}, format="json")
        assert opened.status_code == 201, opened.json()
        assert Referral.objects.filter(referee=member_a, referrer=referrer).exists()
        login = User.objects.create(username="referrer", role=Role.OWNER, phone=referrer.mobile)
        Member.objects.filter(pk=referrer.pk).update(user=login)
        body = api_as(login).get(reverse("api:membership:my-referrals")).json()
        assert body["code"] == referrer_card.card_no
        assert body["share_url"] == f"http://testserver/m/membership/join/?ref={referrer_card.card_no}"
        assert (body["count"], body["points_earned"]) == (1, RULE_POINTS)
        assert body["results"][0]["referee"] == "李* 138****5678"
        assert body["results"][0]["rewarded_points"] == RULE_POINTS
        assert "李娜" not in str(body) and member_a.mobile not in str(body)

    def test_without_a_card_there_is_no_code(self, api_as, owner_a):
        body = api_as(owner_a).get(reverse("api:membership:my-referrals")).json()
        assert body == {"code": None, "share_url": None, "count": 0, "points_earned": 0, "next": None,
                        "previous": None, "results": []}

    def test_only_my_referrals_are_listed(self, api_as, owner_a, member_a, card_a, make_member, store_a, referrer_card, refer_rule):
        card_open(member=make_member(store_a, name="别人"), referral_code=referrer_card.card_no)
        body = api_as(owner_a).get(reverse("api:membership:my-referrals")).json()
        assert body["code"] == card_a.card_no and body["count"] == 0 and body["results"] == []

    @pytest.mark.parametrize(("setup", "code"), [("unknown", "referral_code_unknown"), ("old", "referral_not_new_member")])
    def test_unusable_code_is_a_400_field_error_and_no_card(self, api_as, owner_a, member_a, referrer_card, refer_rule, setup, code):
        sent = referrer_card.card_no
        if setup == "unknown":
            sent = "DO999999999999"
        else:
            Member.objects.filter(pk=member_a.pk).update(joined_at=timezone.now() - dt.timedelta(days=45))
        response = api_as(owner_a).post(self.url, {"referral_code": sent}, format="json")
        assert response.status_code == 400
        assert response.json()["code"] == code and list(response.json()["fields"]) == ["referral_code"]
        assert not MembershipCard.objects.filter(member=member_a).exists()
        assert not Referral.objects.exists()

    def test_too_long_code_is_a_400(self, api_as, owner_a, tiers):
        response = api_as(owner_a).post(self.url, {"referral_code": "D" * 33}, format="json")
        assert response.status_code == 400 and "referral_code" in response.json()["fields"]

    def test_retry_with_the_idempotency_key_replays_and_pays_once(self, api_as, owner_a, member_a, referrer, referrer_card, refer_rule):
        client = api_as(owner_a)
        data = {"referral_code": referrer_card.card_no}
        first = client.post(self.url, data, format="json", HTTP_IDEMPOTENCY_KEY="open-ref-1")
        second = client.post(self.url, data, format="json", HTTP_IDEMPOTENCY_KEY="open-ref-1")
        assert first.status_code == second.status_code == 201
        assert second["Idempotent-Replayed"] == "true" and second.json() == first.json()
        # A retry without the header (or with a new key) gets the card back, no second referral.
        third = client.post(self.url, data, format="json", HTTP_IDEMPOTENCY_KEY="open-ref-2")
        assert third.status_code == 200 and third.json()["card_no"] == first.json()["card_no"]
        assert Referral.objects.count() == 1 and _referral_entries(referrer).count() == 1
        assert _balance(referrer) == RULE_POINTS

    def test_blank_code_opens_without_referral(self, api_as, owner_a, member_a, tiers):
        assert api_as(owner_a).post(self.url, {"referral_code": ""}, format="json").status_code == 201
        assert not Referral.objects.exists()


# --- mini-site -------------------------------------------------------------------------------------


@pytest.mark.django_db
class TestMobile:
    def test_join_link_survives_the_sms_sign_in_and_opens_the_card_with_the_code(
        self, client, store_a, referrer, referrer_card, refer_rule, tiers, sms_code_for,
        django_capture_on_commit_callbacks,
    ):
        new_mobile = "13900002222"
        response = client.get(reverse("mobile:membership:join"), {"ref": referrer_card.card_no.lower()})
        assert response.status_code == 302 and response["Location"] == reverse("mobile:membership:card")
        response = client.get(response["Location"], follow=True)  # → mobile:login → SMS code page
        login_url = response.redirect_chain[-1][0]
        assert login_url.startswith(reverse("account_request_login_code"))
        with django_capture_on_commit_callbacks(execute=True):  # the SMS goes out after the commit
            assert client.post(login_url, {"phone": new_mobile}).status_code == 302
        response = client.post(reverse("account_confirm_login_code"),
                               {"code": sms_code_for(new_mobile), "next": reverse("mobile:membership:card")})
        assert response.status_code == 302 and response["Location"] == reverse("mobile:membership:card")
        page = client.get(reverse("mobile:membership:card")).content.decode()
        assert 'data-testid="referral-code"' in page and referrer_card.card_no[-4:] in page
        assert f'name="referral_code" value="{referrer_card.card_no}"' in page
        response = client.post(reverse("mobile:membership:card"), {"referral_code": referrer_card.card_no})
        assert response.status_code == 303
        member = Member.objects.get(mobile=new_mobile)
        assert Referral.objects.get(referee=member).referrer == referrer
        assert _balance(referrer) == RULE_POINTS
        assert "membership_referral_code" not in client.session

    def test_card_holder_sees_the_invite_section_and_qr(self, client, owner_a, member_a, card_a, make_member, store_a, refer_rule):
        card_open(member=make_member(store_a, name="周杰", mobile="13655556666"), referral_code=card_a.card_no)
        client.force_login(owner_a)
        page = client.get(reverse("mobile:membership:card")).content.decode()
        assert 'data-testid="invite"' in page
        assert f"http://testserver/m/membership/join/?ref={card_a.card_no}" in page
        assert 'data-testid="invite-count">1<' in page and f'data-testid="invite-points">{RULE_POINTS}<' in page
        assert "周* 136****6666" in page and "周杰" not in page
        qr = client.get(reverse("mobile:membership:referral-qr"))
        assert qr.status_code == 200 and qr["Content-Type"] == "image/svg+xml" and b"<svg" in qr.content

    def test_unusable_code_in_the_session_is_shown_and_dropped(self, client, owner_a, member_a, tiers):
        client.get(reverse("mobile:membership:join"), {"ref": "DO000000000000"})
        client.force_login(owner_a)
        page = client.get(reverse("mobile:membership:card")).content.decode()
        assert str(errors.REFERRAL_CODE_UNKNOWN) in page and 'name="referral_code"' not in page
        assert "membership_referral_code" not in client.session

    def test_tampered_code_on_open_shows_the_error_and_opens_nothing(self, client, owner_a, member_a, tiers):
        client.force_login(owner_a)
        response = client.post(reverse("mobile:membership:card"), {"referral_code": "DO000000000000"}, follow=True)
        assert str(errors.REFERRAL_CODE_UNKNOWN) in response.content.decode()
        assert not MembershipCard.objects.filter(member=member_a).exists()
        assert client.post(reverse("mobile:membership:card"), {}).status_code == 303  # then opens without a code
        assert MembershipCard.objects.filter(member=member_a).exists()

    @pytest.mark.parametrize("ref", ["", "<script>", "D" * 21, "推荐"])
    def test_join_ignores_what_is_not_a_card_number(self, client, ref):
        response = client.get(reverse("mobile:membership:join"), {"ref": ref})
        assert response.status_code == 302
        assert "membership_referral_code" not in client.session

    @pytest.mark.parametrize(("row", "role"), [(row, role) for row in MOBILE_MATRIX for role in ROLES],
                             ids=[f"{r[1]} {r[0]} as {role}" for r in MOBILE_MATRIX for role in ROLES])
    def test_mobile_permission_rows(self, row, role, request, client, member_a, member_b):
        name, method, expected = row[:3]
        fixture = ROLE_FIXTURES[role]
        if fixture is not None:
            sign_in(client, request.getfixturevalue(fixture))
        response = getattr(client, method.lower())(reverse(name))
        assert response.status_code == expected[role], f"{method} {name} as {role}: {response.status_code}"
        if response.status_code == 302:
            if name in MOBILE_PUBLIC:
                assert response["Location"] == reverse("mobile:membership:card")
            elif role in SESSIONLESS:
                assert response["Location"].startswith(reverse("mobile:login"))
            else:
                assert response["Location"] == reverse("portal:dashboard")


# --- portal member 360 ---------------------------------------------------------------------------


@pytest.mark.django_db
class TestMember360:
    def test_shows_who_referred_the_member_and_how_many_they_referred(
        self, client, consultant_a, member_a, referrer, referrer_card, refer_rule
    ):
        card_open(member=member_a, referral_code=referrer_card.card_no)
        client.force_login(consultant_a)
        page = client.get(reverse("portal:membership:member-360", args=[member_a.pk])).content.decode()
        assert reverse("portal:membership:member-360", args=[referrer.pk]) in page and "陈静" in page
        page = client.get(reverse("portal:membership:member-360", args=[referrer.pk])).content.decode()
        section = page.split('data-testid="m360-referred-count">')[1].split("</dd>")[0]
        assert "1 人" in section and str(RULE_POINTS) in section

    def test_a_referrer_of_another_store_is_not_revealed(
        self, client, consultant_b, hq, member_a, member_b, card_a, tiers, refer_rule
    ):
        card_open(member=member_b, referral_code=card_a.card_no)  # store A's member referred store B's
        client.force_login(consultant_b)
        page = client.get(reverse("portal:membership:member-360", args=[member_b.pk])).content.decode()
        assert "其他门店的会员" in page
        assert member_a.name not in page and member_a.masked_mobile not in page
        client.force_login(hq)
        page = client.get(reverse("portal:membership:member-360", args=[member_b.pk])).content.decode()
        assert member_a.name in page


# --- admin and demo ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_admin_lists_and_searches_referrals_read_only(client, admin_user, member_a, referrer_card, refer_rule):
    card_open(member=member_a, referral_code=referrer_card.card_no)
    client.force_login(admin_user)
    url = reverse("admin:membership_referral_changelist")
    for q in ("", member_a.mobile, referrer_card.card_no, MembershipCard.objects.get(member=member_a).card_no):
        response = client.get(url, {"q": q} if q else {})
        assert response.status_code == 200 and response.context["cl"].result_count == 1, q
    assert client.get(reverse("admin:membership_referral_add")).status_code == 403


@pytest.mark.django_db
def test_demo_owners_have_two_referrals_once(db):
    from accounts import demo as account_demo
    from membership import demo

    account_demo.seed_group()
    account_demo.seed_demo_owners()
    account_demo.seed_members(count=60, progress=False)
    first = demo.seed_membership(rng=random.Random(1))
    owners = MembershipCard.objects.filter(member__mobile__in=[row[2] for row in account_demo.DEMO_OWNERS])
    assert first["referrals"] == Referral.objects.count() > 0
    for card in owners:
        made = Referral.objects.filter(referrer=card.member)
        assert made.count() == demo.REFERRALS_PER_DEMO_OWNER
        assert _referral_entries(card.member).count() == demo.REFERRALS_PER_DEMO_OWNER
        card.refresh_from_db()
        assert card.points_balance == sum(PointsEntry.objects.filter(member=card.member).values_list("points", flat=True))
    assert demo.seed_membership(rng=random.Random(2))["referrals"] == 0
