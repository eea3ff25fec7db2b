# The public search's indexes: partial indexes of the public listings (published,
# reserved) replace the state-first ones (bench/usedcars_search.py).

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('usedcars', '0005_inquiry_referral'),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='listing',
            name='usedcar_listing_newest',
        ),
        migrations.RemoveIndex(
            model_name='listing',
            name='usedcar_listing_price',
        ),
        migrations.RemoveIndex(
            model_name='listing',
            name='usedcar_listing_mileage',
        ),
        migrations.RemoveIndex(
            model_name='listing',
            name='usedcar_listing_brand',
        ),
        migrations.RemoveIndex(
            model_name='listing',
            name='usedcar_listing_age',
        ),
        migrations.AddIndex(
            model_name='listing',
            index=models.Index(condition=models.Q(('state__in', ('published', 'reserved'))), fields=['-published_at', '-id', 'store'], name='usedcar_public_newest'),
        ),
        migrations.AddIndex(
            model_name='listing',
            index=models.Index(condition=models.Q(('state__in', ('published', 'reserved'))), fields=['price', 'id', 'store', 'published_at'], name='usedcar_public_price'),
        ),
        migrations.AddIndex(
            model_name='listing',
            index=models.Index(condition=models.Q(('state__in', ('published', 'reserved'))), fields=['mileage', 'id', 'store', 'published_at'], name='usedcar_public_mileage'),
        ),
        migrations.AddIndex(
            model_name='listing',
            index=models.Index(condition=models.Q(('state__in', ('published', 'reserved'))), fields=['brand', 'series', '-published_at', '-id', 'store'], name='usedcar_public_brand'),
        ),
        migrations.AddIndex(
            model_name='listing',
            index=models.Index(condition=models.Q(('state__in', ('published', 'reserved'))), fields=['first_registration', '-published_at', '-id', 'store'], name='usedcar_public_age'),
        ),
    ]
