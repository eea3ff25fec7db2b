"""The OpenAPI schema and the Swagger UI docs page are for staff outside
DEBUG (accounts/api/docs.py); the page runs under the site's CSP, which allows
no inline script.  The browser test (tests/browser/test_api_docs.py) shows
the operations rendering in Chromium."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from accounts.auth.services import session_token_issue
from tests.accounts.test_api_errors import assert_error

pytestmark = pytest.mark.django_db

SCHEMA = "/api/schema/"
DOCS = "/api/docs/"
YAML = "application/vnd.oai.openapi"


def test_urls():
    assert (reverse("api:schema"), reverse("api:docs")) == (SCHEMA, DOCS)


@pytest.mark.parametrize("accept", [None, YAML, "application/json"])
def test_anonymous_callers_get_401_in_the_error_shape(api, accept):
    headers = {"HTTP_ACCEPT": accept} if accept else {}
    response = api.get(SCHEMA, **headers)
    assert_error(response, 401, "not_authenticated")


@pytest.mark.parametrize("accept", [None, YAML])
def test_owners_get_403_in_the_error_shape(api_as, owner_a, accept):
    headers = {"HTTP_ACCEPT": accept} if accept else {}
    assert_error(api_as(owner_a).get(SCHEMA, **headers), 403, "permission_denied")


def test_staff_read_the_schema(api_as, consultant_a):
    response = api_as(consultant_a).get(SCHEMA, HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    assert "/api/v1/transactions/" in response.json()["paths"]


def test_a_staff_session_token_reads_the_schema(api, hq):
    response = api.get(SCHEMA, HTTP_X_SESSION_TOKEN=session_token_issue(user=hq))
    assert response.status_code == 200 and response["Content-Type"].startswith(YAML)


def test_the_docs_page_sends_anonymous_visitors_to_the_staff_sign_in(client):
    response = client.get(DOCS)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('account_login')}?next={DOCS}"


def test_the_docs_page_is_forbidden_to_owners(client, owner_a):
    client.force_login(owner_a)
    assert client.get(DOCS).status_code == 403
    assert client.get(DOCS, {"script": ""}).status_code == 403


def test_schema_and_docs_are_public_in_debug(api, client, settings):
    settings.DEBUG = True
    assert api.get(SCHEMA).status_code == 200
    assert client.get(DOCS).status_code == 200
    assert client.get(DOCS, {"script": ""}).status_code == 200


def test_the_docs_page_loads_every_script_from_a_file(client, consultant_a, settings):
    """No inline script: the CSP (script-src 'self', no 'unsafe-inline')
    would block it and leave the page blank."""
    client.force_login(consultant_a)
    page = client.get(DOCS)
    assert page.status_code == 200
    policy = page["Content-Security-Policy"]
    script_src = re.search(r"script-src ([^;]*)", policy).group(1)
    assert "'unsafe-inline'" not in script_src
    html = page.content.decode()
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, re.DOTALL)
    assert scripts and all('src="' in attrs and not body.strip() for attrs, body in scripts)
    assert f'src="{DOCS}?script="' in html

    script = client.get(DOCS, {"script": ""})
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    body = script.content.decode()
    assert "SwaggerUIBundle(" in body and f'url: "{SCHEMA}"' in body
    assert '"validatorUrl": null' in body  # no image from validator.swagger.io (CSP, privacy)
