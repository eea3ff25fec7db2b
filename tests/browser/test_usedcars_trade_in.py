"""Issue 15's flow from a trade-in to a booked viewing: store A's used-car manager
signs in, enters member_a's car through 入库 (found with the trade-in picker by its
plate, the form filled from it, a condition report), uploads 6 photos on the car's
page (processed by the real django-q2 task: the cluster runs in sync mode here, so
each photo is ready when the upload answers), creates the listing with a price and
publishes it; an owner opens the mini-site's used-car market, filters by brand and
price (a dearer 大众 of store B drops out), opens the car and books a viewing; the lead (channel 二手车, at store A) and
the first-contact task for the used-car manager then show in the portal."""

import datetime as dt
import io
from urllib.parse import urlparse

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone
from django_q.conf import Conf
from PIL import Image
from playwright.sync_api import expect

from accounts.models import CarModel, CarSeries, Role
from leads.models import FollowUpTask, Lead
from usedcars.models import ListingState, PhotoStatus, StockSource, UsedCar
from usedcars.models_inquiries import CHANNEL_CODE, Inquiry
from usedcars.services_listings import listing_publish
from tests.usedcars.helpers import complete_listing, make_car

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def sync_tasks(monkeypatch, settings, tmp_path):
    """Tasks the live server enqueues run at once in its thread (django-q2's sync
    mode), through the ORM broker (never a shared Redis); media in a temporary folder."""
    monkeypatch.setattr(Conf, "SYNC", True)
    monkeypatch.setattr(Conf, "ORM", "default")
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def usedcar_a(make_staff, store_a):
    return make_staff(Role.USEDCAR, store_a, username="s01_usedcar")


@pytest.fixture
def vehicle_a(member_a, brand):
    """member_a's 大众帕萨特 (a catalogue model), bought in 2020."""
    vehicle = member_a.vehicles.get()
    series = CarSeries.objects.get(code="vw-passat")
    vehicle.brand, vehicle.catalogue_series = brand, series
    vehicle.catalogue_model = CarModel.objects.filter(series=series).order_by("pk").first()
    vehicle.colour, vehicle.mileage, vehicle.purchase_date = "黑色", 61000, dt.date(2020, 3, 1)
    vehicle.save()
    return vehicle


def _jpeg(i: int) -> dict:
    out = io.BytesIO()
    Image.new("RGB", (640, 480), (40 + i * 30, 90, 150)).save(out, "JPEG", quality=85)
    return {"name": f"car-{i}.jpg", "mimeType": "image/jpeg", "buffer": out.getvalue()}


def _owner_context(browser, live_server, user):
    client = Client()
    client.force_login(user)
    context = browser.new_context(base_url=live_server.url, locale="zh-CN", timezone_id="Asia/Shanghai",
                                  viewport={"width": 390, "height": 844})
    context.set_default_timeout(15_000)
    context.add_cookies([{
        "name": settings.SESSION_COOKIE_NAME, "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
        "domain": urlparse(live_server.url).hostname, "path": "/",
    }])
    return context


def test_trade_in_to_published_listing_to_a_booked_viewing_and_its_lead(
    page, browser, live_server, sign_in, usedcar_a, store_a, store_b, member_a, owner_a, vehicle_a, hq
):
    # Another 大众 on the market, above the owner's budget: the price filter leaves it out.
    dearer = complete_listing(hq, make_car(hq, store_b, model_name="2022款 迈腾"), price="150000")
    listing_publish(actor=hq, listing=dearer)

    # The used-car manager enters the trade-in from the stock list.
    sign_in(page, usedcar_a.username)
    page.goto("/portal/usedcars/")
    page.get_by_test_id("usedcar-enter").click()
    page.wait_for_url("**/portal/usedcars/new/")
    page.get_by_label("查找会员车辆").fill(vehicle_a.plate[-4:])
    page.get_by_role("button", name="查找").click()
    found = page.locator(f"[data-testid=trade-in-vehicle][data-vehicle='{vehicle_a.pk}']")
    expect(found).to_contain_text(member_a.name)
    found.get_by_role("link", name="选择").click()
    expect(page.get_by_test_id("trade-in-chosen")).to_contain_text(vehicle_a.plate)

    form = page.get_by_test_id("usedcar-entry-form")
    expect(form.get_by_label("车架号（VIN）")).to_have_value(vehicle_a.vin)
    expect(form.get_by_label("车牌号")).to_have_value(vehicle_a.plate)
    expect(form.locator("select[name=series]")).to_have_value("vw-passat")
    expect(form.locator("select[name=model_id]")).to_have_value(str(vehicle_a.catalogue_model_id))
    expect(form.get_by_label("首次上牌日期")).to_have_value("2020-03-01")
    form.get_by_label("过户次数").fill("0")
    form.get_by_label("收购价（元）").fill("95000")
    form.locator("select[name=grade]").select_option("B")
    form.get_by_label("外观漆面等级").select_option("B")
    form.get_by_label("外观漆面说明").fill("左后门轻微划痕")
    form.get_by_label("发动机等级").select_option("A")
    form.get_by_role("button", name="入库").click()

    page.wait_for_url("**/portal/usedcars/*/")
    car = UsedCar.objects.get(trade_in_vehicle=vehicle_a)
    assert (car.source, car.trade_in_vehicle, car.store) == (StockSource.TRADE_IN, vehicle_a, store_a)
    vehicle_a.refresh_from_db()
    assert vehicle_a.traded_in_at is not None
    expect(page.get_by_test_id("usedcar-condition")).to_contain_text("左后门轻微划痕")

    # 6 photos on the car's page: the task makes their sizes.
    upload = page.get_by_test_id("usedcar-photo-upload")
    upload.locator("input[type=file]").set_input_files([_jpeg(i) for i in range(6)])
    upload.locator("button[type=submit]").click()
    expect(page.get_by_test_id("usedcar-photo-status")).to_have_count(6)
    page.reload()  # in sync mode they are done when the upload answers
    expect(page.get_by_test_id("usedcar-photo-status").filter(has_text="已就绪")).to_have_count(6)
    assert car.photos.filter(status=PhotoStatus.READY).count() == 6

    # The listing with a price, then published.
    listing_form = page.get_by_test_id("usedcar-listing-form")
    listing_form.get_by_label("标题").fill("2020款 帕萨特 黑色 一手置换")
    listing_form.get_by_label("售价（元）").fill("128000")
    listing_form.get_by_role("button", name="创建车辆信息").click()
    expect(page.get_by_test_id("usedcar-listing-state")).to_have_text("草稿")
    page.get_by_test_id("usedcar-listing").get_by_role("button", name="发布").click()
    expect(page.get_by_test_id("usedcar-listing-state")).to_have_text("已发布")
    listing = car.listing
    listing.refresh_from_db()
    assert listing.state == ListingState.PUBLISHED

    # An owner finds it on the mini-site with the brand and price filters and books a viewing.
    owner = _owner_context(browser, live_server, owner_a)
    phone = owner.new_page()
    phone.goto("/m/usedcars/")
    expect(phone.get_by_test_id("usedcar-listing")).to_have_count(2)
    filters = phone.get_by_test_id("usedcar-filters")
    filters.get_by_label("品牌").select_option("vw")
    filters.get_by_label("最高价（元）").fill("130000")
    filters.get_by_role("button", name="筛选").click()
    phone.wait_for_url("**/m/usedcars/?*brand=vw*")
    expect(phone.get_by_test_id("usedcar-listing")).to_have_count(1)
    expect(phone.get_by_test_id("usedcar-listing")).to_contain_text("2020款 帕萨特")
    phone.get_by_test_id("usedcar-listing").click()
    expect(phone.get_by_test_id("usedcar-price")).to_contain_text("128000")
    when = timezone.localtime(timezone.now() + dt.timedelta(days=2)).replace(hour=10, minute=30)
    inquiry = phone.get_by_test_id("usedcar-inquiry")
    inquiry.locator("input[name=preferred_time]").fill(when.strftime("%Y-%m-%dT%H:%M"))
    inquiry.locator("textarea[name=message]").fill("周末能看车吗")
    inquiry.get_by_role("button", name="预约看车").click()
    expect(phone.get_by_text("已预约看车，门店会尽快与您确认时间。")).to_be_visible()
    owner.close()

    booked = Inquiry.objects.get()
    lead, task = booked.lead, booked.task
    assert (lead.store, lead.channel.code, lead.mobile) == (store_a, CHANNEL_CODE, member_a.mobile)
    assert (task.store, task.assignee, task.lead) == (store_a, usedcar_a, lead)

    # The portal of store A shows the lead (channel 二手车) and the manager's task.
    page.goto(f"/portal/leads/?channel={CHANNEL_CODE}")
    row = page.get_by_test_id("lead-row")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("二手车")
    expect(row).to_contain_text(store_a.name)
    expect(row).to_contain_text(member_a.name)
    page.goto("/portal/leads/tasks/")
    expect(page.get_by_test_id("task-item").filter(has_text="二手车预约看车")).to_contain_text(listing.title)
    assert Lead.objects.count() == 1 and FollowUpTask.objects.filter(assignee=usedcar_a).count() == 1
