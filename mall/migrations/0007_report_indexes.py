# Indexes for the mall reports: orders paid in a date range, per store or group-wide.

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('mall', '0006_member_days'),
    ]

    operations = [
        migrations.AddIndex(
            model_name='order',
            index=models.Index(fields=['store', 'paid_at'], name='mall_order_store_paid'),
        ),
        migrations.AddIndex(
            model_name='order',
            index=models.Index(fields=['paid_at'], name='mall_order_paid'),
        ),
    ]
