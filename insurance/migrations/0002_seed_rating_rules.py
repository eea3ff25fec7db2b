"""Seed the insurers and the rating rules (insurance/rating_seed.py).
Reversing leaves them: the schema migration before drops the tables."""

from django.db import migrations

from insurance.rating_seed import seed_rating_rules


def seed(apps, schema_editor):
    seed_rating_rules(apps)


class Migration(migrations.Migration):
    dependencies = [("insurance", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
