"""Used cars in the admin: valuation rules are edited there, the rest is read-only;
a failed photo can be queued again."""

from __future__ import annotations

from unittest import mock

import pytest
from django.contrib import admin
from django.urls import reverse

from usedcars.models import (
    ConditionReport, DepreciationRule, Listing, ListingPhoto, PhotoStatus, StoreTransfer, UsedCar,
)
from usedcars.services_photos import photo_add
from tests.usedcars.helpers import complete_listing, jpeg_upload

pytestmark = pytest.mark.django_db


def test_admin_pages_open(client, admin_user, usedcar_a, car_a):
    complete_listing(usedcar_a, car_a, photos=1)
    client.force_login(admin_user)
    for model in (UsedCar, ConditionReport, Listing, ListingPhoto, StoreTransfer, DepreciationRule):
        url = reverse(f"admin:usedcars_{model._meta.model_name}_changelist")
        assert client.get(url).status_code == 200, url
    assert client.get(reverse("admin:usedcars_usedcar_change", args=[car_a.pk])).status_code == 200
    assert client.get(reverse("admin:usedcars_listing_change", args=[car_a.listing.pk])).status_code == 200


def test_rules_are_editable_and_stock_is_read_only(rf, admin_user):
    request = rf.get("/")
    request.user = admin_user
    assert admin.site._registry[DepreciationRule].has_change_permission(request)
    for model in (UsedCar, ConditionReport, Listing, StoreTransfer):
        model_admin = admin.site._registry[model]
        assert not model_admin.has_add_permission(request) and not model_admin.has_change_permission(request)


def test_changing_a_rule_in_admin_saves_the_factor(client, admin_user):
    rule = DepreciationRule.objects.get(kind="grade", grade="A")
    client.force_login(admin_user)
    response = client.post(reverse("admin:usedcars_depreciationrule_change", args=[rule.pk]),
                           {"kind": "grade", "grade": "A", "upper_bound": "", "factor": "0.9900", "note": "调低"})
    assert response.status_code == 302
    rule.refresh_from_db()
    assert str(rule.factor) == "0.9900"


def test_requeue_action_queues_a_failed_photo_again(client, admin_user, usedcar_a, car_a,
                                                     django_capture_on_commit_callbacks):
    photo = photo_add(actor=usedcar_a, car=car_a, upload=jpeg_upload())
    ListingPhoto.objects.filter(pk=photo.pk).update(status=PhotoStatus.FAILED, error="x")
    client.force_login(admin_user)
    with mock.patch("usedcars.services_photos.django_q_tasks.async_task") as async_task:
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(reverse("admin:usedcars_listingphoto_changelist"),
                                   {"action": "requeue", "_selected_action": [photo.pk]})
    assert response.status_code == 302
    async_task.assert_called_once()
    assert ListingPhoto.objects.get(pk=photo.pk).status == PhotoStatus.PROCESSING
