"""The lead channel used-car inquiries arrive by (二手车), a row like the built-in
channels of leads/migrations/0002."""

from django.db import migrations


def create(apps, schema_editor):
    Channel = apps.get_model("leads", "Channel")
    Channel.objects.get_or_create(code="usedcar", defaults={"name": "二手车", "kind": "other"})


class Migration(migrations.Migration):
    dependencies = [("usedcars", "0003_inquiries"), ("leads", "0002_builtin_channels")]

    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
