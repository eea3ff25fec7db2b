"""Issue 14's flow from the store gate to the renewed policy: a plate event
arrives through the real signed webhook (``manage.py plate_event --url``,
the gate camera's simulator, posting to the live server); the on-duty
续保专员, signed in on a portal page, sees the alert appear without a reload
(the strip polls); opens it → the ready renewal quote → 发送给车主; the owner
accepts it on the mini-site (接受报价); the specialist marks it paid with the
new policy numbers; the policies renew (``renewal_of`` the expiring ones) and
the owner's points rise.

The policies ending in 40 days were swept into the pipeline by the daily job
(``renewals_sweep``) before the car came in.  Messages the live server
enqueues stay in django-q's ORM broker (pinned also where the run has
REDIS_URL): nothing here depends on them being delivered."""

import datetime as dt
from urllib.parse import urlparse

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from django_q.conf import Conf
from playwright.sync_api import expect

from accounts.models import Role
from insurance.models import (
    PlateAlert,
    PlateEvent,
    Policy,
    PolicyKind,
    PolicySource,
    QuoteStatus,
    Renewal,
    RenewalStage,
)
from insurance.portal.plates import POLL_SECONDS
from insurance.services_renewals import renewals_sweep
from membership.models import MembershipCard, Tier
from membership.services.cards import card_open
from tests.insurance.conftest import rating_rules  # noqa: F401  (fixture)
from tests.insurance.plates import policy_ending_in, rated_vehicle
from tests.insurance.renewal_fixtures import insurance_rule, quiet_off  # noqa: F401  (fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The strip asks every POLL_SECONDS; the alert must show by the next poll (a margin for a slow run).
ALERT_TIMEOUT_MS = (POLL_SECONDS + 5) * 1000


@pytest.fixture(autouse=True)
def orm_queue(monkeypatch):
    """What the live server enqueues waits in the database, never in a shared Redis."""
    monkeypatch.setattr(Conf, "ORM", "default")


@pytest.fixture
def due_car(member_a, brand, quiet_off):  # noqa: F811
    """member_a's car (a catalogue model, so it can be rated) with its 交强险
    and 商业险 ending in 40 days, in the pipeline; a membership card to earn on."""
    member_a.marketing_consent = True
    member_a.save(update_fields=["marketing_consent"])
    vehicle = rated_vehicle(member_a.vehicles.get(), brand)
    commercial = policy_ending_in(vehicle, 40)
    Tier.objects.get_or_create(code="normal", defaults={"name": "普卡", "level": 1, "threshold": 0,
                                                        "points_multiplier": 1})
    card_open(member=member_a)
    renewals_sweep(today=timezone.localdate())
    assert Renewal.objects.filter(vehicle=vehicle, stage=RenewalStage.TO_CONTACT).count() == 2
    return commercial


@pytest.fixture
def specialist(make_staff, store_a):
    return make_staff(Role.INSURANCE, store_a, username="s01_insurance", on_duty=True)


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


def test_plate_event_alerts_specialist_live_and_the_quote_renews_the_policy_with_points(
    page, browser, live_server, sign_in, specialist, store_a, member_a, owner_a, due_car, insurance_rule
):
    vehicle = due_car.vehicle
    points_before = MembershipCard.objects.get(member=member_a).points_balance

    # The specialist works on the pipeline page; the alert strip is on it (loaded, polling) and empty.
    sign_in(page, specialist.username)
    page.goto("/portal/insurance/renewals/")
    expect(page.get_by_test_id("renewal-list")).to_contain_text(vehicle.plate)
    expect(page.get_by_test_id("plate-alerts")).to_be_attached()
    expect(page.get_by_test_id("plate-alert")).to_have_count(0)
    page.evaluate("window.__sameDocument = true")  # gone if the page were reloaded

    # The gate camera sees the car: a signed event through the real webhook of the live server.
    call_command("plate_event", store_a.code, vehicle.plate, event_id="S01-CAM1-0001", url=live_server.url)
    event = PlateEvent.objects.get(store=store_a, event_id="S01-CAM1-0001")
    alert = PlateAlert.objects.get(event=event)
    assert alert.recipient == specialist and alert.quote_id is not None

    strip = page.get_by_test_id("plate-alert")
    expect(strip).to_have_count(1, timeout=ALERT_TIMEOUT_MS)
    expect(strip).to_contain_text(vehicle.plate)
    expect(strip).to_contain_text(str(alert.quote.total))
    assert page.evaluate("window.__sameDocument === true")  # it appeared without a reload

    # Open it: the ready renewal quote; send it to the owner.
    strip.get_by_test_id("plate-alert-open").click()
    page.wait_for_url(f"**/portal/insurance/quotes/{alert.quote_id}/")
    expect(page.get_by_test_id("quote-total")).to_have_text(str(alert.quote.total))
    page.get_by_role("button", name="发送给车主").click()
    expect(page.get_by_test_id("quote-status")).to_have_text("已发送")
    expect(page.get_by_test_id("renewal-stage")).to_have_text(["已报价", "已报价"])

    # The owner accepts it on the mini-site.
    owner = _owner_context(browser, live_server, owner_a)
    phone = owner.new_page()
    phone.goto("/m/insurance/")
    card = phone.locator(f"[data-testid=my-quote][data-quote='{alert.quote_id}']")
    expect(card).to_contain_text(str(alert.quote.total))
    card.get_by_role("button", name="接受报价").click()
    expect(phone.locator(f"[data-testid=my-quote][data-quote='{alert.quote_id}']")
           .get_by_test_id("my-quote-status")).to_have_text("已接受")
    owner.close()

    # The specialist sees the answer, records the payment and the new policy numbers.
    page.reload()
    expect(page.get_by_test_id("quote-status")).to_have_text("已接受")
    expect(page.get_by_test_id("renewal-stage")).to_have_text(["车主已接受", "车主已接受"])
    page.get_by_label("交强险保单号").fill("PICC-J-2027-0101")
    page.get_by_label("商业险保单号").fill("PICC-S-2027-0101")
    page.get_by_role("button", name="标记已付款/续保成功").click()
    expect(page.get_by_test_id("renewal-stage")).to_have_text(["续保成功", "续保成功"])

    alert.quote.refresh_from_db()
    assert alert.quote.status == QuoteStatus.ACCEPTED
    renewed = {p.kind: p for p in Policy.objects.filter(source=PolicySource.RENEWAL, quote=alert.quote)}
    assert renewed[PolicyKind.COMMERCIAL].renewal_of == due_car
    assert renewed[PolicyKind.COMMERCIAL].number == "PICC-S-2027-0101"
    assert renewed[PolicyKind.COMPULSORY].renewal_of.kind == PolicyKind.COMPULSORY
    assert renewed[PolicyKind.COMPULSORY].start_date == due_car.end_date + dt.timedelta(days=1)
    assert set(Renewal.objects.filter(vehicle=vehicle).values_list("stage", flat=True)) == {RenewalStage.RENEWED}
    assert MembershipCard.objects.get(member=member_a).points_balance > points_before
