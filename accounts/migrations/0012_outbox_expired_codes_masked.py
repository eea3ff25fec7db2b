"""Sign-in and password-reset codes older than their lifetime are masked in
every outbox row, whatever its status.

0004 masked only the sign-in codes of rows already sent, failed or
suppressed: a row still pending at deploy kept its code in clear for good.
A code past its lifetime is useless, so nothing is lost: its text is masked,
its sealed copy wiped, and a row still waiting (pending, or claimed by a
worker that died) is marked failed instead of sending a dead code."""

import datetime as dt

from allauth.account import app_settings as allauth_account
from django.conf import settings
from django.db import migrations
from django.db.models import Value
from django.db.models.fields.json import KT
from django.db.models.functions import Replace
from django.utils import timezone

MASK = "******"  # accounts.outbox.sealing.MASK
EXPIRED = "验证码已过有效期，未发送（迁移 0010）"


def lifetimes() -> dict[str, dt.timedelta]:
    """Each code template and how long its code is valid (the longest of the
    ways the template is used)."""
    login = max(allauth_account.LOGIN_BY_CODE_TIMEOUT, allauth_account.PHONE_VERIFICATION_TIMEOUT)
    return {
        "SMS_LOGIN_CODE": dt.timedelta(seconds=login),
        "SMS_PASSWORD_RESET_CODE": dt.timedelta(minutes=settings.STAFF_PASSWORD_RESET_MINUTES),
    }


def forward(apps, schema_editor):
    OutboxMessage = apps.get_model("accounts", "OutboxMessage")
    now = timezone.now()
    for template, lifetime in lifetimes().items():
        expired = OutboxMessage.objects.filter(template=template, created_at__lt=now - lifetime)
        clear = expired.filter(payload__has_key="code").exclude(payload__code=MASK)
        clear.update(body=Replace("body", KT("payload__code"), Value(MASK)))
        clear.update(payload={"code": MASK})
        expired.filter(status__in=["pending", "sending"]).update(status="failed", last_error=EXPIRED,
                                                                  claimed_at=None)
        expired.exclude(sealed="").update(sealed="")


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0011_vehicle_catalogue_seed"),
    ]

    operations = [
        migrations.RunPython(forward, migrations.RunPython.noop),
    ]
