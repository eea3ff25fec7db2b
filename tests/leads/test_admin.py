"""The leads admin: every model's pages open, ScoringConfig is a singleton
whose edits take effect on the next scoring, and actions call the services."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.urls import reverse

from accounts.models import AuditLog, Role
from leads import models
from leads.models import EventKind, FollowUpTask, LeadEvent, ScoringConfig, TaskKind, TaskStatus

pytestmark = pytest.mark.django_db

LEADS_MODELS = [m for m in admin.site._registry if m._meta.app_label == "leads"]


def test_every_leads_model_is_registered():
    from django.apps import apps

    assert set(apps.get_app_config("leads").get_models()) == set(LEADS_MODELS)


@pytest.mark.parametrize("model", LEADS_MODELS, ids=lambda m: m._meta.model_name)
def test_changelist_and_change_pages_open(client, admin_user, make_lead, scoring, consultant_a, model):
    lead = make_lead(name="周杰")
    LeadEvent.objects.create(lead=lead, kind=EventKind.TEST_DRIVE_BOOKED)
    client.force_login(admin_user)
    opts = model._meta
    response = client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"), {"q": "周"})
    assert response.status_code == 200
    obj = model.objects.first()
    if obj is not None:
        assert client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])).status_code == 200


def test_lead_page_masks_the_mobile(client, admin_user, make_lead):
    lead = make_lead(mobile="13700001234")
    client.force_login(admin_user)
    body = client.get(reverse("admin:leads_lead_change", args=[lead.pk])).content.decode()
    assert "137****1234" in body and "13700001234" not in body


def test_scoring_config_is_a_singleton(client, admin_user, scoring):
    client.force_login(admin_user)
    assert client.get(reverse("admin:leads_scoringconfig_add")).status_code == 403
    assert client.post(reverse("admin:leads_scoringconfig_delete", args=[1]), {"post": "yes"}).status_code == 403
    assert ScoringConfig.objects.count() == 1


def test_scoring_config_can_be_added_when_missing(client, admin_user):
    client.force_login(admin_user)
    assert client.get(reverse("admin:leads_scoringconfig_add")).status_code == 200


def _config_form(**changes):
    import json

    config = ScoringConfig.current()
    data = {
        "weights": json.dumps(config.weights), "half_life_days": config.half_life_days,
        "completeness_points": config.completeness_points, "hot_threshold": config.hot_threshold,
        "sla_hours": config.sla_hours, "silent_after_attempts": config.silent_after_attempts,
    }
    data.update(changes)
    return data


def test_hq_edit_in_admin_takes_effect_on_next_scoring(client, admin_user, make_lead, scoring, consultant_a):
    import json

    from leads.services import lead_event_record, lead_rescore

    lead = make_lead()
    lead_event_record(lead=lead, kind=EventKind.PRICE_REQUEST)
    client.force_login(admin_user)
    weights = {**ScoringConfig.current().weights, "price_request": 60}
    response = client.post(reverse("admin:leads_scoringconfig_change", args=[1]), _config_form(weights=json.dumps(weights)))
    assert response.status_code == 302
    lead_rescore(lead=lead)
    lead.refresh_from_db()
    assert lead.score == 60 and lead.is_hot and lead.assigned_to == consultant_a
    assert AuditLog.objects.filter(action="leads.scoring_config.changed", actor=admin_user).exists()


@pytest.mark.parametrize("weights", ['{"teleport": 5}', '{"price_request": -1}', '{"price_request": "a lot"}', "[1, 2]"])
def test_bad_weights_are_refused(client, admin_user, scoring, weights):
    client.force_login(admin_user)
    response = client.post(reverse("admin:leads_scoringconfig_change", args=[1]), _config_form(weights=weights))
    assert response.status_code == 200 and response.context["adminform"].form.errors
    assert ScoringConfig.current().weights == models.default_weights()


def test_nurture_step_refuses_unknown_kind_and_placeholder(client, admin_user):
    client.force_login(admin_user)
    url = reverse("admin:leads_nurturestep_add")
    base = {"position": 1, "delay_days": 2, "kind": "message", "channel": "sms", "is_active": "on"}
    assert client.post(url, {**base, "kind": "fax", "body": "hi"}).context["adminform"].form.errors.keys() == {"kind"}
    assert client.post(url, {**base, "body": "{phone}"}).context["adminform"].form.errors.keys() == {"body"}
    assert client.post(url, {**base, "body": "{name}您好"}).status_code == 302


def test_rescore_action_calls_the_service(client, admin_user, make_lead, scoring):
    lead = make_lead()
    LeadEvent.objects.create(lead=lead, kind=EventKind.PRICE_REQUEST)
    client.force_login(admin_user)
    client.post(reverse("admin:leads_lead_changelist"), {"action": "rescore", "_selected_action": [lead.pk]})
    lead.refresh_from_db()
    assert lead.score == 20


def test_route_hot_action_routes_unassigned_hot_leads(client, admin_user, make_lead, scoring, consultant_a):
    lead = make_lead()
    models.Lead.objects.filter(pk=lead.pk).update(is_hot=True)
    client.force_login(admin_user)
    client.post(reverse("admin:leads_lead_changelist"), {"action": "route_hot", "_selected_action": [lead.pk]})
    lead.refresh_from_db()
    assert lead.assigned_to == consultant_a
    assert FollowUpTask.objects.filter(lead=lead, kind=TaskKind.FIRST_CALL).exists()


def test_cancel_task_action_closes_through_the_service(client, admin_user, make_lead, consultant_a):
    import datetime as dt

    from django.utils import timezone

    from leads.services import task_create

    task = task_create(store=consultant_a.store, assignee=consultant_a, lead=make_lead(), title="回访",
                       due_at=timezone.now() + dt.timedelta(hours=1))
    client.force_login(admin_user)
    client.post(reverse("admin:leads_followuptask_changelist"), {"action": "cancel", "_selected_action": [task.pk]})
    task.refresh_from_db()
    assert (task.status, task.closed_by) == (TaskStatus.CANCELLED, admin_user)
    assert AuditLog.objects.filter(action="leads.task.closed", actor=admin_user).exists()


QR_ADD = "admin:leads_channelqrcode_add"


def test_admin_creates_a_qr_code_through_the_service(client, admin_user, channels, store_a):
    client.force_login(admin_user)
    response = client.post(reverse(QR_ADD), {"channel": channels["event"].pk, "store": store_a.pk, "event_name": " 车展 "})
    assert response.status_code == 302
    code = models.ChannelQRCode.objects.get()
    assert (code.store, code.event_name, code.created_by) == (store_a, "车展", admin_user)
    assert AuditLog.objects.filter(action="leads.qr_code.created", actor=admin_user, object_id=str(code.pk)).exists()


def test_admin_qr_code_refusals_show_on_the_form(client, admin_user, make_staff, channels, store_a, store_b):
    from django.contrib.auth.models import Permission

    from leads import exceptions as errors

    channels["oem"].is_active = False
    channels["oem"].save()
    client.force_login(admin_user)
    response = client.post(reverse(QR_ADD), {"channel": channels["oem"].pk, "store": store_a.pk, "event_name": ""})
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["channel"] == [str(errors.UNKNOWN_CHANNEL)]

    manager = make_staff(Role.MANAGER, store_a, is_staff=True)
    manager.user_permissions.add(*Permission.objects.filter(codename__in=["add_channelqrcode", "view_channelqrcode"]))
    client.force_login(manager)
    response = client.post(reverse(QR_ADD), {"channel": channels["event"].pk, "store": store_b.pk, "event_name": ""})
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["store"] == [str(errors.STORE_NOT_ALLOWED)]
    assert not models.ChannelQRCode.objects.exists()
    assert client.post(reverse(QR_ADD), {"channel": channels["event"].pk, "store": store_a.pk}).status_code == 302
    assert models.ChannelQRCode.objects.get().created_by == manager


def test_fleet_admin_saves_through_the_service(client, admin_user, store_a, brand):
    from accounts.models import CarModel
    from leads.models import TestDriveCar

    model = CarModel.objects.filter(series__brand=brand).first()
    client.force_login(admin_user)
    response = client.post(reverse("admin:leads_testdrivecar_add"), {
        "store": store_a.pk, "car_model": model.pk, "plate": "粤A12345", "status": "available", "is_active": "on", "note": "",
    })
    assert response.status_code == 302, response.content.decode()[:2000]
    car = TestDriveCar.objects.get()
    assert car.series == model.series
    assert AuditLog.objects.filter(action="leads.test_drive_car.created", object_id=str(car.pk)).exists()
