"""A visitor who is not signed in asks about a car or books a viewing on the mini-site
with their name, mobile and an SMS code: the code is the one-time code machinery of
``accounts.auth.phone_codes`` (single use, tries and lifetime as the owner sign-in
code, its request rate-limited with the sign-in code's allowance); the lead is the
owner's (channel used car, holding store, listing, task for the used-car manager),
found or created by mobile; no account is opened."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from allauth.account import app_settings
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from accounts.models import Channel, Member, OutboxMessage, Role, User
from leads.models import FollowUpTask, Lead, LeadSource, TaskKind
from leads.services.ingest import lead_ingest
from usedcars import exceptions as errors
from usedcars.models import Inquiry, InquiryKind
from usedcars.mobile.views import VISITOR_CODE_SESSION_KEY
from tests.usedcars.test_public_api import published

MOBILE = "13912345678"


@pytest.fixture
def listing_b(hq, store_b, make_staff):
    make_staff(Role.USEDCAR, store_b, username="s02_usedcar")
    return published(hq, store_b, price="88000")


def _url(listing):
    return reverse("mobile:usedcars:visitor-inquiry", kwargs={"pk": listing.pk})


def _send(client, listing, mobile=MOBILE, name="王先生", capture=None):
    data = {"send_code": "1", "name": name, "mobile": mobile}
    if capture is None:
        return client.post(_url(listing), data)
    with capture(execute=True):
        return client.post(_url(listing), data)


def _ask(client, listing, code, *, kind="question", mobile=MOBILE, name="王先生", **extra):
    return client.post(_url(listing), {"kind": kind, "name": name, "mobile": mobile, "code": code,
                                        "message": "还能便宜吗", **extra})


def _field_errors(response, field):
    return [str(e) for e in response.context["visitor_form"].errors.get(field, [])]


def test_the_cars_page_offers_a_visitor_the_form(client, listing_b):
    page = client.get(reverse("mobile:usedcars:detail", kwargs={"pk": listing_b.pk})).content.decode()
    assert 'data-testid="usedcar-visitor-inquiry"' in page and 'data-testid="usedcar-send-code"' in page


def test_a_visitor_with_the_right_code_gets_the_lead_at_the_holding_store_with_a_task(
        client, listing_b, store_b, sms_code_for, django_capture_on_commit_callbacks):
    sent = _send(client, listing_b, mobile="139 1234 5678", capture=django_capture_on_commit_callbacks)
    assert sent.status_code == 200 and "139****5678" in sent.content.decode()
    row = OutboxMessage.objects.get(recipient=MOBILE, channel=Channel.SMS)
    assert row.template == "SMS_VISITOR_CODE" and sms_code_for(MOBILE) not in row.body  # masked in the outbox

    response = _ask(client, listing_b, sms_code_for(MOBILE))

    assert response.status_code == 302, response.context and response.context["visitor_form"].errors
    inquiry = Inquiry.objects.get()
    assert (inquiry.listing, inquiry.store, inquiry.member, inquiry.name, inquiry.mobile) == (
        listing_b, store_b, None, "王先生", MOBILE)
    lead = inquiry.lead
    assert lead.channel.code == "usedcar" and lead.store == store_b and lead.name == "王先生"
    task = FollowUpTask.objects.get(lead=lead)
    assert task.kind == TaskKind.FIRST_CONTACT and task.store == store_b
    assert task.assignee.username == "s02_usedcar" and listing_b.title in task.title
    # No account was opened for the visitor, and the code state is gone from the session.
    assert not User.objects.filter(phone=MOBILE).exists() and not Member.objects.filter(mobile=MOBILE).exists()
    assert VISITOR_CODE_SESSION_KEY not in client.session


def test_a_visitor_books_a_viewing_with_a_time(client, listing_b, sms_code_for, django_capture_on_commit_callbacks):
    _send(client, listing_b, capture=django_capture_on_commit_callbacks)
    when = timezone.localtime(timezone.now() + dt.timedelta(days=3)).replace(second=0, microsecond=0)

    response = _ask(client, listing_b, sms_code_for(MOBILE), kind="viewing",
                    preferred_time=when.strftime("%Y-%m-%dT%H:%M"))

    assert response.status_code == 302
    inquiry = Inquiry.objects.get()
    assert inquiry.kind == InquiryKind.VIEWING and inquiry.preferred_time == when


def test_a_wrong_code_is_refused_on_the_code_field_and_creates_nothing(
        client, listing_b, sms_code_for, django_capture_on_commit_callbacks):
    _send(client, listing_b, capture=django_capture_on_commit_callbacks)
    wrong = "000000" if sms_code_for(MOBILE) != "000000" else "111111"

    response = _ask(client, listing_b, wrong)

    assert response.status_code == 400
    assert _field_errors(response, "code") == [str(errors.VISITOR_CODE_WRONG)]
    assert not Inquiry.objects.exists() and not Lead.objects.exists()


def test_a_mistake_in_the_form_does_not_use_the_code_up(
        client, listing_b, sms_code_for, django_capture_on_commit_callbacks):
    _send(client, listing_b, capture=django_capture_on_commit_callbacks)
    code = sms_code_for(MOBILE)

    no_time = _ask(client, listing_b, code, kind="viewing")
    then = _ask(client, listing_b, code)

    assert no_time.status_code == 400 and _field_errors(no_time, "preferred_time") == [str(errors.VIEWING_NEEDS_TIME)]
    assert then.status_code == 302 and Inquiry.objects.count() == 1


def test_too_many_wrong_codes_end_the_code(client, listing_b, sms_code_for, django_capture_on_commit_callbacks):
    _send(client, listing_b, capture=django_capture_on_commit_callbacks)
    code = sms_code_for(MOBILE)
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(app_settings.LOGIN_BY_CODE_MAX_ATTEMPTS):
        _ask(client, listing_b, wrong)
    right_too_late = _ask(client, listing_b, code)

    assert right_too_late.status_code == 400
    assert _field_errors(right_too_late, "code") == [str(errors.VISITOR_CODE_EXPIRED)]
    assert not Inquiry.objects.exists()


def test_an_expired_code_is_refused(client, listing_b, sms_code_for, django_capture_on_commit_callbacks, monkeypatch):
    _send(client, listing_b, capture=django_capture_on_commit_callbacks)
    code = sms_code_for(MOBILE)
    later = time.time() + 5 * 60 + 1
    monkeypatch.setattr("accounts.auth.phone_codes.time", type("T", (), {"time": staticmethod(lambda: later)}))

    response = _ask(client, listing_b, code)

    assert response.status_code == 400 and _field_errors(response, "code") == [str(errors.VISITOR_CODE_EXPIRED)]
    assert not Inquiry.objects.exists()


def test_a_code_is_used_once(client, listing_b, hq, store_b, sms_code_for, django_capture_on_commit_callbacks):
    other = published(hq, store_b, price="66000")
    _send(client, listing_b, capture=django_capture_on_commit_callbacks)
    code = sms_code_for(MOBILE)
    session_state = dict(client.session[VISITOR_CODE_SESSION_KEY])

    assert _ask(client, listing_b, code).status_code == 302
    # The same code again, even with the state put back in the session (a replayed cookie).
    session = client.session
    session[VISITOR_CODE_SESSION_KEY] = session_state
    session.save()
    again = _ask(client, other, code)

    assert again.status_code == 400 and _field_errors(again, "code") == [str(errors.VISITOR_CODE_EXPIRED)]
    assert Inquiry.objects.count() == 1


def test_a_code_for_one_number_does_not_prove_another(client, listing_b, sms_code_for,
                                                      django_capture_on_commit_callbacks):
    _send(client, listing_b, capture=django_capture_on_commit_callbacks)

    response = _ask(client, listing_b, sms_code_for(MOBILE), mobile="13700001111")

    assert response.status_code == 400 and _field_errors(response, "code") == [str(errors.VISITOR_CODE_EXPIRED)]
    assert not Inquiry.objects.exists()


def test_no_code_requested_is_refused(client, listing_b):
    response = _ask(client, listing_b, "123456")
    assert response.status_code == 400 and _field_errors(response, "code") == [str(errors.VISITOR_CODE_EXPIRED)]


@pytest.mark.parametrize("mobile", ["12345678901", "1391234567", "abc"])
def test_an_invalid_mobile_is_refused_before_any_code_is_sent(client, listing_b, mobile):
    response = _send(client, listing_b, mobile=mobile)
    assert response.status_code == 400 and _field_errors(response, "mobile")
    assert not OutboxMessage.objects.exists()


def test_a_name_is_needed(client, listing_b):
    response = _send(client, listing_b, name="  ")
    assert response.status_code == 400 and _field_errors(response, "name")
    assert not OutboxMessage.objects.exists()


def test_code_requests_are_rate_limited_per_number_with_the_sign_in_codes(client, listing_b, settings):
    # The sign-in code request's limit: 3 a minute per number (and 5 per IP).
    assert settings.ACCOUNT_RATE_LIMITS["login_code_request"] == "5/m/ip,3/m/key"
    answers = [_send(client, listing_b).status_code for _ in range(4)]

    assert answers == [200, 200, 200, 429]
    assert OutboxMessage.objects.filter(recipient=MOBILE).count() == 3


@override_settings(ACCOUNT_RATE_LIMITS={"login_code_request": "100/m/ip,100/m/key", "confirm_login_code": "2/m/ip"})
def test_code_tries_are_rate_limited_per_address(client, listing_b, django_capture_on_commit_callbacks):
    _send(client, listing_b, capture=django_capture_on_commit_callbacks)
    answers = [_ask(client, listing_b, "000000").status_code for _ in range(3)]
    assert answers == [400, 400, 429]


def test_the_same_mobile_twice_makes_one_lead(client, listing_b, hq, store_b, sms_code_for,
                                              django_capture_on_commit_callbacks):
    other = published(hq, store_b, price="66000")
    for listing in (listing_b, other):
        _send(client, listing, capture=django_capture_on_commit_callbacks)
        assert _ask(client, listing, sms_code_for(MOBILE)).status_code == 302

    assert Inquiry.objects.count() == 2 and Lead.objects.count() == 1
    lead = Lead.objects.get()
    assert set(Inquiry.objects.values_list("lead", flat=True)) == {lead.pk}
    assert LeadSource.objects.filter(lead=lead).count() == 2 and FollowUpTask.objects.filter(lead=lead).count() == 2


def test_a_visitor_whose_mobile_has_an_open_lead_is_merged_into_it(
        client, listing_b, store_a, sms_code_for, django_capture_on_commit_callbacks):
    existing, _ = lead_ingest(mobile=MOBILE, channel="walkin", store=store_a, name="王")
    _send(client, listing_b, capture=django_capture_on_commit_callbacks)

    assert _ask(client, listing_b, sms_code_for(MOBILE)).status_code == 302
    assert Lead.objects.get() == existing and Inquiry.objects.get().lead == existing
