"""Integration credentials (系统接口) in Django admin: created by an admin with
the token shown once (stored hashed), revocable, audited."""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.auth.clients import api_client_authenticate
from accounts.models import ApiClient, AuditLog, Role
from accounts.scoping import store_ids_for, stores_for

pytestmark = pytest.mark.django_db


def _create(client, admin_user, **data):
    client.force_login(admin_user)
    return client.post(reverse("admin:accounts_apiclient_add"), {"name": "S01 DMS", **data})


def test_admin_creates_a_credential_and_sees_its_token_once(client, admin_user, store_a):
    response = _create(client, admin_user, store=store_a.pk)
    assert response.status_code == 200
    token = response.context["token"]
    assert token.startswith("dok_") and token in response.content.decode()
    assert "no-store" in response["Cache-Control"]  # the admin's never_cache
    credential = ApiClient.objects.get()
    assert (credential.name, credential.store, credential.user.role) == ("S01 DMS", store_a, Role.INTEGRATION)
    assert credential.token_hash != token and token not in credential.token_hash
    assert not credential.user.has_usable_password() and not credential.user.is_staff
    assert AuditLog.objects.filter(action="accounts.api_client.created", actor=admin_user).exists()
    # never again: not on the change page nor in the list
    change = client.get(reverse("admin:accounts_apiclient_change", args=[credential.pk]))
    listing = client.get(reverse("admin:accounts_apiclient_changelist"))
    assert token not in change.content.decode() and token not in listing.content.decode()
    # and it is the credential's token
    assert api_client_authenticate(token=token) == credential


def test_a_group_credential_has_no_store(client, admin_user, store_a, store_b):
    _create(client, admin_user, store="")
    credential = ApiClient.objects.get()
    assert credential.store is None
    assert set(stores_for(credential.user)) == {store_a, store_b}
    assert store_ids_for(credential.user) is None


def test_a_store_credential_sees_only_its_store(integration_a, store_a, store_b):
    assert list(stores_for(integration_a.user)) == [store_a]
    assert store_ids_for(integration_a.user) == [store_a.pk]


def test_admin_revokes_a_credential(client, admin_user, integration_a, member_a):
    client.force_login(admin_user)
    response = client.post(reverse("admin:accounts_apiclient_changelist"),
                           {"action": "revoke", "_selected_action": [integration_a.pk]})
    assert response.status_code == 302
    integration_a.refresh_from_db()
    assert integration_a.revoked_at is not None and not integration_a.user.is_active
    assert not stores_for(integration_a.user).exists()
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {integration_a.token}")
    assert api.get(reverse("api:membership:transaction-list")).status_code == 401


def test_credentials_cannot_be_deleted(client, admin_user, integration_a):
    client.force_login(admin_user)
    assert client.get(reverse("admin:accounts_apiclient_delete", args=[integration_a.pk])).status_code == 403


def test_admin_renames_a_credential_through_the_audited_service(client, admin_user, integration_a):
    client.force_login(admin_user)
    response = client.post(reverse("admin:accounts_apiclient_change", args=[integration_a.pk]), {"name": "S01 DMS 新"})
    assert response.status_code == 302
    integration_a.refresh_from_db()
    assert integration_a.name == "S01 DMS 新"
    assert integration_a.user.last_name == "S01 DMS 新"  # the audit actor's name follows
    row = AuditLog.objects.get(action="accounts.api_client.renamed")
    assert (row.actor, row.data) == (admin_user, {"before": "S01 DMS", "after": "S01 DMS 新"})
    # Saving the same name again writes nothing.
    client.post(reverse("admin:accounts_apiclient_change", args=[integration_a.pk]), {"name": "S01 DMS 新"})
    assert AuditLog.objects.filter(action="accounts.api_client.renamed").count() == 1
