"""/portal/insurance/quote/: the form of the quote API's inputs; a valid quote
is kept and shown with the breakdown and the factors used; refusals land on
their fields; another store's quote is a 404; the page is in the menu and in
Chinese without codes."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from insurance.models import Quote
from tests.test_web_zh_code_words import CODE_WORDS, _choice_codes, _code_words_in, _text

pytestmark = pytest.mark.django_db

URL = "/portal/insurance/quote/"


def form_data(**extra):
    start = timezone.localdate() + datetime.timedelta(days=20)
    return {
        "plate": "粤A12345", "usage": "family", "seats": "5", "displacement": "1.5", "vehicle_price": "150000",
        "region": "", "start_date": start.isoformat(), "insurer": "picc", "compulsory_history": "A3",
        "ncd_level": "-1", "pricing_coefficient": "0.85",
        "cov_vehicle_damage": "on", "cov_third_party": "on", "sum_third_party": "1000000",
        "cov_driver_seat": "on", "sum_driver_seat": "10000", "cov_passenger_seat": "on", "sum_passenger_seat": "10000",
        **extra,
    }


def test_url():
    assert reverse("portal:insurance:quote") == URL


def test_the_form_shows_the_inputs_and_coverages(client, consultant_a):
    client.force_login(consultant_a)
    with translation.override("zh-hans"):
        response = client.get(URL)
    html = response.content.decode()
    assert response.status_code == 200
    for label in ("车牌号", "使用性质", "起保日期", "保险公司", "自主定价系数", "机动车损失保险", "第三者责任保险",
                  "附加车轮单独损失险", "按出险记录自动计算", "人保财险"):
        assert label in html, label


def test_a_valid_quote_is_kept_and_shown_with_its_factors(client, consultant_a):
    client.force_login(consultant_a)
    response = client.post(URL, form_data())
    assert response.status_code == 303
    quote = Quote.objects.get()
    assert response["Location"] == reverse("portal:insurance:quote-detail", args=[quote.pk])
    assert str(quote.total) == "3466.20" and quote.store == consultant_a.store
    with translation.override("zh-hans"):
        html = client.get(response["Location"]).content.decode()
    for shown in ("665.00", "基础保费 950.00", "浮动比率 -0.30", "360.00", "1305.60", "基准保费 1920.00",
                  "无赔款优待系数 0.80", "自主定价系数 0.85", "2441.20", "3466.20", "广东", "人工填写",
                  "上三个及以上年度未发生有责任道路交通事故", "0.50–1.50"):
        assert shown in html, shown


def test_refusals_land_on_their_fields(client, consultant_a):
    client.force_login(consultant_a)
    response = client.post(URL, form_data(pricing_coefficient="1.60"))
    assert response.status_code == 400
    assert "自主定价系数应在 0.50–1.50 之间" in response.content.decode()
    response = client.post(URL, form_data(cov_vehicle_damage="", cov_wheel_damage="on", sum_wheel_damage="2000"))
    assert response.status_code == 400
    assert response.context["form"].errors["cov_wheel_damage"] == ["附加车轮单独损失险需同时投保机动车损失保险。"]
    response = client.post(URL, form_data(seats="1"))
    assert "seats_passenger_seat" in response.context["form"].errors
    response = client.post(URL, form_data(start_date=(timezone.localdate() - datetime.timedelta(days=1)).isoformat()))
    assert response.context["form"].errors["start_date"] == ["起保日期不能早于今天。"]
    assert Quote.objects.count() == 0


def test_another_stores_vehicle_and_quote_are_404(client, consultant_a, consultant_b, member_a):
    vehicle = member_a.vehicles.get()
    client.force_login(consultant_b)
    assert client.post(URL, form_data(plate=vehicle.plate)).status_code == 404
    client.force_login(consultant_a)
    client.post(URL, form_data(plate=vehicle.plate))
    quote = Quote.objects.get()
    assert quote.vehicle == vehicle
    client.force_login(consultant_b)
    assert client.get(reverse("portal:insurance:quote-detail", args=[quote.pk])).status_code == 404


def test_opening_from_a_vehicle_prefills_its_plate(client, consultant_a, consultant_b, member_a):
    vehicle = member_a.vehicles.get()
    client.force_login(consultant_a)
    assert client.get(f"{URL}?vehicle={vehicle.pk}").context["form"].initial["plate"] == vehicle.plate
    client.force_login(consultant_b)
    assert client.get(f"{URL}?vehicle={vehicle.pk}").context["form"].initial == {}


def test_the_menu_has_the_insurance_section(client, consultant_a):
    client.force_login(consultant_a)
    with translation.override("zh-hans"):
        html = client.get(reverse("portal:dashboard")).content.decode()
    assert "保费试算" in html and f"href=\"{URL}\"" in html  # one entry: shown as a plain link


def test_pages_in_chinese_show_no_codes(client, consultant_a):
    client.force_login(consultant_a)
    location = client.post(URL, form_data(plate="粤B12345"))["Location"]
    words = CODE_WORDS | _choice_codes() | {"vehicle_damage", "third_party", "guangdong", "shenzhen", "picc"}
    with translation.override("zh-hans"):
        for path in (URL, location):
            text = _text(client.get(path, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode())
            assert _code_words_in(text, words) == [], path


def test_quote_list_shows_the_stores_quotes_only(client, consultant_a, consultant_b, member_a):
    client.force_login(consultant_a)
    client.post(URL, form_data(plate=member_a.vehicles.get().plate))
    quote = Quote.objects.get()
    detail = reverse("portal:insurance:quote-detail", args=[quote.pk])
    html = client.get(reverse("portal:insurance:quote-list")).content.decode()
    assert detail in html and member_a.masked_mobile in html and member_a.mobile not in html
    client.force_login(consultant_b)
    html = client.get(reverse("portal:insurance:quote-list")).content.decode()
    assert detail not in html and "还没有报价" in html
