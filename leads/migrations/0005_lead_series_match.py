"""Point the leads on file at the catalogue series their model interest
names (``accounts.catalogue``, seeded by accounts 0011): within the lead's
brand first, else the one series of the whole catalogue the text names (a
text naming none or several is left as it is).  Set-based: one UPDATE per
chunk of distinct (brand, model interest) pairs."""

from collections import defaultdict

from django.db import migrations
from django.db.models import Case, IntegerField, Value, When

from accounts.catalogue.matching import SeriesIndex

CHUNK = 500


def match_leads(apps, schema_editor):
    CarSeries = apps.get_model("accounts", "CarSeries")
    Lead = apps.get_model("leads", "Lead")
    index = SeriesIndex(CarSeries.objects.values_list("pk", "brand_id", "code", "name", "aliases", "brand__name"))
    pairs = (
        Lead.objects.filter(series__isnull=True).exclude(model_interest="")
        .values_list("brand_id", "model_interest").distinct()
    )
    matched = defaultdict(dict)  # brand_id (None: no brand) → model interest → series id
    for brand_id, text in pairs.iterator():
        found = index.find(text, brand_id=brand_id) if brand_id is not None else set()
        if len(found) != 1:
            found = index.find(text)
        if len(found) == 1:
            matched[brand_id][text] = found.pop()
    for brand_id, texts in matched.items():
        items = sorted(texts.items())
        for start in range(0, len(items), CHUNK):
            chunk = items[start:start + CHUNK]
            leads = Lead.objects.filter(series__isnull=True, model_interest__in=[text for text, _ in chunk])
            leads = leads.filter(brand__isnull=True) if brand_id is None else leads.filter(brand_id=brand_id)
            leads.update(series_id=Case(
                *[When(model_interest=text, then=Value(pk)) for text, pk in chunk], output_field=IntegerField()
            ))


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0011_vehicle_catalogue_seed"),
        ("leads", "0004_lead_series"),
    ]

    operations = [migrations.RunPython(match_leads, migrations.RunPython.noop)]
