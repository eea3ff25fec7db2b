# The public search's partial indexes: the public listings (published, reserved) in
# each of its sort orders (bench/usedcars_search.py).

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('usedcars', '0004_usedcar_channel'),
    ]

    operations = [
        migrations.AddIndex(
            model_name='listing',
            index=models.Index(condition=models.Q(('state__in', ('published', 'reserved'))), fields=['-published_at', '-id'], name='usedcar_public_newest'),
        ),
        migrations.AddIndex(
            model_name='listing',
            index=models.Index(condition=models.Q(('state__in', ('published', 'reserved'))), fields=['price', 'id'], name='usedcar_public_price'),
        ),
        migrations.AddIndex(
            model_name='listing',
            index=models.Index(condition=models.Q(('state__in', ('published', 'reserved'))), fields=['mileage', 'id'], name='usedcar_public_mileage'),
        ),
    ]
