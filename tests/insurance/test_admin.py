"""Insurance in the admin: insurers and every rating table are edited there;
policies and quotes (service-written) are read-only."""

from __future__ import annotations

import datetime

import pytest
from django.contrib import admin
from django.urls import reverse

from insurance import models
from insurance.models import NcdCoefficient, Policy, PolicyKind, Quote
from insurance.services_rating import CoverageRequest, RatingInput, calculate
from tests.insurance.conftest import TODAY

pytestmark = pytest.mark.django_db

EDITABLE = [models.Insurer, models.Region, models.PlatePrefix, models.CompulsoryBasePremium,
            models.CompulsoryFloatingRate, models.VehicleTaxRate, models.Coverage, models.CommercialBenchmark,
            models.NcdCoefficient, models.PricingCoefficientRange, models.ViolationCoefficientRange]


def test_admin_pages_open(client, admin_user, make_policy, vehicle_a):
    policy = make_policy(vehicle_a, PolicyKind.COMMERCIAL)
    client.force_login(admin_user)
    for model in [*EDITABLE, Policy, Quote]:
        url = reverse(f"admin:insurance_{model._meta.model_name}_changelist")
        assert client.get(url).status_code == 200, url
    assert client.get(reverse("admin:insurance_policy_change", args=[policy.pk])).status_code == 200
    row = models.CommercialBenchmark.objects.first()
    assert client.get(reverse("admin:insurance_commercialbenchmark_change", args=[row.pk])).status_code == 200


def test_rating_tables_are_editable_policies_and_quotes_read_only(rf, admin_user):
    request = rf.get("/")
    request.user = admin_user
    for model in EDITABLE:
        assert admin.site._registry[model].has_add_permission(request), model
        assert admin.site._registry[model].has_change_permission(request), model
    for model in (Policy, Quote):
        model_admin = admin.site._registry[model]
        assert not model_admin.has_add_permission(request)
        assert not model_admin.has_change_permission(request)
        assert not model_admin.has_delete_permission(request)


def test_a_rule_added_in_admin_takes_effect_on_its_date(client, admin_user):
    client.force_login(admin_user)
    response = client.post(reverse("admin:insurance_ncdcoefficient_add"),
                           {"level": "-1", "coefficient": "0.85", "effective_from": TODAY.isoformat()})
    assert response.status_code == 302, response.content.decode()[:2000]
    assert NcdCoefficient.objects.filter(level=-1).count() == 2

    def premium(start):
        inp = RatingInput(usage="family", seats=5, start_date=start, plate="粤A12345", ncd_level=-1,
                          coverages=[CoverageRequest("third_party", 1000000)])
        return calculate(inp, today=start).lines[0].premium

    assert str(premium(TODAY - datetime.timedelta(days=1))) == "1224.00"  # 1,530 × 0.8
    assert str(premium(TODAY)) == "1300.50"  # 1,530 × 0.85
