"""Owner usernames were "m" + the mobile number (``m13800138000``), which put
full numbers in admin lists and on audit rows.  Every owner gets an opaque
username (``owner_`` + 16 hex digits), in one UPDATE: owners never sign in by
username (they have no password), so nothing else changes."""

from django.db import migrations
from django.db.models import CharField, Value
from django.db.models.functions import MD5, Cast, Concat, Random, Substr


def opaque_owner_usernames(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    User.objects.filter(role="owner").exclude(username__startswith="owner_").update(
        username=Concat(
            Value("owner_"),
            Substr(MD5(Concat(Cast(Random(), CharField()), Value(":"), Cast("pk", CharField()))), 1, 16),
            output_field=CharField(),
        )
    )


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0006_chinese_verbose_names"),
    ]

    operations = [
        migrations.RunPython(opaque_owner_usernames, migrations.RunPython.noop, elidable=True),
    ]
