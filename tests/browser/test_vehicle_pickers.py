"""An owner adds a car on the mini-site phone page by picking brand → series
→ model: each choice refreshes the next picker (htmx, no inline script under
the CSP), and the car is saved with its catalogue model."""

from urllib.parse import urlparse

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import expect

from accounts.models import CarModel

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _owner_page(browser, live_server, user):
    client = Client()
    client.force_login(user)
    context = browser.new_context(
        base_url=live_server.url, locale="zh-CN", timezone_id="Asia/Shanghai", viewport={"width": 390, "height": 844},
    )
    context.set_default_timeout(15_000)
    context.add_cookies([{
        "name": settings.SESSION_COOKIE_NAME, "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
        "domain": urlparse(live_server.url).hostname, "path": "/",
    }])
    return context, context.new_page()


def test_owner_picks_brand_series_and_model(browser, live_server, owner_a, member_a, catalogue):
    model = CarModel.objects.filter(series__code="xiaomi-su7").order_by("guide_price").first()
    context, phone = _owner_page(browser, live_server, owner_a)
    problems = []  # CSP violations, failed requests (the browser's own favicon request aside)
    phone.on("console", lambda m: problems.append(m.text) if "Content Security Policy" in m.text else None)
    phone.on("response", lambda r: problems.append(r.url) if r.status >= 400 and "favicon" not in r.url else None)
    phone.goto("/m/vehicles/")
    form = phone.get_by_test_id("vehicle-form")
    series = form.locator("select[name=series]")
    models = form.locator("select[name=model_id]")
    expect(series.locator("option")).to_have_count(1)

    form.locator("select[name=brand]").select_option("xiaomi")
    expect(series.locator("option[value=xiaomi-su7]")).to_have_count(1)
    series.select_option("xiaomi-su7")
    expect(models.locator(f"option[value='{model.pk}']")).to_contain_text("指导价")
    models.select_option(str(model.pk))
    form.locator("input[name=plate]").fill("京AD88888")
    form.get_by_role("button", name="添加").click()

    expect(phone.get_by_test_id("vehicle-list")).to_contain_text("京AD88888")
    expect(phone.get_by_test_id("vehicle-list")).to_contain_text("小米SU7")
    vehicle = member_a.vehicles.get(plate="京AD88888")
    assert (vehicle.brand.code, vehicle.catalogue_model) == ("xiaomi", model)
    assert not problems, problems
    context.close()
