"""Every 4xx answer of the API has one JSON shape:
``{"code": str, "detail": str, "fields": {field: [message, ...]}}``
(accounts/api/exceptions.py).  Each case below also pins the status and code a
mini-program or integration would branch on."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import NON_FIELD_ERRORS, TooManyFieldsSent
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework.test import APIRequestFactory, force_authenticate
from rest_framework.views import APIView

from accounts import exceptions as errors
from accounts.demo import vin_for
from accounts.exceptions import AccountsError, ApplicationError, ConflictError, NotFoundError
from accounts.models import Vehicle
from accounts.validators import PLATE_INVALID, VIN_INVALID_CHECK
from accounts.api.exceptions import DETAIL_INVALID

pytestmark = pytest.mark.django_db

VEHICLES = "/api/v1/me/vehicles/"
ME = "/api/v1/me/"


def assert_error(response, status: int, code: str | None = None) -> dict:
    """The response is ``status`` with the one error shape; returns the body."""
    assert response.status_code == status, (response.status_code, response.content[:500])
    assert response["Content-Type"].startswith("application/json")
    body = json.loads(response.content)
    assert set(body) == {"code", "detail", "fields"}, body
    assert isinstance(body["code"], str) and body["code"]
    assert isinstance(body["detail"], str) and body["detail"]
    assert isinstance(body["fields"], dict)
    for name, messages in body["fields"].items():
        assert isinstance(name, str)
        assert isinstance(messages, list) and messages, (name, messages)
        assert all(isinstance(m, str) and m for m in messages), (name, messages)
    if code is not None:
        assert body["code"] == code, body
    return body


# --- Who may call what --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "method, url",
    [("get", ME), ("patch", ME), ("get", VEHICLES), ("post", VEHICLES), ("get", "/api/v1/members/"), ("get", "/api/v1/stores/")],
)
def test_unauthenticated(api, method, url):
    response = getattr(api, method)(url, {}, format="json")
    assert response.status_code in (401, 403)
    assert_error(response, response.status_code, "not_authenticated")


def test_unauthenticated_member_detail_does_not_say_whether_it_exists(api, member_a):
    known = api.get(f"/api/v1/members/{member_a.pk}/")
    unknown = api.get("/api/v1/members/987654/")
    assert known.status_code == unknown.status_code
    assert known.json() == unknown.json()
    assert_error(known, known.status_code, "not_authenticated")


@pytest.mark.parametrize(
    "method, url",
    [
        ("get", "/api/v1/members/"),
        ("get", "/api/v1/stores/"),
        ("get", "/api/v1/members/{member}/"),
        ("post", "/api/v1/members/{member}/reveal-mobile/"),
        ("get", "/api/v1/members/{member}/vehicles/"),
    ],
)
def test_owner_calling_staff_endpoints_is_403(api_as, owner_a, member_a, method, url):
    response = getattr(api_as(owner_a), method)(url.format(member=member_a.pk))
    body = assert_error(response, 403, "permission_denied")
    assert "13812345678" not in response.content.decode()
    assert body["fields"] == {}


@pytest.mark.parametrize("method, url", [("get", ME), ("patch", ME), ("get", VEHICLES), ("post", VEHICLES)])
@pytest.mark.parametrize("who", ["consultant_a", "hq", "admin_user"])
def test_staff_calling_owner_endpoints_is_403(request, api_as, who, method, url):
    staff = request.getfixturevalue(who)
    response = getattr(api_as(staff), method)(url, {"plate": "粤A88888"}, format="json")
    assert_error(response, 403, "permission_denied")
    assert not Vehicle.objects.filter(plate="粤A88888").exists()


# --- Validation on POST /api/v1/me/vehicles/ -------------------------------------------------------


@pytest.mark.parametrize(
    "payload, field, message",
    [
        ({"plate": "粤BI2345"}, "plate", str(PLATE_INVALID)),
        ({"plate": "XA12345"}, "plate", str(PLATE_INVALID)),
        ({"vin": vin_for(5)[:8] + ("1" if vin_for(5)[8] != "1" else "2") + vin_for(5)[9:]}, "vin", str(VIN_INVALID_CHECK)),
        ({"plate": "粤A88888", "mileage": -1}, "mileage", None),
        ({"plate": "粤A88888", "mileage": "many"}, "mileage", None),
        ({"plate": "粤A88888", "purchase_date": "2024-02-30"}, "purchase_date", None),
        ({"plate": "粤A88888", "brand": "no-such-brand"}, "brand", None),
        ({"plate": 12345}, "plate", None),
    ],
)
def test_vehicle_validation_errors_name_the_field(api_as, owner_a, member_a, payload, field, message):
    response = api_as(owner_a).post(VEHICLES, payload, format="json")
    body = assert_error(response, 400, "invalid")
    assert body["detail"] == DETAIL_INVALID
    assert list(body["fields"]) == [field]
    if message is not None:
        assert body["fields"][field] == [message]
    assert member_a.vehicles.count() == 1


def test_vehicle_without_plate_or_vin(api_as, owner_a, member_a):
    for payload in ({}, {"plate": "", "vin": ""}, {"plate": None, "series": "帕萨特"}):
        response = api_as(owner_a).post(VEHICLES, payload, format="json")
        body = assert_error(response, 400, "invalid")
        assert body["detail"] == str(errors.VEHICLE_NEEDS_ID)
        assert body["fields"] == {"plate": [str(errors.VEHICLE_NEEDS_ID)]}
    assert member_a.vehicles.count() == 1


def test_several_bad_fields_are_reported_together(api_as, owner_a):
    response = api_as(owner_a).post(VEHICLES, {"plate": "粤BI2345", "mileage": -5, "vin": "SHORT"}, format="json")
    body = assert_error(response, 400, "invalid")
    assert set(body["fields"]) == {"plate", "mileage", "vin"}


def test_application_error_from_a_service(api_as, owner_a, member_b):
    """vehicle_add raises AccountsError (an ApplicationError): its code,
    message and fields come through unchanged."""
    taken = member_b.vehicles.get().plate
    response = api_as(owner_a).post(VEHICLES, {"plate": taken.lower()}, format="json")
    body = assert_error(response, 400, "plate_taken")
    assert body["detail"] == str(errors.VEHICLE_PLATE_TAKEN)
    assert body["fields"] == {"plate": [str(errors.VEHICLE_PLATE_TAKEN)]}


# --- PATCH /api/v1/me/ ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "payload, fields",
    [
        ({"birthday": "1990-13-01"}, {"birthday"}),
        ({"birthday": "yesterday"}, {"birthday"}),
        ({"gender": "x"}, {"gender"}),
        ({"gender": "x", "birthday": "1990-02-30"}, {"gender", "birthday"}),
        ({"name": "长" * 65}, {"name"}),
        ({"marketing_consent": "perhaps"}, {"marketing_consent"}),
    ],
)
def test_me_patch_validation(api_as, owner_a, member_a, payload, fields):
    response = api_as(owner_a).patch(ME, payload, format="json")
    body = assert_error(response, 400, "invalid")
    assert set(body["fields"]) == fields
    member_a.refresh_from_db()
    assert member_a.birthday is None and member_a.gender == "unknown" and member_a.name == "李娜"


def test_me_patch_with_a_list_body(api_as, owner_a):
    body = assert_error(api_as(owner_a).patch(ME, [1, 2], format="json"), 400, "invalid")
    assert list(body["fields"]) == ["non_field_errors"]


def test_me_put_is_not_allowed(api_as, owner_a):
    assert_error(api_as(owner_a).put(ME, {"name": "x"}, format="json"), 405, "method_not_allowed")


# --- 404s: unknown ids and another store's objects ----------------------------------------------------


def test_unknown_member_id(api_as, consultant_a):
    client = api_as(consultant_a)
    for url in ("/api/v1/members/987654/", "/api/v1/members/987654/vehicles/", "/api/v1/members/abc/"):
        assert_error(client.get(url), 404, "not_found")
    assert_error(client.post("/api/v1/members/987654/reveal-mobile/"), 404, "not_found")


def test_another_stores_member_is_404_like_an_unknown_one(api_as, consultant_b, member_a):
    client = api_as(consultant_b)
    other = client.get(f"/api/v1/members/{member_a.pk}/")
    unknown = client.get("/api/v1/members/987654/")
    assert_error(other, 404, "not_found")
    assert other.json() == unknown.json()  # no hint that the member exists
    assert_error(client.get(f"/api/v1/members/{member_a.pk}/vehicles/"), 404, "not_found")
    reveal = client.post(f"/api/v1/members/{member_a.pk}/reveal-mobile/")
    assert_error(reveal, 404, "not_found")
    assert "13812345678" not in reveal.content.decode()


def test_another_stores_store_is_404(api_as, consultant_b, store_a):
    assert_error(api_as(consultant_b).get(f"/api/v1/stores/{store_a.pk}/"), 404, "not_found")


def test_deleting_another_owners_vehicle_is_404(api_as, owner_a, member_b):
    vehicle = member_b.vehicles.get()
    assert_error(api_as(owner_a).delete(f"{VEHICLES}{vehicle.pk}/"), 404, "not_found")
    assert_error(api_as(owner_a).delete(f"{VEHICLES}987654/"), 404, "not_found")
    assert Vehicle.objects.filter(pk=vehicle.pk).exists()


def test_page_out_of_range(api_as, consultant_a, member_a):
    assert_error(api_as(consultant_a).get("/api/v1/members/?page=99"), 404, "not_found")


def test_bad_filter_value(api_as, consultant_a):
    body = assert_error(api_as(consultant_a).get("/api/v1/members/?gender=zz"), 400, "invalid")
    assert list(body["fields"]) == ["gender"]


def test_unknown_api_path_is_json(api_as, consultant_a):
    assert_error(api_as(consultant_a).get("/api/v1/no-such-thing/"), 404, "not_found")


# --- Bodies the parser cannot read ----------------------------------------------------------------------


def test_malformed_json_body(api_as, owner_a):
    response = api_as(owner_a).post(VEHICLES, '{"plate": "粤A88888",', content_type="application/json")
    assert_error(response, 400, "parse_error")
    assert not Vehicle.objects.filter(plate="粤A88888").exists()


def test_unsupported_media_type(api_as, owner_a):
    response = api_as(owner_a).post(VEHICLES, "plate=粤A88888", content_type="text/plain")
    assert_error(response, 415, "unsupported_media_type")


def test_an_empty_accept_header_gets_json_and_an_impossible_one_406(api_as, owner_a):
    client = api_as(owner_a)
    empty = client.get(VEHICLES, HTTP_ACCEPT="")
    assert empty.status_code == 200 and empty["Content-Type"].startswith("application/json")
    assert client.get(VEHICLES, HTTP_ACCEPT=" , ").status_code == 200
    assert_error(client.get(VEHICLES, HTTP_ACCEPT="image/png"), 406, "not_acceptable")


def test_the_schema_documents_406_everywhere_and_415_where_a_body_is_read(api_as, consultant_a):
    schema = api_as(consultant_a).get("/api/schema/", HTTP_ACCEPT="application/json").json()
    operations = [op for ops in schema["paths"].values() for op in ops.values() if isinstance(op, dict)]
    assert operations and all("406" in op["responses"] for op in operations)
    assert all("415" in op["responses"] for op in operations if "requestBody" in op)


def test_oversized_body(api_as, owner_a, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    body = json.dumps({"plate": "粤A88888", "model": "A" * 2048})
    response = api_as(owner_a).post(VEHICLES, body, content_type="application/json")
    assert_error(response, 413, "request_too_large")
    assert not Vehicle.objects.filter(plate="粤A88888").exists()


def test_disallowed_host(api_as, consultant_a):
    response = api_as(consultant_a).get("/api/v1/members/", HTTP_HOST="evil.example.com")
    assert_error(response, 400, "bad_request")


def test_portal_errors_are_html_pages(client, consultant_a):
    """Outside /api/ an error is a page (tests/accounts/test_web_error_pages.py)."""
    client.force_login(consultant_a)
    response = client.get("/portal/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


# --- WeChat login -----------------------------------------------------------------------------------------


def test_wechat_login_without_code(api):
    body = assert_error(api.post("/api/v1/auth/wechat/", {}, format="json"), 400, "invalid")
    assert list(body["fields"]) == ["code"]


def test_wechat_login_with_a_blank_code(api):
    body = assert_error(api.post("/api/v1/auth/wechat/", {"code": ""}, format="json"), 400, "invalid")
    assert list(body["fields"]) == ["code"]


def test_wechat_login_with_a_rejected_code(api):
    """The WeChat client (a service below the view) raises AccountsError."""
    body = assert_error(api.post("/api/v1/auth/wechat/", {"code": "invalid-123"}, format="json"), 400, "wechat_code_invalid")
    assert body["detail"] == str(errors.WECHAT_CODE_INVALID)
    assert body["fields"] == {"code": [str(errors.WECHAT_CODE_INVALID)]}


def test_wechat_login_throttled(api):
    statuses = [api.post("/api/v1/auth/wechat/", {}, format="json").status_code for _ in range(25)]
    assert statuses.count(429) >= 1
    response = api.post("/api/v1/auth/wechat/", {}, format="json")
    assert_error(response, 429, "throttled")
    assert "Retry-After" in response


def test_wechat_bind_with_a_bad_ticket(api_as, owner_a):
    body = assert_error(
        api_as(owner_a).post("/api/v1/auth/wechat/bind/", {"ticket": "forged"}, format="json"), 400, "wechat_ticket_invalid"
    )
    assert body["fields"] == {"ticket": [str(errors.WECHAT_TICKET_INVALID)]}


# --- The handler itself, for every exception a service may raise ---------------------------------------


def _raising_view(exc):
    class Raising(APIView):
        def get(self, request):
            raise exc

    return Raising.as_view()


def _call(exc, user):
    request = APIRequestFactory().get("/api/v1/test/")
    force_authenticate(request, user=user)
    response = _raising_view(exc)(request)
    response.render()
    return response


@pytest.mark.parametrize(
    "exc, status, code, fields",
    [
        (AccountsError("坏了", code="broken", fields={"plate": "一条消息"}), 400, "broken", {"plate": ["一条消息"]}),
        (AccountsError("坏了", fields={"a": ["x", "y"]}), 400, "error", {"a": ["x", "y"]}),
        (ApplicationError(), 400, "error", {}),
        (ApplicationError("不许", code="forbidden", status_code=403), 403, "forbidden", {}),
        (ConflictError("冲突了"), 409, "conflict", {}),
        (NotFoundError("没有"), 404, "not_found", {}),
        (DjangoValidationError({"birthday": ["日期不对"], "city": ["太长", "不认识"]}), 400, "invalid", {"birthday": ["日期不对"], "city": ["太长", "不认识"]}),
        (DjangoValidationError("整体不对"), 400, "invalid", {"non_field_errors": ["整体不对"]}),
        (DjangoValidationError(["一", "二"]), 400, "invalid", {"non_field_errors": ["一", "二"]}),
        (DjangoValidationError({NON_FIELD_ERRORS: ["约束不满足"]}), 400, "invalid", {"non_field_errors": ["约束不满足"]}),
        (TooManyFieldsSent("too many"), 400, "bad_request", {}),
        (Http404(), 404, "not_found", {}),
        (DjangoPermissionDenied(), 403, "permission_denied", {}),
    ],
)
def test_exception_handler_maps_service_exceptions(consultant_a, exc, status, code, fields):
    response = _call(exc, consultant_a)
    body = assert_error(response, status, code)
    assert body["fields"] == fields


def test_exception_handler_nested_serializer_errors(consultant_a):
    from rest_framework.exceptions import ValidationError

    exc = ValidationError({"vehicles": [{"plate": ["坏车牌"]}, {}], "address": {"city": ["必填"]}})
    body = assert_error(_call(exc, consultant_a), 400, "invalid")
    assert body["fields"] == {"vehicles.0.plate": ["坏车牌"], "address.city": ["必填"]}


def test_exception_handler_leaves_real_bugs_to_django(consultant_a):
    with pytest.raises(ZeroDivisionError):
        _call(ZeroDivisionError(), consultant_a)
