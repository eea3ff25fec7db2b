"""Channel QR codes: created per channel/event/store in the portal; scanning
opens the public mini-site form and the lead remembers the channel."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from leads.mobile import views as mobile_views
from leads.models import ChannelQRCode, EventKind, Lead, LeadSource

pytestmark = pytest.mark.django_db

FORM = {"name": "周星", "mobile": "13622223333", "model_interest": "途岳", "intent": "test_drive", "consent": "on"}


@pytest.fixture
def qr_a(channels, store_a, hq):
    return ChannelQRCode.objects.create(channel=channels["event"], store=store_a, event_name="天河城展位", created_by=hq)


class TestPortalQRCodes:
    def test_store_staff_create_codes_for_their_own_store(self, client, consultant_a, store_a, store_b, channels):
        client.force_login(consultant_a)
        page = client.get(reverse("portal:leads:qr-list"))
        assert page.status_code == 200 and "store" not in page.context["form"].fields
        response = client.post(reverse("portal:leads:qr-list"), {
            "channel": channels["event"].pk, "event_name": "五一车展", "store": store_b.pk,
        })
        assert response.status_code == 303
        code = ChannelQRCode.objects.get()
        assert (code.store, code.channel.code, code.event_name, code.created_by) == (store_a, "event", "五一车展", consultant_a)

    def test_hq_creates_for_any_store(self, client, hq, store_b, channels):
        client.force_login(hq)
        client.post(reverse("portal:leads:qr-list"), {"channel": channels["dongchedi"].pk, "store": store_b.pk})
        assert ChannelQRCode.objects.get().store == store_b

    def test_list_is_scoped(self, client, consultant_a, consultant_b, qr_a):
        client.force_login(consultant_b)
        page = client.get(reverse("portal:leads:qr-list"))
        assert page.context["codes"] == [] and "天河城展位" not in page.content.decode()
        client.force_login(consultant_a)
        page = client.get(reverse("portal:leads:qr-list"))
        assert [c.pk for c in page.context["codes"]] == [qr_a.pk]
        form_url = "http://testserver" + reverse("mobile:leads:qr-form", args=[qr_a.token])
        assert form_url in page.content.decode()

    def test_image_encodes_the_form_url(self, client, consultant_a, consultant_b, qr_a):
        client.force_login(consultant_a)
        svg = client.get(reverse("portal:leads:qr-image", args=[qr_a.pk]))
        assert svg.status_code == 200 and svg["Content-Type"] == "image/svg+xml"
        assert svg.content.lstrip().startswith(b"<svg")
        png = client.get(reverse("portal:leads:qr-image", args=[qr_a.pk]), {"format": "png", "download": "1"})
        assert png["Content-Type"] == "image/png" and png.content.startswith(b"\x89PNG")
        assert "attachment" in png["Content-Disposition"]
        client.force_login(consultant_b)
        assert client.get(reverse("portal:leads:qr-image", args=[qr_a.pk])).status_code == 404


class TestScanForm:
    def test_form_is_public_and_creates_a_lead_with_the_channel(self, qr_a, store_a, scoring):
        client = Client(enforce_csrf_checks=True)
        url = reverse("mobile:leads:qr-form", args=[qr_a.token])
        page = client.get(url)
        assert page.status_code == 200 and store_a.name in page.content.decode()
        token = page.cookies["csrftoken"].value
        response = client.post(url, {**FORM, "csrfmiddlewaretoken": token})
        assert response.status_code == 303
        assert response["Location"] == reverse("mobile:leads:qr-thanks", args=[qr_a.token])
        lead = Lead.objects.get(mobile="13622223333")
        assert (lead.store, lead.channel.code, lead.name, lead.model_interest) == (store_a, "event", "周星", "途岳")
        source = LeadSource.objects.get(lead=lead)
        assert source.qr_code == qr_a
        assert lead.events.filter(kind=EventKind.TEST_DRIVE_BOOKED).exists()
        qr_a.refresh_from_db()
        assert qr_a.scans == 1
        thanks = client.get(response["Location"])
        assert thanks.status_code == 200 and "提交成功" in thanks.content.decode()

    def test_csrf_is_required(self, qr_a):
        client = Client(enforce_csrf_checks=True)
        response = client.post(reverse("mobile:leads:qr-form", args=[qr_a.token]), FORM)
        assert response.status_code == 403
        assert not Lead.objects.exists()

    def test_price_question_records_a_price_request(self, client, qr_a):
        client.post(reverse("mobile:leads:qr-form", args=[qr_a.token]), {**FORM, "intent": "price"})
        lead = Lead.objects.get()
        assert lead.events.filter(kind=EventKind.PRICE_REQUEST).exists()
        assert not lead.events.filter(kind=EventKind.TEST_DRIVE_BOOKED).exists()

    def test_consent_and_valid_mobile_are_required(self, client, qr_a):
        url = reverse("mobile:leads:qr-form", args=[qr_a.token])
        response = client.post(url, {**FORM, "consent": ""})
        assert response.status_code == 400 and "consent" in response.context["form"].errors
        response = client.post(url, {**FORM, "mobile": "110"})
        assert response.status_code == 400 and "mobile" in response.context["form"].errors
        assert not Lead.objects.exists()

    def test_scanning_again_merges_into_the_open_lead(self, client, qr_a, make_lead, store_a):
        existing = make_lead(store_a, mobile=FORM["mobile"], channel="autohome")
        client.post(reverse("mobile:leads:qr-form", args=[qr_a.token]), FORM)
        assert Lead.objects.count() == 1
        assert sorted(LeadSource.objects.filter(lead=existing).values_list("channel__code", flat=True)) == ["autohome", "event"]

    def test_unknown_or_disabled_token_is_404(self, client, qr_a):
        assert client.get(reverse("mobile:leads:qr-form", args=["nope"])).status_code == 404
        assert client.get(reverse("mobile:leads:qr-thanks", args=["nope"])).status_code == 404
        qr_a.channel.is_active = False
        qr_a.channel.save()
        assert client.get(reverse("mobile:leads:qr-form", args=[qr_a.token])).status_code == 404

    def test_rate_limited_per_address(self, client, qr_a, monkeypatch):
        monkeypatch.setattr(mobile_views, "RATE_LIMIT", 2)
        url = reverse("mobile:leads:qr-form", args=[qr_a.token])
        for n in range(2):
            assert client.post(url, {**FORM, "mobile": f"1362222000{n}"}).status_code == 303
        response = client.post(url, {**FORM, "mobile": "13622220009"})
        assert response.status_code == 429
        assert str(mobile_views.RATE_LIMITED) in response.content.decode()
        assert Lead.objects.count() == 2

    def test_honeypot_creates_nothing(self, client, qr_a):
        response = client.post(reverse("mobile:leads:qr-form", args=[qr_a.token]), {**FORM, "website": "http://spam"})
        assert response.status_code == 303
        assert not Lead.objects.exists()


class TestPrivacyNotice:
    """个人信息处理告知: the consent on the form links to it; a public page."""

    def test_the_consent_links_to_the_notice(self, client, qr_a):
        body = client.get(reverse("mobile:leads:qr-form", args=[qr_a.token])).content.decode()
        notice_url = reverse("mobile:leads:qr-privacy", args=[qr_a.token])
        assert f'<a href="{notice_url}" target="_blank" rel="noopener" data-testid="privacy-notice-link">《个人信息处理告知》</a>' in body
        assert 'aria-describedby="id_consent_notice"' in body and 'id="id_consent_notice"' in body
        assert "个人信息保护说明" not in body

    def test_the_notice_is_public_and_names_the_store(self, qr_a, store_a):
        store_a.phone, store_a.address = "020-88886666", "广州市天河区天河路 1 号"
        store_a.save(update_fields=["phone", "address"])
        response = Client().get(reverse("mobile:leads:qr-privacy", args=[qr_a.token]))
        assert response.status_code == 200
        body = response.content.decode()
        assert '<h1 class="h5">个人信息处理告知</h1>' in body
        for text in (store_a.name, "020-88886666", "广州市天河区天河路 1 号", "称呼、手机号、意向车型", "保存期限", "撤回同意"):
            assert text in body, text
        assert f'href="{reverse("mobile:leads:qr-form", args=[qr_a.token])}" data-testid="privacy-back"' in body
        assert 'class="mobile bg-light"' in body

    def test_the_notice_of_an_unknown_or_disabled_code_is_404(self, client, qr_a):
        assert client.get(reverse("mobile:leads:qr-privacy", args=["nope"])).status_code == 404
        qr_a.store.is_active = False
        qr_a.store.save(update_fields=["is_active"])
        assert client.get(reverse("mobile:leads:qr-privacy", args=[qr_a.token])).status_code == 404

    def test_the_notice_follows_the_language(self, client, qr_a):
        client.post("/i18n/setlang/", {"language": "en"})
        try:
            body = client.get(reverse("mobile:leads:qr-privacy", args=[qr_a.token])).content.decode()
            with translation.override("en"):
                title = translation.gettext("个人信息处理告知")
            assert '<html lang="en">' in body and f'<h1 class="h5">{title}</h1>' in body
        finally:
            translation.activate("zh-hans")
