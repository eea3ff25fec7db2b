"""Seed the vehicle catalogue (车型库) from ``accounts/catalogue/data/catalogue.csv``
and match the vehicles on file to it.

- Brands: an existing brand with the seed's code, or else its name, is
  kept (its code and name stay) and given the initial, pinyin and aliases it
  lacks; the others are added.  Brands a store sells become the group's
  brands (``is_group_brand``).  Series and models are added where missing.
- Vehicles: where a vehicle's brand and series text name a catalogue series
  of that brand (name, code or alias, case and spaces ignored), it is linked
  to that series; a vehicle with no brand whose series text names exactly one
  catalogue series gets that series and its brand.  Set-based: one UPDATE per
  brand over the distinct (brand, series) pairs on file.

The file is read through the catalogue's own parser (no database access);
the writes use the historical models below.  Reversing writes nothing: the
schema migration before drops the series, the models and the links; the
brands added stay.
"""

from collections import defaultdict

from django.db import migrations
from django.db.models import Case, IntegerField, Value, When

from accounts.catalogue.matching import SeriesIndex
from accounts.catalogue.sheet import seed_rows

CHUNK = 500


def seed_catalogue(apps, schema_editor):
    Brand = apps.get_model("accounts", "Brand")
    CarSeries = apps.get_model("accounts", "CarSeries")
    CarModel = apps.get_model("accounts", "CarModel")
    rows = seed_rows()
    bad = [(row.line, row.errors) for row in rows if not row.ok]
    if bad:
        raise ValueError(f"catalogue.csv has rows with errors: {bad[:5]}")

    brands = {brand.code: brand for brand in Brand.objects.all()}
    by_name = {}
    for brand in brands.values():
        by_name.setdefault(brand.name, brand)
    series = {s.code: s for s in CarSeries.objects.all()}
    models = set(CarModel.objects.values_list("series_id", "year", "name"))
    position = defaultdict(int)
    new_models = []
    for row in rows:
        v = row.values
        brand = brands.get(v["brand_code"]) or by_name.get(v["brand"])
        if brand is None:
            brand = Brand.objects.create(
                code=v["brand_code"], name=v["brand"], initial=row.initial, pinyin=v["pinyin"], aliases=v["brand_aliases"]
            )
            brands[brand.code] = by_name[brand.name] = brand
        elif not brand.initial and row.initial:
            brand.initial = row.initial
            brand.pinyin = brand.pinyin or v["pinyin"]
            brand.aliases = brand.aliases or v["brand_aliases"]
            brand.save(update_fields=["initial", "pinyin", "aliases", "updated_at"])
        brands[v["brand_code"]] = brand
        if not v["series_code"]:
            continue
        car_series = series.get(v["series_code"])
        position[brand.pk] += car_series is None
        if car_series is None:
            car_series = CarSeries.objects.create(
                brand=brand, code=v["series_code"], name=v["series"], maker=v["maker"], aliases=v["series_aliases"],
                position=position[brand.pk],
            )
            series[car_series.code] = car_series
        if v["model"] and (car_series.pk, row.year, v["model"]) not in models:
            models.add((car_series.pk, row.year, v["model"]))
            new_models.append(CarModel(
                series=car_series, name=v["model"], year=row.year, body_type=row.body_type, seats=row.seats,
                energy_type=row.energy_type, displacement=row.displacement, battery_kwh=row.battery_kwh,
                guide_price=row.guide_price,
            ))
    CarModel.objects.bulk_create(new_models, batch_size=CHUNK)
    Brand.objects.filter(stores__isnull=False).update(is_group_brand=True)


def match_vehicles(apps, schema_editor):
    CarSeries = apps.get_model("accounts", "CarSeries")
    Vehicle = apps.get_model("accounts", "Vehicle")
    index = SeriesIndex(CarSeries.objects.values_list("pk", "brand_id", "code", "name", "aliases", "brand__name"))
    pairs = (
        Vehicle.objects.filter(catalogue_series__isnull=True).exclude(series="")
        .values_list("brand_id", "series").distinct()
    )
    matched = defaultdict(dict)  # brand_id (None: no brand) → series text → series id
    for brand_id, text in pairs.iterator():
        found = index.find(text, brand_id=brand_id)
        if len(found) == 1:
            matched[brand_id][text] = found.pop()
    for brand_id, texts in matched.items():
        items = sorted(texts.items())
        for start in range(0, len(items), CHUNK):
            chunk = items[start:start + CHUNK]
            series_id = Case(*[When(series=text, then=Value(pk)) for text, pk in chunk], output_field=IntegerField())
            vehicles = Vehicle.objects.filter(catalogue_series__isnull=True, series__in=[text for text, _ in chunk])
            if brand_id is None:
                brand = Case(
                    *[When(series=text, then=Value(index.brand_of[pk])) for text, pk in chunk], output_field=IntegerField()
                )
                vehicles.filter(brand__isnull=True).update(catalogue_series_id=series_id, brand_id=brand)
            else:
                vehicles.filter(brand_id=brand_id).update(catalogue_series_id=series_id)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0010_vehicle_catalogue")]

    operations = [
        migrations.RunPython(seed_catalogue, migrations.RunPython.noop),
        migrations.RunPython(match_vehicles, migrations.RunPython.noop),
    ]
