"""The vehicle catalogue's rules: the seed file, reading a row, the import
(check, then write all or nothing), and naming a car (``vehicle_make_resolve``
strict for vehicles, ``series_match`` lenient for leads)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from accounts.catalogue import exceptions as errors
from accounts.catalogue.exceptions import CatalogueError
from accounts.catalogue.matching import SeriesIndex, name_key, name_keys
from accounts.catalogue.models import BodyType, EnergyType
from accounts.catalogue.services import (
    brand_find, catalogue_check, catalogue_import, catalogue_seed, series_match, vehicle_make_resolve,
)
from accounts.catalogue.sheet import COLUMNS, parse_price, row_parse, seed_rows
from accounts.models import AuditLog, Brand, CarModel, CarSeries

pytestmark = pytest.mark.django_db


def record(line=2, **values) -> dict:
    return {"line": line, **dict.fromkeys(COLUMNS, ""), **values}


LAVIDA = dict(brand_code="vw", brand="大众", series_code="vw-lavida", series="朗逸")
NEW_MODEL = dict(model="2026款 1.5L 自动新款", year="2026", body_type="轿车", seats="5", energy_type="汽油",
                 displacement="1.5", guide_price="11.99万")


# --- the seed file ------------------------------------------------------------------------------------


def test_seed_file_rows_are_all_valid_and_believable():
    rows = seed_rows()
    assert all(row.ok for row in rows), [(row.line, row.errors) for row in rows if not row.ok]
    brands = {row.values["brand_code"] for row in rows}
    assert len(brands) >= 40
    assert len({row.values["series_code"] for row in rows}) >= 150
    for name in ("大众", "丰田", "比亚迪", "特斯拉", "理想", "问界", "小米", "五菱", "深蓝", "零跑"):
        assert name in {row.values["brand"] for row in rows}
    energies = {row.energy_type for row in rows}
    assert energies == set(EnergyType.values)
    for row in rows:
        assert 2024 <= row.year <= 2025
        assert Decimal(30_000) < row.guide_price < Decimal(2_000_000), row.values
        assert row.values["model"].startswith(f"{row.year}款")


def test_seed_names_and_aliases_name_one_brand_and_one_series_per_brand():
    """A typed name must never be ambiguous inside a brand, and a brand's
    names never another brand's."""
    rows = seed_rows()
    brand_keys: dict[str, str] = {}
    for row in rows:
        v = row.values
        for key in name_keys(v["brand"], v["brand_code"], v["brand_aliases"]):
            assert brand_keys.setdefault(key, v["brand_code"]) == v["brand_code"], (key, v["brand_code"])
    series = {(row.values["series_code"]): row for row in rows}
    index = SeriesIndex(
        (n, row.values["brand_code"], code, row.values["series"], row.values["series_aliases"], row.values["brand"])
        for n, (code, row) in enumerate(series.items())
    )
    for n, (code, row) in enumerate(series.items()):
        for key in name_keys(row.values["series"], code, row.values["series_aliases"]):
            assert index.find(key, brand_id=row.values["brand_code"]) == {n}, (code, key)


def test_seed_loads_and_a_second_run_adds_nothing(catalogue):
    assert Brand.objects.filter(initial="").count() == 0
    assert CarModel.objects.count() >= len(seed_rows())
    again = catalogue_seed()
    assert again.counts["brands_created"] == again.counts["series_created"] == again.counts["models_created"] == 0


def test_seed_never_overwrites_what_hq_changed(catalogue):
    model = CarModel.objects.filter(series__code="vw-lavida").first()
    CarModel.objects.filter(pk=model.pk).update(guide_price=Decimal("99999"))
    catalogue_seed()
    model.refresh_from_db()
    assert model.guide_price == Decimal("99999")


# --- one row on its own -------------------------------------------------------------------------------


@pytest.mark.parametrize(("typed", "yuan"), [
    ("129900", "129900.00"), ("129,900.00", "129900.00"), ("¥129900", "129900.00"), ("12.99万", "129900.00"),
    ("12.99 万", "129900.00"), ("1,348,000元", "1348000.00"),
])
def test_guide_price_forms(typed, yuan):
    assert parse_price(typed) == Decimal(yuan)


@pytest.mark.parametrize("typed", ["", "0", "-5", "abc", "1e9", "十万"])
def test_guide_price_refused(typed):
    assert parse_price(typed) is None


def test_row_reads_chinese_labels_codes_and_common_words():
    for energy, expected in (("汽油", "petrol"), ("PHEV", "plugin"), ("增程", "erev"), ("纯电", "electric"),
                             ("油电混合", "hybrid")):
        values = {**LAVIDA, **NEW_MODEL, "energy_type": energy, "displacement": "1.5", "battery_kwh": "18.3"}
        if expected == "electric":
            values["displacement"] = ""
        if expected in ("petrol", "hybrid"):
            values["battery_kwh"] = ""
        row = row_parse(record(**values))
        assert row.ok, row.errors
        assert row.energy_type == expected
    row = row_parse(record(**LAVIDA, **{**NEW_MODEL, "body_type": "SUV", "year": "2026款", "seats": "7座"}))
    assert (row.body_type, row.year, row.seats) == (BodyType.SUV, 2026, 7)


@pytest.mark.parametrize(("change", "message"), [
    ({"year": "26"}, errors.YEAR_INVALID),
    ({"seats": "12"}, errors.SEATS_INVALID),
    ({"guide_price": "free"}, errors.PRICE_INVALID),
    ({"displacement": "15"}, errors.DISPLACEMENT_INVALID),
    ({"energy_type": "纯电动", "displacement": ""}, str(errors.BATTERY_REQUIRED) % {"energy": "纯电动"}),
    ({"energy_type": "纯电动", "battery_kwh": "60"}, errors.DISPLACEMENT_NOT_FOR_ELECTRIC),
    ({"battery_kwh": "60"}, errors.BATTERY_NOT_FOR_PETROL),
    ({"displacement": ""}, str(errors.DISPLACEMENT_REQUIRED) % {"energy": "汽油"}),
    ({"series": "", "series_code": ""}, errors.SERIES_REQUIRED_FOR_MODEL),
    ({"brand_code": "大众"}, errors.BRAND_CODE_INVALID),
    ({"initial": "大"}, errors.INITIAL_INVALID),
])
def test_row_errors_say_what_is_wrong(change, message):
    row = row_parse(record(**{**LAVIDA, **NEW_MODEL, **change}))
    assert str(message) in row.errors


@given(st.dictionaries(st.sampled_from(COLUMNS), st.text(max_size=30)))
@example({"model": "x", "year": "²"})  # a digit to str.isdigit(), not to int()
@example({"model": "x", "seats": "５²"})
def test_any_row_is_parsed_or_refused_in_words(values):
    """Whatever a spreadsheet holds, reading a row never raises: it is
    parsed, or it lists its errors as text."""
    row = row_parse(record(**values))
    assert all(isinstance(error, str) and error for error in row.errors)


# --- the import ---------------------------------------------------------------------------------------


def test_import_adds_brand_series_and_model_and_audits(hq):
    records = [
        record(2, brand_code="nova", brand="诺瓦", pinyin="nuowa", brand_aliases="Nova", series="星河",
               maker="诺瓦汽车", **NEW_MODEL),
        record(3, brand_code="nova", brand="诺瓦", series="星河", **{**NEW_MODEL, "model": "2026款 长续航版",
               "energy_type": "纯电动", "displacement": "", "battery_kwh": "75", "guide_price": "199800"}),
    ]
    check = catalogue_import(records=records, actor=hq)
    assert check.counts["brands_created"] == 1 and check.counts["series_created"] == 1
    assert check.counts["models_created"] == 2
    brand = Brand.objects.get(code="nova")
    assert (brand.name, brand.initial, brand.aliases) == ("诺瓦", "N", "Nova")  # initial from the pinyin
    series = CarSeries.objects.get(brand=brand)
    assert series.code.startswith("nova-") and series.maker == "诺瓦汽车"
    electric = series.models.get(energy_type=EnergyType.ELECTRIC)
    assert (electric.battery_kwh, electric.displacement, electric.guide_price) == (Decimal("75"), None, Decimal("199800"))
    log = AuditLog.objects.get(action="accounts.catalogue.imported")
    assert log.actor == hq and log.data["models_created"] == 2


def test_import_updates_a_model_by_series_year_and_name(brand, hq):
    model = CarModel.objects.filter(series__code="vw-lavida").order_by("pk").first()
    records = [record(**LAVIDA, model=model.name, year=str(model.year), body_type="轿车", seats="5",
                      energy_type="汽油", displacement="1.5", guide_price="105000")]
    check = catalogue_import(records=records, actor=hq)
    assert check.counts["models_updated"] == 1 and check.counts["models_created"] == 0
    assert check.rows[0].action == "更新车型"
    model.refresh_from_db()
    assert model.guide_price == Decimal("105000")
    assert catalogue_check(records=records).rows[0].action == "无变化"


def test_brand_found_by_name_needs_no_code(brand, hq):
    check = catalogue_import(records=[record(brand="大众", series="朗逸", **NEW_MODEL)], actor=hq)
    assert check.counts["models_created"] == 1
    assert CarModel.objects.filter(series__code="vw-lavida", year=2026).exists()


@pytest.mark.parametrize(("records", "line", "message"), [
    ([record(brand="诺瓦")], 2, errors.BRAND_CODE_REQUIRED),
    ([record(brand_code="nova", brand="诺瓦")], 2, errors.INITIAL_REQUIRED),
    ([record(brand_code="volkswagen", brand="大众", initial="D")], 2, str(errors.BRAND_NAME_TAKEN) % {"code": "vw"}),
    ([record(brand_code="vw", brand="大众", series_code="vw-new", series="朗逸")], 2,
     str(errors.SERIES_NAME_TAKEN) % {"code": "vw-lavida"}),
    ([record(2, **LAVIDA, **NEW_MODEL), record(3, **LAVIDA, **NEW_MODEL)], 3, str(errors.DUPLICATE_MODEL) % {"line": 2}),
    ([record(2, brand_code="nova", brand="诺瓦", initial="N"), record(3, brand_code="nova", brand="新星", initial="N")],
     3, str(errors.CONFLICTS_WITH_LINE) % {"line": 2, "field": "品牌名称"}),
])
def test_import_refuses_rows_that_clash_and_writes_nothing(brand, hq, records, line, message):
    before = (Brand.objects.count(), CarSeries.objects.count(), CarModel.objects.count())
    good = record(99, brand_code="ok", brand="好车", initial="H")
    with pytest.raises(CatalogueError) as raised:
        catalogue_import(records=[good, *records], actor=hq)
    assert str(message) in raised.value.fields["rows"][str(line)]
    assert (Brand.objects.count(), CarSeries.objects.count(), CarModel.objects.count()) == before
    assert not AuditLog.objects.filter(action="accounts.catalogue.imported").exists()


def test_series_code_of_another_brand_is_refused(brand, hq):
    check = catalogue_check(records=[record(brand_code="toyota2", brand="丰田二", initial="F",
                                            series_code="vw-lavida", series="朗逸")])
    assert str(errors.SERIES_CODE_OF_OTHER_BRAND) % {"code": "vw-lavida"} in check.rows[0].errors


# --- naming a car -------------------------------------------------------------------------------------


@pytest.mark.parametrize("typed", ["vw", "VW", "大众", "Volkswagen", "一汽-大众", "上汽 大众"])
def test_brand_by_code_name_or_alias(catalogue, typed):
    assert brand_find(typed).code == "vw"


@pytest.mark.parametrize(("brand", "series", "code"), [
    ("vw", "vw-lavida", "vw-lavida"), ("大众", "朗逸", "vw-lavida"), ("", "朗逸", "vw-lavida"),
    ("", "大众朗逸", "vw-lavida"), ("理想", "L7", "lixiang-l7"), ("", "理想 L7", "lixiang-l7"),
    ("特斯拉", "model y", "tesla-model-y"), ("", "Model-3", "tesla-model-3"), ("领克", "03", "lynkco-03"),
    ("吉利银河", "E5", "galaxy-e5"), ("大众", "ID4X", "vw-id4-x"),
])
def test_series_by_code_name_alias_or_with_the_brand(catalogue, brand, series, code):
    make = vehicle_make_resolve(brand=brand, series=series)
    assert make.series.code == code
    assert make.brand == make.series.brand
    assert make.series_text == make.series.name


@pytest.mark.parametrize(("brand", "series", "field", "message"), [
    ("奇奇怪怪", "朗逸", "brand", errors.UNKNOWN_BRAND),
    ("大众", "凯美瑞", "series", errors.UNKNOWN_SERIES_OF_BRAND),
    ("", "不存在的车", "series", errors.UNKNOWN_SERIES),
    ("", "E5", "series", errors.AMBIGUOUS_SERIES),  # 别克E5 and 银河E5
])
def test_unknown_or_ambiguous_names_are_refused_in_words(catalogue, brand, series, field, message):
    with pytest.raises(CatalogueError) as raised:
        vehicle_make_resolve(brand=brand, series=series)
    assert raised.value.fields == {field: [str(message)]}


def test_a_model_brings_its_series_and_brand(catalogue):
    model = CarModel.objects.filter(series__code="byd-han").first()
    make = vehicle_make_resolve(model_id=model.pk)
    assert (make.brand.code, make.series, make.model, make.model_text) == ("byd", model.series, model, model.name)
    assert vehicle_make_resolve(brand="比亚迪", series="汉", model_id=model.pk).model == model


def test_a_model_must_match_the_series_and_brand_given(catalogue):
    model = CarModel.objects.filter(series__code="byd-han").first()
    with pytest.raises(CatalogueError) as raised:
        vehicle_make_resolve(brand="大众", series="朗逸", model_id=model.pk)
    assert raised.value.fields == {"brand": [str(errors.MODEL_NOT_OF_BRAND)], "series": [str(errors.MODEL_NOT_OF_SERIES)]}
    with pytest.raises(CatalogueError) as raised:
        vehicle_make_resolve(model_id=10**9)
    assert raised.value.fields == {"model_id": [str(errors.UNKNOWN_MODEL)]}


def test_model_text_stays_free_unless_it_is_a_catalogue_name(catalogue):
    free = vehicle_make_resolve(brand="vw", series="帕萨特", model="330TSI")
    assert (free.model, free.model_text) == (None, "330TSI")
    named = CarModel.objects.filter(series__code="vw-passat").first()
    exact = vehicle_make_resolve(brand="vw", series="帕萨特", model=named.name)
    assert exact.model == named


@pytest.mark.parametrize(("text", "brand_code", "code"), [
    ("朗逸", None, "vw-lavida"), ("大众朗逸", None, "vw-lavida"), ("小米SU7", None, "xiaomi-su7"),
    ("model y", None, "tesla-model-y"), ("L7", "lixiang", "lixiang-l7"), ("L7", None, None),  # 理想L7 or 银河L7
    ("E5", "buick", "buick-e5"), ("SUV", None, None), ("", None, None), ("凯美瑞", "vw", "toyota-camry"),
])
def test_series_match_for_leads_is_lenient(catalogue, text, brand_code, code):
    brand = Brand.objects.get(code=brand_code) if brand_code else None
    found = series_match(text=text, brand=brand)
    assert (found.code if found else None) == code


def test_name_key_ignores_case_spaces_dots_and_dashes():
    assert name_key("Model 3") == name_key("MODEL-3") == name_key("model3")
    assert name_key("ID.4 X") == name_key("id4x")
    assert name_key("一汽-大众") == name_key("一汽大众")
