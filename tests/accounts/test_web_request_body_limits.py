"""Request bodies have limits: JSON nested deeper than ``JSON_MAX_DEPTH`` (64)
is a 400, a body larger than ``DATA_UPLOAD_MAX_MEMORY_SIZE`` a 413, never a
500 (``RecursionError``) — on DRF endpoints, on the anonymous WeChat sign-in
and on allauth's headless sign-in, which parses ``request.body`` itself.

The API answers in its one error shape, the headless views in allauth's
(``{"status", "errors": [{"code", "message"}]}``)."""

from __future__ import annotations

import json
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.test import APIRequestFactory
from rest_framework.views import APIView

from accounts.telephony import SIGNATURE_HEADER, TIMESTAMP_HEADER, webhook_sign
from accounts.api.parsers import JSON_INVALID, JSON_TOO_DEEP, json_depth_exceeds
from tests.accounts.test_api_errors import assert_error

pytestmark = pytest.mark.django_db

LIMIT = 64
WECHAT = "/api/v1/auth/wechat/"
ME = "/api/v1/me/"
HEADLESS = [
    "/_allauth/app/v1/auth/code/request",
    "/_allauth/browser/v1/auth/code/request",
    "/_allauth/app/v1/auth/login",
    "/_allauth/browser/v1/auth/login",
]
MIDDLEWARE = "accounts.middleware.RequestBodyLimitsMiddleware"


def nested_array(depth: int, leaf=1):
    """``depth`` arrays inside one another (built without recursion)."""
    value = leaf
    for _ in range(depth):
        value = [value]
    return value


def nested_object(depth: int, leaf=1):
    value = leaf
    for _ in range(depth):
        value = {"a": value}
    return value


def deep_text(kind: str, depth: int = 5000) -> str:
    """A body far beyond the recursion limit of ``json.loads`` (``json.dumps``
    itself would recurse, so the text is assembled)."""
    if kind == "array":
        return "[" * depth + "1" + "]" * depth
    return '{"a":' * depth + "1" + "}" * depth


def headless_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, (response.status_code, response.content[:300])
    body = response.json()
    assert body["status"] == status
    assert [error["code"] for error in body["errors"]] == [code]
    assert all(error["message"] for error in body["errors"])
    return body


# --- DRF endpoints ------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["array", "object"])
def test_deep_body_on_a_drf_endpoint_is_400(api_as, owner_a, member_a, kind):
    response = api_as(owner_a).patch(ME, deep_text(kind), content_type="application/json")
    body = assert_error(response, 400, "json_too_deep")
    assert body["detail"] == JSON_TOO_DEEP % {"limit": LIMIT}
    member_a.refresh_from_db()
    assert member_a.name == "李娜"


@pytest.mark.parametrize("kind", ["array", "object"])
def test_deep_body_on_the_anonymous_wechat_sign_in_is_400(api, kind):
    assert_error(api.post(WECHAT, deep_text(kind), content_type="application/json"), 400, "json_too_deep")


@pytest.mark.parametrize("kind", ["array", "object"])
def test_the_parser_refuses_deep_bodies_without_the_middleware(api, settings, kind):
    """DRF's default parser holds the limit on its own (a view reached
    without the middleware, or a body the middleware does not look at)."""
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if m != MIDDLEWARE]
    assert_error(api.post(WECHAT, deep_text(kind), content_type="application/json"), 400, "json_too_deep")


def test_depth_at_the_limit_is_accepted_one_more_is_refused(api):
    # The body's own object is the first level.
    just_fits = {"code": "wx-code-1", "extra": nested_array(LIMIT - 1)}
    assert api.post(WECHAT, just_fits, format="json").status_code == 200
    one_more = {"code": "wx-code-1", "extra": nested_object(LIMIT)}
    assert_error(api.post(WECHAT, one_more, format="json"), 400, "json_too_deep")


def test_brackets_inside_strings_do_not_count(api):
    body = {"code": "wx-code-1", "extra": "[" * 500 + '\\"{' * 500}
    assert api.post(WECHAT, body, format="json").status_code == 200


def test_unclosed_brackets_are_refused_not_crashed(api):
    assert_error(api.post(WECHAT, "[" * 5000, content_type="application/json"), 400, "json_too_deep")


@pytest.mark.parametrize("without_middleware", [False, True])
def test_oversized_json_body_is_413(api, settings, without_middleware):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    if without_middleware:
        settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if m != MIDDLEWARE]
    body = json.dumps({"code": "x" * 2048})
    assert_error(api.post(WECHAT, body, content_type="application/json"), 413, "request_too_large")


def test_a_json_string_field_too_deep_for_the_serializer_is_400(consultant_a):
    """JSON text inside a form field (a ``JSONField(binary=True)``) is parsed
    by the serializer, after the body limits: its RecursionError is a 400."""

    class Payload(serializers.Serializer):
        data = serializers.JSONField(binary=True)

    class View(APIView):
        permission_classes = []

        def post(self, request):
            Payload(data=request.data).is_valid(raise_exception=True)
            return Response({})

    request = APIRequestFactory().post("/api/v1/test/", {"data": deep_text("array")}, format="multipart")
    response = View.as_view()(request)
    response.render()
    assert_error(response, 400, "json_too_deep")


def test_a_signed_webhook_with_a_deep_non_json_typed_body_is_400(client, settings):
    body = deep_text("object").encode()
    now = int(time.time())
    response = client.post(
        "/api/v1/webhooks/sms/replies/", body, content_type="text/plain",
        **{"HTTP_" + TIMESTAMP_HEADER.upper().replace("-", "_"): str(now),
           "HTTP_" + SIGNATURE_HEADER.upper().replace("-", "_"): webhook_sign(body, now, settings.SMS_WEBHOOK_SECRET)},
    )
    assert_error(response, 400, "invalid")


# --- allauth headless sign-in -------------------------------------------------------------------------


@pytest.mark.parametrize("url", HEADLESS)
@pytest.mark.parametrize("kind", ["array", "object"])
def test_deep_body_on_headless_sign_in_is_400_in_allauths_shape(client, url, kind):
    headless_error(client.post(url, deep_text(kind), content_type="application/json"), 400, "json_too_deep")


def test_headless_parses_any_content_type_so_every_body_is_checked(client):
    response = client.post(HEADLESS[0], deep_text("array"), content_type="text/plain")
    headless_error(response, 400, "json_too_deep")


@pytest.mark.parametrize("url", HEADLESS)
def test_oversized_body_on_headless_sign_in_is_413(client, settings, url):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    body = json.dumps({"phone": "13800138000", "username": "x" * 2048, "password": "y"})
    headless_error(client.post(url, body, content_type="application/json"), 413, "request_too_large")


def test_headless_login_with_depth_just_under_the_limit_still_signs_in(client, consultant_a):
    body = {"username": consultant_a.username, "password": "dealerops-demo", "extra": nested_object(LIMIT - 1)}
    response = client.post(HEADLESS[2], body, content_type="application/json")
    assert response.status_code == 200, response.content
    assert response.json()["meta"]["is_authenticated"] is True


def test_headless_code_request_with_depth_just_under_the_limit_still_works(client):
    body = {"phone": "13800138000", "extra": nested_array(LIMIT - 1)}
    response = client.post(HEADLESS[0], body, content_type="application/json")
    assert response.status_code == 401, response.content  # a login by code is now pending
    assert any(flow["id"] == "login_by_code" for flow in response.json()["data"]["flows"])


def test_headless_malformed_json_keeps_allauths_answer(client):
    response = client.post(HEADLESS[2], '{"username": ', content_type="application/json")
    assert response.status_code == 400


# --- The measurement itself --------------------------------------------------------------------------


def _depth(value) -> int:
    """Nesting depth of a JSON value, iteratively."""
    deepest, stack = 0, [(value, 0)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, (list, dict)):
            level += 1
            deepest = max(deepest, level)
            stack.extend((child, level) for child in (item.values() if isinstance(item, dict) else item))
    return deepest


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(alphabet='[]{}"\\ab,:'),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(alphabet='[]{}"\\a'), children, max_size=3),
    max_leaves=40,
)


@given(value=JSON_VALUES, limit=st.integers(min_value=0, max_value=8))
def test_depth_measure_matches_the_real_depth(value, limit):
    text = json.dumps(value)
    assert json_depth_exceeds(text, limit) == (_depth(value) > limit)
    assert json_depth_exceeds(text.encode(), limit) == (_depth(value) > limit)


@pytest.mark.parametrize(
    "text, deep",
    [
        ("[" * 65, True),  # broken and deep: a recursive parser would go 65 levels down before failing
        ("[" * 64, False),
        ('["' + "[" * 100 + '"]', False),
        ('["\\"' + "[" * 100 + '"]', False),  # an escaped quote does not end the string
        ('"' + "[" * 100, True),  # an unterminated string: its brackets count (never under-estimates)
        ("]" * 100 + "[" * 64, False),
    ],
)
def test_depth_measure_on_edge_cases(text, deep):
    assert json_depth_exceeds(text, LIMIT) is deep


def test_a_recursion_error_of_the_code_is_a_500_not_a_400():
    """Only the JSON parser's RecursionError is bad input; one from the view's
    own code is a bug that must not hide as a 400 ``json_too_deep``."""

    class View(APIView):
        permission_classes = []

        def post(self, request):
            def walk(n):
                return walk(n + 1)

            return Response({"n": walk(0)})

    request = APIRequestFactory().post("/api/v1/test/", {"a": 1}, format="json")
    with pytest.raises(RecursionError):  # re-raised to Django: logged, a 500
        View.as_view()(request)


def test_a_body_that_is_not_json_is_refused_in_chinese(api):
    response = api.post(WECHAT, '{"code": ', content_type="application/json")
    body = assert_error(response, 400, "parse_error")
    assert body["detail"] == str(JSON_INVALID)
    response = api.post(WECHAT, b'{"code": "\xff"}', content_type="application/json")
    assert assert_error(response, 400, "parse_error")["detail"] == str(JSON_INVALID)
