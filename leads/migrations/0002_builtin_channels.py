"""The channels the code itself refers to by code: the owners' mini-program
requests (``miniprogram``) and walk-in entry in the portal (``walkin``).
HQ manages every other channel (seed_demo creates the usual ones)."""

from django.db import migrations

BUILTIN = [("miniprogram", "小程序", "miniprogram"), ("walkin", "自然到店", "walkin")]


def create(apps, schema_editor):
    Channel = apps.get_model("leads", "Channel")
    for code, name, kind in BUILTIN:
        Channel.objects.get_or_create(code=code, defaults={"name": name, "kind": kind})


class Migration(migrations.Migration):
    dependencies = [("leads", "0001_initial")]

    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
