"""Mobile numbers are masked wherever members are listed; showing one in full is
a deliberate, audited action; the audit log is for HQ and admins only."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts import services
from accounts.exceptions import ApplicationError
from accounts.models import AuditLog, Role

pytestmark = pytest.mark.django_db

FULL = "13812345678"  # member_a's mobile
MASKED = "138****5678"
REVEALED = "accounts.member.mobile_revealed"


# --- Masked everywhere ------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["consultant_a", "hq"])
def test_portal_member_list_masks_mobiles(client, request, member_a, member_b, role):
    client.force_login(request.getfixturevalue(role))
    body = client.get(reverse("portal:member-list")).content.decode()
    assert MASKED in body
    assert FULL not in body
    assert member_b.mobile not in body


@pytest.mark.parametrize("role", [Role.INSURANCE, Role.HQ])
def test_dashboard_masks_mobiles(client, make_staff, store_a, member_a, role):
    """The overview's recent members (HQ, and store staff without a day of
    their own); a consultant's day masks its leads (tests/leads/test_portal_dashboard.py)."""
    client.force_login(make_staff(role, store_a if role == Role.INSURANCE else None))
    body = client.get(reverse("portal:dashboard")).content.decode()
    assert MASKED in body
    assert FULL not in body


def test_portal_member_detail_masks_until_revealed(client, consultant_a, member_a):
    client.force_login(consultant_a)
    body = client.get(reverse("portal:member-detail", args=[member_a.pk])).content.decode()
    assert MASKED in body
    assert FULL not in body
    assert reverse("portal:member-reveal-mobile", args=[member_a.pk]) in body  # the reveal button
    assert not AuditLog.objects.exists()  # looking at the page reveals nothing


@pytest.mark.parametrize("role", ["consultant_a", "hq"])
def test_api_member_list_and_detail_mask_mobiles(api_as, request, member_a, member_b, role):
    client = api_as(request.getfixturevalue(role))
    listed = client.get("/api/v1/members/")
    assert listed.status_code == 200
    row = next(r for r in listed.json()["results"] if r["id"] == member_a.pk)
    assert row["mobile"] == MASKED
    assert FULL not in listed.content.decode()
    detail = client.get(f"/api/v1/members/{member_a.pk}/")
    assert detail.status_code == 200
    assert detail.json()["mobile"] == MASKED
    assert FULL not in detail.content.decode()
    assert not AuditLog.objects.exists()


# --- Revealing is audited -------------------------------------------------------------------


def test_portal_reveal_returns_full_number_and_is_audited(client, consultant_a, member_a):
    client.force_login(consultant_a)
    response = client.post(
        reverse("portal:member-reveal-mobile", args=[member_a.pk]), HTTP_HX_REQUEST="true", REMOTE_ADDR="10.1.2.3"
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert FULL in body
    assert 'id="member-mobile"' in body  # the htmx fragment that replaces the masked number
    assert "<html" not in body
    entry = AuditLog.objects.get()
    assert entry.action == REVEALED
    assert entry.actor == consultant_a
    assert entry.store == member_a.store
    assert (entry.object_type, entry.object_id) == ("accounts.member", str(member_a.pk))
    assert entry.ip_address == "10.1.2.3"
    assert FULL not in entry.object_repr  # the log itself shows the masked number


def test_api_reveal_returns_full_number_and_is_audited(api_as, manager_a, member_a):
    response = api_as(manager_a).post(f"/api/v1/members/{member_a.pk}/reveal-mobile/", REMOTE_ADDR="10.9.8.7")
    assert response.status_code == 200
    assert response.json() == {"mobile": FULL}
    entry = AuditLog.objects.get()
    assert (entry.action, entry.actor, entry.store) == (REVEALED, manager_a, member_a.store)
    assert (entry.object_type, entry.object_id) == ("accounts.member", str(member_a.pk))
    assert entry.ip_address == "10.9.8.7"


def test_each_reveal_is_a_new_audit_row(api_as, hq, member_a):
    client = api_as(hq)
    for _ in range(2):
        assert client.post(f"/api/v1/members/{member_a.pk}/reveal-mobile/").status_code == 200
    assert AuditLog.objects.filter(action=REVEALED, actor=hq).count() == 2


def test_other_store_cannot_reveal_and_nothing_is_audited(client, api_as, consultant_b, member_a):
    client.force_login(consultant_b)
    assert client.post(reverse("portal:member-reveal-mobile", args=[member_a.pk])).status_code == 404
    response = api_as(consultant_b).post(f"/api/v1/members/{member_a.pk}/reveal-mobile/")
    assert response.status_code == 404
    assert FULL not in response.content.decode()
    assert not AuditLog.objects.exists()


def test_owner_and_anonymous_cannot_reveal(client, api, api_as, owner_a, member_a):
    assert api.post(f"/api/v1/members/{member_a.pk}/reveal-mobile/").status_code == 401
    assert api_as(owner_a).post(f"/api/v1/members/{member_a.pk}/reveal-mobile/").status_code == 403
    assert client.post(reverse("portal:member-reveal-mobile", args=[member_a.pk])).status_code == 302
    client.force_login(owner_a)
    assert client.post(reverse("portal:member-reveal-mobile", args=[member_a.pk])).status_code == 403
    assert not AuditLog.objects.exists()


def test_reveal_needs_post(client, consultant_a, member_a):
    client.force_login(consultant_a)
    assert client.get(reverse("portal:member-reveal-mobile", args=[member_a.pk])).status_code == 405
    assert not AuditLog.objects.exists()


# --- The audit page ----------------------------------------------------------------------------


def test_audit_page_shows_the_reveal_to_hq(client, api_as, consultant_a, hq, member_a):
    api_as(consultant_a).post(f"/api/v1/members/{member_a.pk}/reveal-mobile/")
    client.force_login(hq)
    response = client.get(reverse("portal:audit"))
    assert response.status_code == 200
    body = response.content.decode()
    assert f'<span title="{REVEALED}">查看完整手机号</span>' in body
    assert consultant_a.display_name in body and consultant_a.username not in body
    assert f"#{member_a.pk}" in body
    assert FULL not in body
    assert [e.action for e in response.context["entries"]] == [REVEALED]
    filtered = client.get(reverse("portal:audit"), {"action": "accounts.user"})
    assert list(filtered.context["entries"]) == []


@pytest.mark.parametrize("role", ["consultant_a", "manager_a", "owner_a"])
def test_audit_and_outbox_pages_are_forbidden_below_hq(client, request, role):
    client.force_login(request.getfixturevalue(role))
    assert client.get(reverse("portal:audit")).status_code == 403
    assert client.get(reverse("portal:outbox")).status_code == 403


def test_audit_page_for_admin(client, admin_user, hq, member_a):
    services.member_reveal_mobile(member=member_a, actor=hq, ip_address="127.0.0.1")
    client.force_login(admin_user)
    response = client.get(reverse("portal:audit"))
    assert response.status_code == 200
    assert len(response.context["entries"]) == 1


# --- Other audited services -------------------------------------------------------------------


def test_role_change_is_audited(admin_user, consultant_a, store_b):
    services.staff_set_role(user=consultant_a, role=Role.MANAGER, store=store_b, actor=admin_user)
    consultant_a.refresh_from_db()
    assert (consultant_a.role, consultant_a.store) == (Role.MANAGER, store_b)
    entry = AuditLog.objects.get()
    assert entry.action == "accounts.user.role_changed"
    assert entry.actor == admin_user
    assert entry.store == store_b
    assert (entry.object_type, entry.object_id) == ("accounts.user", str(consultant_a.pk))
    assert entry.data == {
        "before": {"role": Role.CONSULTANT, "store": "S01"},
        "after": {"role": Role.MANAGER, "store": "S02"},
    }


def test_role_change_to_group_role_drops_the_store(admin_user, consultant_a):
    services.staff_set_role(user=consultant_a, role=Role.HQ, store=None, actor=admin_user)
    entry = AuditLog.objects.get()
    assert entry.data["after"] == {"role": Role.HQ, "store": None}
    assert entry.store is None


@pytest.mark.parametrize("role", ["hq", "manager_a"])
def test_role_change_by_non_admin_is_refused_and_not_audited(request, consultant_a, role):
    actor = request.getfixturevalue(role)
    with pytest.raises(ApplicationError) as excinfo:
        services.staff_set_role(user=consultant_a, role=Role.MANAGER, store=consultant_a.store, actor=actor)
    assert excinfo.value.status_code == 403
    consultant_a.refresh_from_db()
    assert consultant_a.role == Role.CONSULTANT
    assert not AuditLog.objects.exists()


def test_export_is_audited(consultant_a):
    services.export_record(actor=consultant_a, what="accounts.member", rows=42, filters={"q": "王"})
    entry = AuditLog.objects.get()
    assert entry.action == "accounts.member.exported"
    assert entry.actor == consultant_a
    assert entry.store == consultant_a.store
    assert entry.data == {"rows": 42, "filters": {"q": "王"}}


def test_export_by_hq_has_no_store(hq):
    services.export_record(actor=hq, what="accounts.member", rows=0)
    entry = AuditLog.objects.get()
    assert (entry.action, entry.actor, entry.store) == ("accounts.member.exported", hq, None)
    assert entry.data == {"rows": 0, "filters": {}}
