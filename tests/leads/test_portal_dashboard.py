"""The portal home with the leads panel: the consultant's day (我的一天), the
manager's team, HQ's store picker; and the targets page (目标设定)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.dates import day_start
from accounts.models import AuditLog, Role
from leads.models import (
    Appointment,
    AppointmentKind,
    AppointmentSource,
    AppointmentStatus,
    ConsultantTarget,
    EventKind,
    FollowUpTask,
    Lead,
    LeadEvent,
    PoolReview,
    ScoringConfig,
    Stage,
    TaskKind,
)
from leads.services.followup import task_create
from leads.services.targets import consultant_targets_set

pytestmark = pytest.mark.django_db

NOW = day_start(dt.date(2026, 3, 18)) + dt.timedelta(hours=10)
MONTH = dt.date(2026, 3, 1)
DASHBOARD = reverse("portal:dashboard")
TARGETS = reverse("portal:leads:targets")


@pytest.fixture(autouse=True)
def clock(monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: NOW)


@pytest.fixture
def consultant_a2(make_staff, store_a):
    return make_staff(Role.CONSULTANT, store_a, username="s01_consultant2", last_name="周", first_name="敏")


def _assign(lead, user, at=NOW - dt.timedelta(hours=1)):
    Lead.objects.filter(pk=lead.pk).update(assigned_to=user, assigned_at=at)
    lead.refresh_from_db()
    return lead


def _hot(lead, user, hot_at):
    Lead.objects.filter(pk=lead.pk).update(is_hot=True, score=80, assigned_to=user, assigned_at=hot_at)
    FollowUpTask.objects.create(
        store=lead.store, assignee=user, lead=lead, kind=TaskKind.FIRST_CALL, title=f"首呼 {lead.name}",
        due_at=hot_at + dt.timedelta(hours=ScoringConfig.current().sla_hours), created_at=hot_at,
        dedup_key=f"first_call:{lead.pk}",
    )


def _appointment(lead, consultant, starts_at, *, status=AppointmentStatus.BOOKED, car=None):
    kind = AppointmentKind.TEST_DRIVE if car else AppointmentKind.VISIT
    return Appointment.objects.create(
        store=lead.store, lead=lead, consultant=consultant, kind=kind, car=car, series=car.series if car else None,
        starts_at=starts_at, ends_at=starts_at + dt.timedelta(minutes=60 if car else 30), status=status,
        source=AppointmentSource.CONSULTANT,
    )


def _pooled(lead, at):
    Lead.objects.filter(pk=lead.pk).update(in_pool=True, pooled_at=at, assigned_to=None, assigned_at=None)


def _showroom_and_pool(make_lead, store, consultant, prefix=""):
    """Today's appointment, a no-show of yesterday with no follow-up task, a pooled lead and one pending confirmation."""
    today = day_start(NOW.date())
    _appointment(make_lead(store, name=f"{prefix}约客"), consultant, today + dt.timedelta(hours=15))
    _appointment(make_lead(store, name=f"{prefix}爽约客"), consultant, NOW - dt.timedelta(days=1),
                 status=AppointmentStatus.NO_SHOW)
    _pooled(make_lead(store, name=f"{prefix}公海客"), NOW - dt.timedelta(days=3))
    pending = make_lead(store, name=f"{prefix}战败客")
    Lead.objects.filter(pk=pending.pk).update(is_open=False, stage=Stage.DEFEATED, pool_review=PoolReview.PENDING,
                                              closed_at=NOW - dt.timedelta(hours=5))


def _day(make_lead, consultant, other, prefix=""):
    """A consultant's day: an overdue and a today task, a new lead, a hot lead past its SLA."""
    lead = _assign(make_lead(name=f"{prefix}钱多"), consultant)
    task_create(store=lead.store, assignee=consultant, lead=lead, title=f"{prefix}逾期回访", due_at=NOW - dt.timedelta(hours=3),
                dedup_key=f"p:{prefix}o")
    task_create(store=lead.store, assignee=consultant, lead=lead, title=f"{prefix}今日回访", due_at=NOW + dt.timedelta(hours=3),
                dedup_key=f"p:{prefix}t")
    task_create(store=lead.store, assignee=other, lead=lead, title=f"{prefix}别人的任务", due_at=NOW - dt.timedelta(hours=3),
                dedup_key=f"p:{prefix}x")
    hot = make_lead(name=f"{prefix}孙热")
    _hot(hot, consultant, NOW - dt.timedelta(hours=5))
    return lead, hot


class TestConsultantDay:
    def test_the_day_replaces_the_store_counts(self, client, make_lead, consultant_a, consultant_a2, scoring):
        lead, hot = _day(make_lead, consultant_a, consultant_a2)
        client.force_login(consultant_a)

        response = client.get(DASHBOARD)

        assert response.status_code == 200
        html = response.content.decode()
        assert 'data-testid="my-day"' in html and 'data-testid="dashboard-counts"' not in html
        overdue, today = (response.context["panels"][0].split(f'data-testid="day-{key}"')[1] for key in ("overdue", "today"))
        assert "逾期回访" in overdue.split('data-testid="day-today"')[0]
        assert "今日回访" in today.split('data-testid="day-hot-uncalled"')[0]
        assert "别人的任务" not in html
        # The task list's call button on each task: the overdue follow-up, the hot lead's
        # first call (overdue too) and today's; the hot lead's own call button besides.
        assert html.count('data-testid="task-call"') == 3
        # The hot lead, and each new lead (both are new) twice: in the new leads and about to
        # fall into the pool (assigned within the day, neither contacted: the first-contact limit).
        assert html.count('data-testid="lead-call"') == 5
        assert html.count('data-testid="pool-due-lead"') == 2
        assert "孙热" in html and 'data-testid="day-sla-breached"' in html
        assert 'data-testid="new-lead"' in html and "钱多" in html
        assert 'data-testid="day-month"' in html

    def test_month_numbers_against_targets(self, client, make_lead, consultant_a, manager_a, store_a):
        for n in range(2):
            lead = _assign(make_lead(), consultant_a)
            LeadEvent.objects.create(lead=lead, kind=EventKind.STAGE_CHANGED, actor=consultant_a, from_stage=Stage.NEW,
                                     to_stage=Stage.CONTACTED, occurred_at=NOW - dt.timedelta(days=n + 1))
        consultant_targets_set(store=store_a, month=MONTH, targets={consultant_a.pk: {"leads_contacted": 8}}, actor=manager_a)
        client.force_login(consultant_a)

        html = client.get(DASHBOARD).content.decode()

        assert 'data-testid="metric-leads_contacted">2 / 8<' in html
        assert 'aria-valuenow="25"' in html

    def test_the_day_masks_mobiles(self, client, make_lead, consultant_a, scoring):
        _assign(make_lead(mobile="13712345678"), consultant_a)
        _hot(make_lead(mobile="13787654321"), consultant_a, NOW - dt.timedelta(hours=1))
        client.force_login(consultant_a)
        html = client.get(DASHBOARD).content.decode()
        assert "137****5678" in html and "137****4321" in html
        assert "13712345678" not in html and "13787654321" not in html

    def test_todays_appointments_only_the_actors(self, client, make_lead, make_car, consultant_a, consultant_a2,
                                                  store_b, consultant_b):
        car = make_car()
        today = day_start(NOW.date())
        mine = _appointment(make_lead(name="试驾王", mobile="13611112222"), consultant_a, today + dt.timedelta(hours=14),
                            car=car)
        checked_in = _appointment(make_lead(name="到店李"), consultant_a, today + dt.timedelta(hours=9),
                                  status=AppointmentStatus.CHECKED_IN)
        _appointment(make_lead(name="同事的客户"), consultant_a2, today + dt.timedelta(hours=11))
        _appointment(make_lead(store_b, name="外店客户"), consultant_b, today + dt.timedelta(hours=11))
        _appointment(make_lead(name="明天的客户"), consultant_a, today + dt.timedelta(days=1, hours=10))
        client.force_login(consultant_a)

        html = client.get(DASHBOARD).content.decode()

        section = html.split('data-testid="day-appointments"')[1].split('data-testid="day-new-leads"')[0]
        assert section.count('data-testid="day-appointment"') == 2
        assert section.index(f'data-appointment="{checked_in.pk}"') < section.index(f'data-appointment="{mine.pk}"')
        assert "试驾王" in section and "136****2222" in section and "13611112222" not in html
        assert "14:00–15:00" in section and car.plate in section and "朗逸" in section and "试驾" in section
        assert "已到店" in section and "已预约" in section
        assert reverse("portal:leads:reception") in section
        assert reverse("portal:leads:lead-detail", args=[mine.lead_id]) in section
        assert 'data-testid="day-appointments-count">2<' in section
        assert "同事的客户" not in html and "外店客户" not in html and "明天的客户" not in html

    def test_leads_about_to_fall_into_the_pool(self, client, make_lead, consultant_a, consultant_a2):
        overdue = _assign(make_lead(name="超时客", mobile="13599998888"), consultant_a, NOW - dt.timedelta(hours=25))
        soon = _assign(make_lead(name="将到期客"), consultant_a, NOW - dt.timedelta(hours=20))
        fine = _assign(make_lead(name="从容客"), consultant_a, NOW - dt.timedelta(days=30))
        Lead.objects.filter(pk=fine.pk).update(stage=Stage.CONTACTED, last_contacted_at=NOW - dt.timedelta(days=1))
        _assign(make_lead(name="同事超时客"), consultant_a2, NOW - dt.timedelta(hours=25))
        _pooled(make_lead(name="已入公海客"), NOW - dt.timedelta(hours=1))
        client.force_login(consultant_a)

        html = client.get(DASHBOARD).content.decode()

        section = html.split('data-testid="day-pool-due"')[1].split('data-testid="day-month"')[0]
        assert [f'data-lead="{overdue.pk}"' in section, f'data-lead="{soon.pk}"' in section] == [True, True]
        assert section.index(f'data-lead="{overdue.pk}"') < section.index(f'data-lead="{soon.pk}"')
        assert 'data-testid="day-pool-count">2<' in section and 'data-testid="day-pool-overdue">' in section
        assert "已超时，下次收回时进入公海" in section and "135****8888" in section and "13599998888" not in html
        assert (NOW + dt.timedelta(hours=4)).astimezone(timezone.get_current_timezone()).strftime("%m-%d %H:%M") in section
        assert "从容客" not in section and "同事超时客" not in html and "已入公海客" not in html

    def test_a_dcc_agent_gets_a_day_too(self, client, make_staff, store_a):
        client.force_login(make_staff(Role.DCC, store_a))
        assert 'data-testid="my-day"' in client.get(DASHBOARD).content.decode()

    def test_staff_without_a_panel_keep_the_counts(self, client, make_staff, store_a):
        client.force_login(make_staff(Role.INSURANCE, store_a))
        response = client.get(DASHBOARD)
        assert 'data-testid="dashboard-counts"' in response.content.decode() and response.context["panels"] == []


class TestManagerAndHQ:
    def test_the_manager_sees_each_consultant_and_the_breaches(self, client, make_lead, consultant_a, consultant_a2,
                                                               manager_a, scoring):
        _day(make_lead, consultant_a, consultant_a2)
        client.force_login(manager_a)

        response = client.get(DASHBOARD)

        html = response.content.decode()
        assert 'data-testid="team-dashboard"' in html and 'data-testid="dashboard-counts"' not in html
        assert html.count('data-testid="team-row"') == 2
        row = html.split(f'data-user="{consultant_a.pk}"')[1].split("</tr>")[0]
        assert 'data-testid="team-overdue">2<' in row and 'data-testid="team-today">1<' in row
        assert 'data-testid="team-sla">1<' in row and 'data-testid="team-open">2<' in row
        assert 'data-testid="store-sla-count">1<' in html and "孙热" in html

    def test_the_manager_sees_appointments_pool_and_no_shows(self, client, make_lead, store_a, store_b, consultant_a,
                                                             consultant_a2, consultant_b, manager_a):
        _showroom_and_pool(make_lead, store_a, consultant_a)
        _showroom_and_pool(make_lead, store_b, consultant_b, prefix="外店")
        followed = _appointment(make_lead(name="已回访客", mobile="13488887777"), consultant_a2,
                                NOW - dt.timedelta(days=2), status=AppointmentStatus.NO_SHOW)
        FollowUpTask.objects.create(store=store_a, assignee=consultant_a2, lead=followed.lead, kind=TaskKind.FOLLOW_UP,
                                    title="未到店回访", due_at=NOW, created_at=NOW - dt.timedelta(days=2, hours=-1))
        _assign(make_lead(), consultant_a2, NOW - dt.timedelta(hours=26))  # past the first-contact limit
        client.force_login(manager_a)

        html = client.get(DASHBOARD).content.decode()

        row = html.split(f'data-user="{consultant_a.pk}"')[1].split("</tr>")[0]
        assert 'data-testid="team-appointments">1<' in row and 'data-testid="team-pool-due">0<' in row
        row2 = html.split(f'data-user="{consultant_a2.pk}"')[1].split("</tr>")[0]
        assert 'data-testid="team-appointments">0<' in row2
        assert 'data-testid="team-pool-due">1 ' in row2 and 'data-testid="team-pool-overdue">（超时 1）<' in row2
        pool = html.split('data-testid="store-pool"')[1].split('data-testid="store-no-shows"')[0]
        assert 'data-testid="store-pool-size">1<' in pool and 'data-testid="store-pool-age-7d">1<' in pool
        assert f'href="{reverse("portal:leads:pool-pending")}">1<' in pool
        no_shows = html.split('data-testid="store-no-shows"')[1]
        assert 'data-testid="store-no-show-count">2<' in no_shows and no_shows.count('data-testid="no-show"') == 2
        assert no_shows.index("已回访客") > no_shows.index("爽约客")  # the latest first
        assert no_shows.count('data-testid="no-show-followed"') == 1 and no_shows.count('data-testid="no-show-unfollowed"') == 1
        assert "134****7777" in no_shows and "13488887777" not in html and consultant_a2.display_name in no_shows
        assert "外店" not in html

    def test_hq_sees_the_picked_stores_pool_and_no_shows(self, client, make_lead, store_a, store_b, consultant_a,
                                                         consultant_b, hq):
        _showroom_and_pool(make_lead, store_a, consultant_a, prefix="甲店")
        _showroom_and_pool(make_lead, store_b, consultant_b, prefix="乙店")
        client.force_login(hq)

        html = client.get(DASHBOARD, {"store": store_b.pk}).content.decode()

        assert "乙店爽约客" in html and "甲店" not in html
        assert 'data-testid="store-pool-size">1<' in html and 'data-testid="store-no-show-count">1<' in html

    def test_the_manager_cannot_pick_another_store(self, client, make_lead, manager_a, store_b, make_staff, scoring):
        other = make_staff(Role.CONSULTANT, store_b, last_name="郑", first_name="外店")
        lead = make_lead(store_b, name="外店热线索")
        _hot(lead, other, NOW - dt.timedelta(hours=5))
        client.force_login(manager_a)
        html = client.get(DASHBOARD, {"store": store_b.pk}).content.decode()
        assert "外店" not in html

    def test_hq_keeps_the_overview_and_picks_a_store(self, client, make_lead, consultant_a, consultant_a2, hq, store_a,
                                                     store_b, scoring):
        _day(make_lead, consultant_a, consultant_a2)
        client.force_login(hq)

        html = client.get(DASHBOARD).content.decode()
        assert 'data-testid="dashboard-counts"' in html and 'data-testid="team-table"' not in html

        html = client.get(DASHBOARD, {"store": store_a.pk}).content.decode()
        assert 'data-testid="dashboard-counts"' in html and html.count('data-testid="team-row"') == 2

        html = client.get(DASHBOARD, {"store": store_b.pk}).content.decode()
        assert html.count('data-testid="team-row"') == 0 and "孙热" not in html


class TestQueryCounts:
    """Both dashboards stay a fixed number of queries however many leads, tasks
    and consultants the store has (grouped queries, nothing per row)."""

    def _queries(self, client, user):
        client.force_login(user)
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(DASHBOARD).status_code == 200
        return len(ctx)

    def test_consultant_and_manager_dashboards(self, client, make_lead, make_staff, store_a, consultant_a, consultant_a2,
                                               manager_a, scoring, django_assert_max_num_queries):
        _day(make_lead, consultant_a, consultant_a2, prefix="1")
        _showroom_and_pool(make_lead, store_a, consultant_a, prefix="1")
        small = self._queries(client, consultant_a), self._queries(client, manager_a)
        team = [make_staff(Role.CONSULTANT, store_a) for _ in range(5)]
        for n, user in enumerate([consultant_a, *team] * 4):
            _day(make_lead, user, consultant_a2, prefix=f"x{n}-")
            _showroom_and_pool(make_lead, store_a, user, prefix=f"x{n}-")
        large = self._queries(client, consultant_a), self._queries(client, manager_a)
        # The store's breach and no-show lists are capped: past the cap, one more query each counts them all.
        assert large[0] == small[0] and large[1] <= small[1] + 2
        # 30 before the pool and the showroom joined, plus 9 new queries: the team table's pool
        # rules and two grouped figures (today's appointments, leads about to fall into the pool),
        # the store's pool (the store, the figures, the pending list's scope and count) and the
        # no-shows (the store, the list).  The consultant's day has 3 more (appointments, pool rules,
        # pool leads), within the same bound.
        client.force_login(manager_a)
        with django_assert_max_num_queries(39):
            client.get(DASHBOARD)


class TestTargetsPage:
    def test_the_manager_sets_the_months_targets(self, client, consultant_a, consultant_a2, manager_a, store_a):
        client.force_login(manager_a)
        response = client.get(TARGETS)
        assert response.status_code == 200 and response.content.decode().count('data-testid="target-row"') == 2

        response = client.post(TARGETS, {"month": "2026-04", f"{consultant_a.pk}-leads_contacted": "25",
                                         f"{consultant_a.pk}-orders": "4", f"{consultant_a2.pk}-visits": "9"})

        assert response.status_code == 303 and "month=2026-04" in response["Location"]
        target = ConsultantTarget.objects.get(user=consultant_a)
        assert (target.month, target.leads_contacted, target.orders, target.store) == (dt.date(2026, 4, 1), 25, 4, store_a)
        assert ConsultantTarget.objects.get(user=consultant_a2).visits == 9
        assert AuditLog.objects.filter(action="leads.target.set", actor=manager_a).count() == 2
        html = client.get(TARGETS, {"month": "2026-04"}).content.decode()
        assert 'value="25"' in html

    def test_bad_figures_are_a_400_and_nothing_is_saved(self, client, consultant_a, manager_a):
        client.force_login(manager_a)
        response = client.post(TARGETS, {"month": "2026-03", f"{consultant_a.pk}-visits": "-3"})
        assert response.status_code == 400 and not ConsultantTarget.objects.exists()

    def test_another_store_is_a_404_for_a_manager(self, client, manager_a, store_b, make_staff):
        other = make_staff(Role.CONSULTANT, store_b)
        client.force_login(manager_a)
        assert client.get(TARGETS, {"store": store_b.pk}).status_code == 404
        response = client.post(TARGETS, {"store": store_b.pk, "month": "2026-03", f"{other.pk}-visits": "5"})
        assert response.status_code == 404 and not ConsultantTarget.objects.exists()

    def test_a_consultant_is_refused(self, client, consultant_a):
        client.force_login(consultant_a)
        assert client.get(TARGETS).status_code == 403
        assert client.post(TARGETS, {"month": "2026-03", f"{consultant_a.pk}-orders": "99"}).status_code == 403
        assert not ConsultantTarget.objects.exists()

    def test_hq_picks_any_store(self, client, hq, store_b, make_staff):
        other = make_staff(Role.CONSULTANT, store_b)
        client.force_login(hq)
        assert 'data-testid="targets-form"' not in client.get(TARGETS).content.decode()
        assert client.get(TARGETS, {"store": store_b.pk}).status_code == 200

        response = client.post(TARGETS, {"store": store_b.pk, "month": "2026-03", f"{other.pk}-orders": "3"})

        assert response.status_code == 303 and f"store={store_b.pk}" in response["Location"]
        assert ConsultantTarget.objects.get(user=other).store == store_b
