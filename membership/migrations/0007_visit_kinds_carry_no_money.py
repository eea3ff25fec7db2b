"""A test drive, a check-in and a coupon redemption are visits: they carry no
money.  0004 seeded them with a spend's limits (500,000 yuan ceiling, held
above 50,000), so a manager could post three 49,999.99-yuan test drives and
have them counted.  Rows HQ has not changed (still at those defaults) get a
ceiling of 0 and no review line; a row HQ edited is left alone."""

from decimal import Decimal

from django.db import migrations

NO_MONEY_KINDS = ("test_drive", "checkin", "coupon")
SEEDED = {"ceiling": Decimal("500000"), "review_threshold": Decimal("50000")}


def forward(apps, schema_editor):
    TransactionLimit = apps.get_model("membership", "TransactionLimit")
    TransactionLimit.objects.filter(kind__in=NO_MONEY_KINDS, **SEEDED).update(ceiling=0, review_threshold=None)


def backward(apps, schema_editor):
    TransactionLimit = apps.get_model("membership", "TransactionLimit")
    TransactionLimit.objects.filter(kind__in=NO_MONEY_KINDS, ceiling=0, review_threshold=None).update(**SEEDED)


class Migration(migrations.Migration):

    dependencies = [
        ("membership", "0006_coupon_approval_value"),
    ]

    operations = [
        migrations.RunPython(forward, backward),
    ]
