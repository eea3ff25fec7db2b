"""Issue 12, end to end in the portal: a DCC agent registers an online lead;
the store's distribution rule gives it to a consultant; the manager reassigns
it; the new consultant books a test drive in a free slot; the customer's
confirmation is delivered; the consultant checks the customer in at the
reception desk and records the feedback: the lead goes visited → test-driven
and its next task appears.

Four people, four browser contexts (DCC agent, manager, consultant, HQ).
Background work runs as the queue worker would run it: ``_run_queue`` takes
what the live server enqueued (django-q's ORM broker) and runs each task in
this process, so the allocation really is the one ``lead_ingest`` enqueued
after its commit, and the confirmation the one the booking enqueued."""

import datetime as dt
import re

import pytest
from django.utils import timezone
from django.utils.module_loading import import_string
from django_q.conf import Conf
from django_q.models import OrmQ
from django_q.signing import SignedPackage
from playwright.sync_api import expect

from accounts.models import Channel as MessageChannel
from accounts.models import OutboxMessage, OutboxStatus, Role
from leads.models import (
    Appointment,
    AppointmentStatus,
    DistributionMode,
    DistributionRule,
    EventKind,
    FollowUpTask,
    Lead,
    Stage,
    StoreHours,
    TaskKind,
    TaskStatus,
)
from tests.leads.conftest import channels, lavida, make_car  # noqa: F401  (fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LEAD_DETAIL = re.compile(r"/portal/leads/\d+/$")


@pytest.fixture
def store_morning(settings):
    """The reception desk lists today's arrivals only, and a booking must start
    in the future within the store's hours: the appointment has to be later
    today.  Nothing can freeze the clock of the live server and the browser
    together, so instead the test runs in the fixed-offset zone where it is
    now 10 o'clock: the store's 09:00–18:00 day then always has free slots
    left today, whenever the suite runs (in Asia/Shanghai after 17:00 it has
    none; even 00:00–23:59 hours leave none after 22:00).  Every run takes
    the same path; the zone is the product's only clock setting
    (``TIME_ZONE``), restored after the test."""
    offset = 10 - dt.datetime.now(dt.UTC).hour  # hours east of UTC
    if offset < -12:
        offset += 24
    zone = f"Etc/GMT{-offset:+d}"  # POSIX sign: Etc/GMT-8 is UTC+8
    settings.TIME_ZONE = zone
    return zone


@pytest.fixture
def showroom(store_a, channels, make_car, make_staff, hq):  # noqa: F811
    """Store A: a round-robin rule that sends online leads straight to the
    consultants (``online_to_dcc`` off), two consultants on duty, a manager, a
    DCC agent, a 朗逸 test-drive car and 09:00–18:00 hours every day."""
    DistributionRule.objects.update_or_create(store=store_a, defaults={
        "mode": DistributionMode.ROUND_ROBIN, "online_to_dcc": False, "use_skills": False, "daily_cap": 0,
        "rr_pointer": 0,
    })
    for weekday in range(7):
        StoreHours.objects.create(store=store_a, weekday=weekday, opens=dt.time(9), closes=dt.time(18))
    people = {
        # created in this order: round robin starts with the lowest id, 周敏
        "first": make_staff(Role.CONSULTANT, store_a, username="s01_zhoumin", last_name="周", first_name="敏"),
        "second": make_staff(Role.CONSULTANT, store_a, username="s01_chengang", last_name="陈", first_name="刚"),
        "manager": make_staff(Role.MANAGER, store_a, username="s01_liuqiang", last_name="刘", first_name="强"),
        "dcc": make_staff(Role.DCC, store_a, username="s01_dcc_huangli", last_name="黄", first_name="丽"),
        "hq": hq,
    }
    people["car"] = make_car(store_a, series_name="朗逸")
    return people


@pytest.fixture
def signed_in(browser, live_server, sign_in, store_morning):
    """``signed_in(user)``: a page of a new browser context (its own cookies, in
    the test's zone) signed in as ``user``; all closed after the test."""
    contexts = []

    def open_as(user):
        context = browser.new_context(base_url=live_server.url, locale="zh-CN", timezone_id=store_morning)
        context.set_default_timeout(15_000)
        contexts.append(context)
        page = context.new_page()
        sign_in(page, user.username)
        return page

    yield open_as
    for context in contexts:
        context.close()


@pytest.fixture(autouse=True)
def orm_queue(monkeypatch):
    """The tasks the live server queues wait in django-q's ORM broker, where
    ``_run_queue`` takes them, also where the suite runs with Redis
    (``make test-pg`` sets REDIS_URL, which makes Redis the broker)."""
    monkeypatch.setattr(Conf, "ORM", "default")


def _run_queue() -> list[str]:
    """Run every task waiting in django-q's ORM broker, as a worker would (the
    tasks a task enqueues too), oldest first; returns the functions run."""
    ran = []
    while True:
        package = OrmQ.objects.order_by("id").first()
        if package is None:
            return ran
        task = SignedPackage.loads(package.payload)
        OrmQ.objects.filter(pk=package.pk).delete()
        func = task["func"] if callable(task["func"]) else import_string(task["func"])
        func(*task["args"], **task["kwargs"])
        ran.append(task["func"] if isinstance(task["func"], str) else task["func"].__name__)


def test_online_lead_from_dcc_to_test_drive_and_feedback(signed_in, showroom, member_a, delivered):
    first, second, manager, dcc, car = (showroom[k] for k in ("first", "second", "manager", "dcc", "car"))
    owner_mobile = member_a.mobile  # 李娜, a member of store A: the lead is hers
    today = timezone.localdate()
    assert dt.time(9) <= timezone.localtime().time() < dt.time(12)

    # 1. The DCC agent registers the online lead (汽车之家) in the portal.
    page = signed_in(dcc)
    page.goto("/portal/leads/")
    page.get_by_test_id("lead-create").click()
    form = page.get_by_test_id("lead-create-form")
    form.locator("input[name=mobile]").fill(owner_mobile)
    form.locator("input[name=name]").fill("李娜")
    form.locator("select[name=channel]").select_option("autohome")
    form.locator("input[name=model_interest]").fill("朗逸")
    form.locator("textarea[name=note]").fill("汽车之家留资，想本周试驾朗逸")
    form.get_by_role("button", name="保存线索").click()
    page.wait_for_url(LEAD_DETAIL)
    expect(page.get_by_role("alert")).to_contain_text("线索已创建。")
    expect(page.get_by_test_id("lead-stage")).to_have_text("新线索")
    expect(page.get_by_test_id("lead-sources")).to_contain_text("汽车之家")
    expect(page.get_by_test_id("lead-owner")).to_have_text("—")  # allocated after commit, by the worker
    lead = Lead.objects.get(mobile=owner_mobile, is_open=True)
    assert (lead.channel.code, lead.member_id, lead.series.name) == ("autohome", member_a.pk, "朗逸")
    lead_url = f"/portal/leads/{lead.pk}/"
    assert page.url.endswith(lead_url)

    # 2. The rule (round robin, online leads to consultants) gives it to 周敏.
    assert "leads.tasks.allocate_lead" in _run_queue()
    manager_page = signed_in(manager)
    manager_page.goto(lead_url)
    expect(manager_page.get_by_test_id("lead-owner")).to_have_text("周敏")
    expect(manager_page.get_by_test_id("lead-timeline")).to_contain_text("分配顾问")
    assert FollowUpTask.objects.get(lead=lead, kind=TaskKind.FIRST_CONTACT, status=TaskStatus.OPEN).assignee == first

    # 3. The manager reassigns it to 陈刚 with a reason.
    assign = manager_page.get_by_test_id("assign-form")
    assign.locator("select[name=to]").select_option(str(second.pk))
    assign.locator("input[name=reason]").fill("客户希望周末由陈刚接待")
    assign.get_by_role("button", name="确认分配").click()
    expect(manager_page.get_by_role("alert")).to_contain_text("线索已分配给陈刚。")
    expect(manager_page.get_by_test_id("lead-owner")).to_have_text("陈刚")
    first_contact = FollowUpTask.objects.get(lead=lead, kind=TaskKind.FIRST_CONTACT, status=TaskStatus.OPEN)
    assert first_contact.assignee == second  # 周敏's open task moved with the lead
    _run_queue()  # the notices to the consultants

    # 4. 陈刚 finds the lead on his day and books a test drive in the first free slot today.
    consultant = signed_in(second)
    new_leads = consultant.get_by_test_id("day-new-leads")
    expect(new_leads).to_contain_text("李娜")
    new_leads.get_by_role("link", name="李娜").click()
    consultant.wait_for_url(f"**{lead_url}")
    expect(consultant.get_by_test_id("lead-tasks")).to_contain_text(first_contact.title)
    consultant.get_by_test_id("book-appointment").click()
    search = consultant.get_by_test_id("slot-search")
    expect(search.locator("select[name=kind]")).to_have_value("test_drive")
    expect(search.locator("select[name=series]")).to_have_value(str(lead.series_id))
    search.locator("input[name=date]").fill(today.isoformat())
    search.get_by_role("button", name="查询空闲时段").click()
    first_slot = consultant.locator("input[name=starts_at]").first
    expect(first_slot).to_be_checked()
    starts = dt.datetime.fromisoformat(first_slot.get_attribute("value"))
    assert starts.date() == today and starts > timezone.localtime().replace(tzinfo=None)
    slot_text = f"{starts:%Y-%m-%d %H:%M}"
    consultant.get_by_test_id("book").click()
    consultant.wait_for_url(f"**{lead_url}")
    expect(consultant.get_by_role("alert")).to_contain_text("预约成功，已向客户发送确认。")
    booked = consultant.get_by_test_id("lead-appointment")
    expect(booked).to_contain_text(slot_text)
    expect(booked).to_contain_text("试驾 · 朗逸")
    expect(booked).to_contain_text(car.plate)
    expect(booked).to_contain_text("已预约")
    appointment = Appointment.objects.get(lead=lead)
    assert (appointment.car, appointment.consultant, timezone.localtime(appointment.starts_at).replace(tzinfo=None)) == (
        car, second, starts)

    # 5. The customer receives the confirmation (the worker sends it; HQ sees it in the outbox).
    assert "accounts.tasks.outbox_deliver" in _run_queue()
    confirmation = OutboxMessage.objects.get(template="leads.appointment_confirm")
    assert (confirmation.channel, confirmation.recipient, confirmation.member, confirmation.status) == (
        MessageChannel.SMS, owner_mobile, member_a, OutboxStatus.SENT)
    assert slot_text in confirmation.body and "朗逸" in confirmation.body
    assert [d.body for d in delivered if d.recipient == owner_mobile] == [confirmation.body]
    hq_page = signed_in(showroom["hq"])
    hq_page.goto("/portal/outbox/?status=sent")
    row = hq_page.get_by_test_id("outbox-table").locator("tr", has_text="138****5678")
    expect(row).to_contain_text(slot_text)
    expect(row).to_contain_text("已发送")
    expect(hq_page.get_by_test_id("outbox-table")).not_to_contain_text(owner_mobile)

    # 6. At the reception desk 陈刚 checks 李娜 in: the lead is visited.
    consultant.get_by_role("button", name="到店与试驾").click()  # the menu
    consultant.get_by_role("link", name="展厅接待").click()
    consultant.wait_for_url("**/portal/leads/showroom/reception/")
    arrival = consultant.get_by_test_id("arrival").filter(has_text="李娜")
    expect(arrival).to_contain_text(f"{starts:%H:%M}")
    arrival.get_by_test_id("check-in").click()
    expect(consultant.get_by_role("alert")).to_contain_text("已签到，线索已标记为到店。")
    expect(arrival).to_contain_text("已到店")  # the appointment's status

    # 7. After the drive: the feedback form; the lead is test-driven with its next task.
    arrival.get_by_test_id("feedback").click()
    feedback = consultant.get_by_test_id("feedback-form")
    feedback.locator("select[name=rating]").select_option("5")
    feedback.locator("input[name=liked]").fill("动力平顺，后排空间大")
    feedback.locator("select[name=intent]").select_option("high")
    feedback.locator("input[name=next_step]").fill("发送报价并邀约家人再试驾")
    next_at = dt.datetime.combine(today + dt.timedelta(days=1), dt.time(10, 30))
    feedback.locator("input[name=next_step_at]").fill(f"{next_at:%Y-%m-%dT%H:%M}")
    feedback.get_by_role("button", name="保存反馈").click()
    consultant.wait_for_url(f"**{lead_url}")
    expect(consultant.get_by_role("alert")).to_contain_text("反馈已保存，下一步已加入跟进任务。")
    expect(consultant.get_by_test_id("lead-stage")).to_have_text("已试驾")
    expect(consultant.get_by_test_id("lead-appointment")).to_contain_text("已完成")
    timeline = consultant.get_by_test_id("lead-timeline").inner_text()
    visited, driven = timeline.find("新线索 → 已到店"), timeline.find("已到店 → 已试驾")
    assert 0 <= driven < visited, timeline  # newest first: visited, then test-driven
    next_task = consultant.get_by_test_id("lead-tasks").locator("li", has_text="试驾后跟进：发送报价并邀约家人再试驾")
    expect(next_task).to_contain_text(f"截止 {next_at:%m-%d %H:%M}")
    expect(next_task).to_contain_text("陈刚")

    lead.refresh_from_db()
    assert (lead.stage, lead.assigned_to) == (Stage.TEST_DRIVEN, second)
    assert list(lead.events.filter(kind=EventKind.STAGE_CHANGED).order_by("occurred_at", "id")
                .values_list("from_stage", "to_stage")) == [(Stage.NEW, Stage.VISITED), (Stage.VISITED, Stage.TEST_DRIVEN)]
    appointment.refresh_from_db()
    assert (appointment.status, appointment.rating, appointment.intent) == (AppointmentStatus.COMPLETED, 5, "high")
    task = FollowUpTask.objects.get(lead=lead, kind=TaskKind.FOLLOW_UP, status=TaskStatus.OPEN)
    assert (task.assignee, timezone.localtime(task.due_at).replace(tzinfo=None)) == (second, next_at)
