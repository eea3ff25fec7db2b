"""The starting valuation table (editable in admin afterwards)."""

from decimal import Decimal

from django.db import migrations

AGE = [(12, "0.8000"), (24, "0.7000"), (36, "0.6200"), (48, "0.5500"), (60, "0.4800"), (84, "0.3800"),
       (120, "0.2800"), (240, "0.1800")]
MILEAGE = [(20_000, "1.0000"), (50_000, "0.9600"), (80_000, "0.9200"), (120_000, "0.8600"), (200_000, "0.7800"),
           (1_000_000, "0.6500")]
GRADE = [("A", "1.0000"), ("B", "0.9500"), ("C", "0.8800"), ("D", "0.7800")]


def seed(apps, schema_editor):
    Rule = apps.get_model("usedcars", "DepreciationRule")
    if Rule.objects.exists():
        return
    rows = [Rule(kind="age", upper_bound=b, factor=Decimal(f)) for b, f in AGE]
    rows += [Rule(kind="mileage", upper_bound=b, factor=Decimal(f)) for b, f in MILEAGE]
    rows += [Rule(kind="grade", grade=g, factor=Decimal(f)) for g, f in GRADE]
    Rule.objects.bulk_create(rows)


class Migration(migrations.Migration):
    dependencies = [("usedcars", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
