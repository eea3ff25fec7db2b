"""Item 7 of issue 10: no full mobile number in Django admin lists or as the
actor of owners' actions; owners have opaque usernames; the full number is
shown in admin only through the audited reveal action."""

from __future__ import annotations

import importlib
import re

import pytest
from django.apps import apps
from django.forms.models import model_to_dict
from django.test import Client
from django.urls import reverse

from accounts import services
from accounts.admin import MemberAdminForm
from accounts.models import AuditLog, Channel, ConsentSource, OutboxMessage, Role, SmsReply, User
from accounts.outbox import message_enqueue

pytestmark = pytest.mark.django_db

OWNER_MOBILE = "13812345678"  # member_a's
STAFF_MOBILE = "13700007777"


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


@pytest.fixture
def legacy_owner(member_a):
    """An owner account as the adapter used to create them: username = "m" + mobile."""
    user = User.objects.create_user(username=f"m{OWNER_MOBILE}", phone=OWNER_MOBILE, phone_verified=True,
                                    role=Role.OWNER, password=None)
    member_a.user = user
    member_a.save(update_fields=["user"])
    return user


def test_migration_gives_every_owner_an_opaque_username(legacy_owner, consultant_a):
    migration = importlib.import_module("accounts.migrations.0007_owner_usernames_opaque")
    other = User.objects.create_user(username="m13900009999", phone="13900009999", role=Role.OWNER, password=None)
    migration.opaque_owner_usernames(apps, None)
    legacy_owner.refresh_from_db()
    other.refresh_from_db()
    consultant_a.refresh_from_db()
    assert re.fullmatch(r"owner_[0-9a-f]{16}", legacy_owner.username)
    assert re.fullmatch(r"owner_[0-9a-f]{16}", other.username)
    assert legacy_owner.username != other.username
    assert consultant_a.username == "s01_consultant"  # staff keep theirs
    before = legacy_owner.username
    migration.opaque_owner_usernames(apps, None)  # a rerun changes nothing
    legacy_owner.refresh_from_db()
    assert legacy_owner.username == before


def test_owner_is_shown_by_masked_mobile_never_the_number(owner_a):
    assert str(owner_a) == owner_a.display_name == "车主 138****5678"
    assert OWNER_MOBILE not in str(owner_a)


def test_audit_log_shows_an_owner_actor_without_the_mobile(admin_client, hq, owner_a, member_a):
    services.member_set_notification_preferences(member=member_a, data={"notify_sms": False},
                                                 source=ConsentSource.MINISITE, actor=owner_a)
    assert AuditLog.objects.filter(actor=owner_a).exists()
    admin_list = admin_client.get(reverse("admin:accounts_auditlog_changelist")).content.decode()
    hq_client = Client()
    hq_client.force_login(hq)
    portal = hq_client.get(reverse("portal:audit")).content.decode()
    assert "车主 李娜" in portal  # the portal names the owner by the member's name (accounts.labels)
    assert "车主 138****5678" in admin_list  # the admin by the user's display name
    for body in (portal, admin_list):
        assert OWNER_MOBILE not in body


def test_admin_lists_mask_every_mobile(admin_client, owner_a, make_staff, store_a, member_a):
    make_staff(Role.CONSULTANT, store_a, phone=STAFF_MOBILE)
    SmsReply.objects.create(provider_id="r1", mobile=OWNER_MOBILE, content="R", member=member_a, action="none")
    message_enqueue(channel=Channel.SMS, recipient=OWNER_MOBILE, body="您好", dedup_key="k1", member=member_a)
    pages = ["accounts_user", "accounts_member", "accounts_smsreply", "accounts_outboxmessage", "accounts_vehicle"]
    for page in pages:
        body = admin_client.get(reverse(f"admin:{page}_changelist")).content.decode()
        assert OWNER_MOBILE not in body, page
        assert STAFF_MOBILE not in body, page
    users = admin_client.get(reverse("admin:accounts_user_changelist")).content.decode()
    assert "138****5678" in users and "137****7777" in users


def test_admin_search_still_finds_by_full_number(admin_client, owner_a, member_a):
    users = admin_client.get(reverse("admin:accounts_user_changelist"), {"q": OWNER_MOBILE})
    assert list(users.context["cl"].result_list) == [owner_a]
    members = admin_client.get(reverse("admin:accounts_member_changelist"), {"q": OWNER_MOBILE})
    assert list(members.context["cl"].result_list) == [member_a]


def test_admin_change_forms_do_not_print_the_number(admin_client, owner_a, member_a):
    for url in (reverse("admin:accounts_user_change", args=[owner_a.pk]),
                reverse("admin:accounts_member_change", args=[member_a.pk])):
        body = admin_client.get(url).content.decode()
        assert OWNER_MOBILE not in body, url
        assert "138****5678" in body, url


def test_admin_member_form_keeps_the_number_when_left_empty(member_a):
    data = {**model_to_dict(member_a), "mobile": "", "name": "李娜娜"}
    data = {key: value for key, value in data.items() if value is not None}
    form = MemberAdminForm(data=data, instance=member_a)
    assert form.is_valid(), form.errors
    form.save()
    member_a.refresh_from_db()
    assert (member_a.mobile, member_a.name) == (OWNER_MOBILE, "李娜娜")
    form = MemberAdminForm(data={**data, "mobile": "13911112222"}, instance=member_a)
    assert form.is_valid(), form.errors
    form.save()
    member_a.refresh_from_db()
    assert member_a.mobile == "13911112222"
    form = MemberAdminForm(data={**data, "mobile": "12345"}, instance=member_a)
    assert not form.is_valid()  # a mistyped number is an error, not "keep the old one"
    assert form.errors["mobile"]


def test_admin_reveal_action_shows_the_number_and_audits_it(admin_client, admin_user, owner_a, member_a):
    response = admin_client.post(
        reverse("admin:accounts_member_changelist"),
        {"action": "reveal_mobiles", "_selected_action": [member_a.pk]}, follow=True,
    )
    assert OWNER_MOBILE in response.content.decode()
    assert AuditLog.objects.filter(action="accounts.member.mobile_revealed", actor=admin_user,
                                   object_id=str(member_a.pk)).count() == 1
    response = admin_client.post(
        reverse("admin:accounts_user_changelist"),
        {"action": "reveal_phones", "_selected_action": [owner_a.pk]}, follow=True,
    )
    assert OWNER_MOBILE in response.content.decode()
    assert AuditLog.objects.filter(action="accounts.user.phone_revealed", actor=admin_user,
                                   object_id=str(owner_a.pk)).count() == 1
    assert not OutboxMessage.objects.exists()


def test_no_admin_list_shows_a_full_mobile(admin_client, owner_a, member_a, make_staff, store_a):
    """Every changelist of every app, with the number on a member, an owner
    login, a staff login, a lead, an SMS and a reply."""
    from django.contrib import admin as django_admin

    from leads.models import Channel as LeadChannel
    from leads.services import lead_ingest

    make_staff(Role.CONSULTANT, store_a, phone=STAFF_MOBILE)
    lead_channel = LeadChannel.objects.get_or_create(code="walkin", defaults={"name": "自然到店"})[0]
    lead_ingest(mobile=OWNER_MOBILE, channel=lead_channel, store=store_a, name="李娜")
    SmsReply.objects.create(provider_id="r1", mobile=OWNER_MOBILE, content="R", member=member_a, action="none")
    message_enqueue(channel=Channel.SMS, recipient=OWNER_MOBILE, body="您好", dedup_key="k1", member=member_a)
    for model, model_admin in django_admin.site._registry.items():
        opts = model._meta
        response = admin_client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
        assert response.status_code == 200, opts.label
        body = response.content.decode()
        assert OWNER_MOBILE not in body, opts.label
        assert STAFF_MOBILE not in body, opts.label
