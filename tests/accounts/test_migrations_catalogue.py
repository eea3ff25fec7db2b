"""Migrations accounts 0011 and leads 0005 on rows written before the
catalogue existed: the seed keeps a brand already on file (found by code or
by name), and vehicles and leads are linked to the catalogue series their
brand and series text (a lead's model interest) name — and only those."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("accounts", "0009_import_jobs"), ("leads", "0003_chinese_verbose_names")]
AFTER = [("accounts", "0011_vehicle_catalogue_seed"), ("leads", "0005_lead_series_match")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def test_vehicles_and_leads_on_file_are_linked_where_brand_and_series_match():
    old = migrate(BEFORE)
    Brand, Store, Member, Vehicle = (old.get_model("accounts", name) for name in ("Brand", "Store", "Member", "Vehicle"))
    Channel, Lead = old.get_model("leads", "Channel"), old.get_model("leads", "Lead")
    Brand.objects.all().delete()  # brands an earlier forward run seeded (reversing keeps them)
    vw = Brand.objects.create(code="vw", name="大众")
    byd = Brand.objects.create(code="biyadi", name="比亚迪")  # the seed's code is byd: kept, found by its name
    toyota = Brand.objects.create(code="toyota", name="丰田")
    store = Store.objects.create(code="S01", name="广州天河大众", province="广东", city="广州")
    store.brands.add(vw)
    member = Member.objects.create(mobile="13812345678", store=store)

    def car(n, brand, series):
        return Vehicle.objects.create(member=member, plate=f"粤A1234{n}", brand=brand, series=series).pk

    linked = {
        car(0, vw, "朗逸"): ("vw-lavida", "vw"),
        car(1, vw, "lavida"): ("vw-lavida", "vw"),  # an alias
        car(2, byd, "汉"): ("byd-han", "biyadi"),
        car(3, None, "帕萨特"): ("vw-passat", "vw"),  # no brand: the one series of that name, and its brand
        car(4, toyota, "RAV4"): ("toyota-rav4", "toyota"),
    }
    left = {
        car(5, vw, "凯美瑞"): "vw",  # another brand's series: not guessed
        car(6, None, "E5"): None,  # two brands' series: not guessed
        car(7, vw, "老款桑塔纳"): "vw",  # not in the catalogue
        car(8, None, ""): None,
    }
    channel = Channel.objects.create(code="autohome", name="汽车之家", kind="portal")

    def lead(n, brand, text):
        return Lead.objects.create(store=store, mobile=f"1390000000{n}", channel=channel, brand=brand,
                                   model_interest=text).pk

    leads = {
        lead(0, vw, "途观L"): "vw-tiguan-l",
        lead(1, None, "小米SU7"): "xiaomi-su7",
        lead(2, vw, "凯美瑞"): "toyota-camry",  # a lead may want a competitor's car
        lead(3, None, "SUV"): None,
        lead(4, None, "L7"): None,  # 理想L7 or 银河L7
    }
    try:
        new = migrate(AFTER)
        Brand = new.get_model("accounts", "Brand")
        Vehicle = new.get_model("accounts", "Vehicle")
        Lead = new.get_model("leads", "Lead")
        assert Brand.objects.filter(name="比亚迪").count() == 1
        kept = Brand.objects.get(code="biyadi")
        assert (kept.initial, kept.pinyin) == ("B", "biyadi")
        assert Brand.objects.get(code="vw").is_group_brand  # store S01 sells it
        assert not Brand.objects.get(code="toyota").is_group_brand
        assert Brand.objects.count() >= 40
        for pk, (series_code, brand_code) in linked.items():
            vehicle = Vehicle.objects.select_related("catalogue_series", "brand").get(pk=pk)
            assert (vehicle.catalogue_series.code, vehicle.brand.code) == (series_code, brand_code), vehicle.series
        for pk, brand_code in left.items():
            vehicle = Vehicle.objects.select_related("brand").get(pk=pk)
            assert vehicle.catalogue_series_id is None
            assert (vehicle.brand.code if vehicle.brand_id else None) == brand_code
        for pk, series_code in leads.items():
            found = Lead.objects.select_related("series").get(pk=pk).series
            assert (found.code if found else None) == series_code
    finally:
        migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
