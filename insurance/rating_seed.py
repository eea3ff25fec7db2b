"""Seed the insurers and the rating rules from ../shared/INSURANCE.md.

``seed_rating_rules()`` is idempotent (natural keys; existing rows keep the
values an admin gave them) and is called by the data migration, the demo and
tests.  ``apps`` is the migration's app registry (historical models) or
``None`` for the current models.

Sources: 交强险 base premiums and the floating rates of schemes A–E
(《关于调整交强险责任限额和费率浮动系数的公告》, in force 2020-09-19); the NCD
coefficients and the pricing-coefficient ranges (银保监发〔2020〕41号 and the
2022-12-30 notice: [0.65, 1.35] from 2020-09-19, [0.5, 1.5] by 2023-06-01 —
regions that moved earlier get their own row in admin).  SAMPLE data
(``is_sample``): the commercial benchmark premiums (each insurer files its
own), the vehicle tax per province and the traffic-violation ranges."""

from __future__ import annotations

import datetime
from decimal import Decimal

from insurance import models as current_models

D = Decimal
RULES_FROM = datetime.date(2020, 9, 19)
PRICING_2023_FROM = datetime.date(2023, 6, 1)

INSURERS = [
    ("picc", "中国人民财产保险股份有限公司", "人保财险"),
    ("pingan", "中国平安财产保险股份有限公司", "平安产险"),
    ("cpic", "中国太平洋财产保险股份有限公司", "太平洋产险"),
    ("chinalife", "中国人寿财产保险股份有限公司", "国寿财险"),
    ("cic", "中华联合财产保险股份有限公司", "中华联合"),
    ("ccic", "中国大地财产保险股份有限公司", "大地保险"),
    ("sinosig", "阳光财产保险股份有限公司", "阳光财险"),
    ("taiping", "太平财产保险有限公司", "太平财险"),
    ("tianan", "天安财产保险股份有限公司", "天安财险"),
    ("huaan", "华安财产保险股份有限公司", "华安保险"),
    ("yaic", "永安财产保险股份有限公司", "永安保险"),
    ("ydthic", "英大泰和财产保险股份有限公司", "英大泰和"),
]

# (code, name, scheme, plate prefix)
PROVINCES = [
    ("neimenggu", "内蒙古", "A", "蒙"), ("hainan", "海南", "A", "琼"), ("qinghai", "青海", "A", "青"),
    ("xizang", "西藏", "A", "藏"),
    ("shaanxi", "陕西", "B", "陕"), ("yunnan", "云南", "B", "云"), ("guangxi", "广西", "B", "桂"),
    ("gansu", "甘肃", "C", "甘"), ("jilin", "吉林", "C", "吉"), ("shanxi", "山西", "C", "晋"),
    ("heilongjiang", "黑龙江", "C", "黑"), ("xinjiang", "新疆", "C", "新"),
    ("beijing", "北京", "D", "京"), ("tianjin", "天津", "D", "津"), ("hebei", "河北", "D", "冀"),
    ("ningxia", "宁夏", "D", "宁"),
    ("jiangsu", "江苏", "E", "苏"), ("zhejiang", "浙江", "E", "浙"), ("anhui", "安徽", "E", "皖"),
    ("shanghai", "上海", "E", "沪"), ("hunan", "湖南", "E", "湘"), ("hubei", "湖北", "E", "鄂"),
    ("jiangxi", "江西", "E", "赣"), ("liaoning", "辽宁", "E", "辽"), ("henan", "河南", "E", "豫"),
    ("fujian", "福建", "E", "闽"), ("chongqing", "重庆", "E", "渝"), ("shandong", "山东", "E", "鲁"),
    ("guangdong", "广东", "E", "粤"), ("sichuan", "四川", "E", "川"), ("guizhou", "贵州", "E", "贵"),
]
# Cities rated on their own: (code, name, scheme, plate prefix, province code)
CITIES = [
    ("shenzhen", "深圳", "E", "粤B", "guangdong"), ("xiamen", "厦门", "E", "闽D", "fujian"),
    ("dalian", "大连", "E", "辽B", "liaoning"), ("qingdao", "青岛", "E", "鲁B", "shandong"),
    ("ningbo", "宁波", "E", "浙B", "zhejiang"),
]

# 交强险 base premium: (usage, name, min, min_inclusive, max, max_inclusive, yuan)
COMPULSORY_BASE = [
    ("family", "家庭自用汽车 6座以下", None, True, 6, False, 950),
    ("family", "家庭自用汽车 6座及以上", 6, True, None, False, 1100),
    ("enterprise", "企业非营业汽车 6座以下", None, True, 6, False, 1000),
    ("enterprise", "企业非营业汽车 6-10座", 6, True, 10, False, 1130),
    ("enterprise", "企业非营业汽车 10-20座", 10, True, 20, False, 1220),
    ("enterprise", "企业非营业汽车 20座以上", 20, True, None, False, 1270),
    ("government", "机关非营业汽车 6座以下", None, True, 6, False, 950),
    ("government", "机关非营业汽车 6-10座", 6, True, 10, False, 1070),
    ("government", "机关非营业汽车 10-20座", 10, True, 20, False, 1140),
    ("government", "机关非营业汽车 20座以上", 20, True, None, False, 1320),
    ("taxi_rental", "营业出租租赁 6座以下", None, True, 6, False, 1800),
    ("taxi_rental", "营业出租租赁 6-10座", 6, True, 10, False, 2360),
    ("taxi_rental", "营业出租租赁 10-20座", 10, True, 20, False, 2400),
    ("truck_private", "非营业货车 2吨以下", None, True, 2, False, 1200),
    ("truck_private", "非营业货车 2-5吨", 2, True, 5, False, 1470),
    ("truck_private", "非营业货车 5-10吨", 5, True, 10, False, 1650),
    ("truck_private", "非营业货车 10吨以上", 10, True, None, False, 2220),
    ("truck_commercial", "营业货车 2吨以下", None, True, 2, False, 1850),
    ("truck_commercial", "营业货车 2-5吨", 2, True, 5, False, 3070),
    ("truck_commercial", "营业货车 5-10吨", 5, True, 10, False, 3450),
    ("truck_commercial", "营业货车 10吨以上", 10, True, None, False, 4480),
    ("motorcycle", "摩托车 50CC及以下", None, True, 50, True, 80),
    ("motorcycle", "摩托车 50-250CC(含)", 50, False, 250, True, 120),
    ("motorcycle", "摩托车 250CC以上及侧三轮", 250, False, None, False, 400),
]

FLOATING = {  # scheme: A1..A6
    "A": ("-0.30", "-0.40", "-0.50", "0", "0.10", "0.30"),
    "B": ("-0.25", "-0.35", "-0.45", "0", "0.10", "0.30"),
    "C": ("-0.20", "-0.30", "-0.40", "0", "0.10", "0.30"),
    "D": ("-0.15", "-0.25", "-0.35", "0", "0.10", "0.30"),
    "E": ("-0.10", "-0.20", "-0.30", "0", "0.10", "0.30"),
}

NCD = {-4: "0.5", -3: "0.6", -2: "0.7", -1: "0.8", 0: "1.0", 1: "1.2", 2: "1.4", 3: "1.6", 4: "1.8", 5: "2.0"}

# 车船税, passenger cars, by displacement (litres; lower bound excluded, upper included). SAMPLE.
TAX_BANDS = [(None, D("1.0")), (D("1.0"), D("1.6")), (D("1.6"), D("2.0")), (D("2.0"), D("2.5")),
             (D("2.5"), D("3.0")), (D("3.0"), D("4.0")), (D("4.0"), None)]
TAX = {
    None: (180, 360, 420, 720, 1800, 3000, 4500),
    "guangdong": (60, 360, 420, 720, 1800, 3000, 4500),
    "beijing": (300, 420, 480, 900, 1800, 3000, 4500),
    "shanghai": (180, 360, 450, 720, 1500, 3000, 4500),
}

# Commercial coverages: (code, name, is_addon, requires, per_seat, offered sums, position)
THIRD_PARTY_SUMS = [100000, 150000, 200000, 300000, 500000, 1000000, 1500000, 2000000, 3000000, 4000000, 5000000,
                    10000000]
SEAT_SUMS = [10000, 20000, 30000, 50000, 100000, 200000]
COVERAGES = [
    ("vehicle_damage", "机动车损失保险", False, None, False, [], 10),
    ("third_party", "第三者责任保险", False, None, False, THIRD_PARTY_SUMS, 20),
    ("driver_seat", "车上人员责任保险（司机）", False, None, True, SEAT_SUMS, 30),
    ("passenger_seat", "车上人员责任保险（乘客）", False, None, True, SEAT_SUMS, 40),
    ("medical_beyond_nhi", "附加医保外医疗费用责任险", True, "third_party", False, [10000, 20000, 50000, 100000], 50),
    ("roadside_assistance", "附加道路救援服务特约条款", True, "vehicle_damage", False, [], 60),
    ("wheel_damage", "附加车轮单独损失险", True, "vehicle_damage", False, [2000, 5000, 10000], 70),
]

# SAMPLE benchmark premiums.  Seat bands per usage with a factor over the family-car figures.
SEAT_BANDS = {
    "family": [((None, 6), D("1.00")), ((6, None), D("1.08"))],
    "enterprise": [((None, 6), D("1.05")), ((6, 10), D("1.12"))],
}
VEHICLE_DAMAGE = [  # (price from, price to, base, rate)
    (None, 100000, "380", "0.0110"), (100000, 200000, "420", "0.0100"), (200000, 300000, "450", "0.0095"),
    (300000, 500000, "500", "0.0090"), (500000, None, "560", "0.0085"),
]
THIRD_PARTY = dict(zip(THIRD_PARTY_SUMS, ["700", "790", "860", "980", "1180", "1530", "1700", "1850", "2090", "2300",
                                          "2480", "3200"]))
SEAT_RATE = {"driver_seat": "0.0040", "passenger_seat": "0.0025"}
ADDON_FIXED = {
    "medical_beyond_nhi": {10000: "25", 20000: "45", 50000: "95", 100000: "170"},
    "roadside_assistance": {None: "60"},
    "wheel_damage": {2000: "90", 5000: "200", 10000: "360"},
}

VIOLATION = [("shanghai", "0.90", "1.10"), ("jiangsu", "0.90", "1.50"), ("beijing", "1.00", "1.45"),
             ("shenzhen", "1.00", "1.50")]


def _get(apps, name):
    if apps is None:
        return getattr(current_models, name)
    return apps.get_model("insurance", name)


def _money(value) -> Decimal:
    return D(value).quantize(D("0.01"))


def seed_insurers(apps=None) -> int:
    Insurer = _get(apps, "Insurer")
    created = 0
    for position, (code, name, short) in enumerate(INSURERS):
        _, made = Insurer.objects.get_or_create(code=code, defaults={"name": name, "short_name": short,
                                                                     "position": position})
        created += made
    return created


def seed_rating_rules(apps=None) -> None:
    """Every rating table (and the insurers); safe to run again."""
    seed_insurers(apps)
    Region = _get(apps, "Region")
    PlatePrefix = _get(apps, "PlatePrefix")
    regions = {}
    for code, name, scheme, prefix in PROVINCES:
        regions[code] = Region.objects.get_or_create(code=code, defaults={"name": name, "scheme": scheme})[0]
        PlatePrefix.objects.get_or_create(prefix=prefix, defaults={"region": regions[code]})
    for code, name, scheme, prefix, province in CITIES:
        regions[code] = Region.objects.get_or_create(
            code=code, defaults={"name": name, "scheme": scheme, "parent": regions[province]})[0]
        PlatePrefix.objects.get_or_create(prefix=prefix, defaults={"region": regions[code]})

    Base = _get(apps, "CompulsoryBasePremium")
    for usage, name, low, low_inc, high, high_inc, yuan in COMPULSORY_BASE:
        Base.objects.get_or_create(
            usage=usage, min_value=low, max_value=high, effective_from=RULES_FROM,
            defaults={"name": name, "min_inclusive": low_inc, "max_inclusive": high_inc, "premium": _money(yuan)},
        )
    Floating = _get(apps, "CompulsoryFloatingRate")
    for scheme, rates in FLOATING.items():
        for index, rate in enumerate(rates, start=1):
            Floating.objects.get_or_create(scheme=scheme, level=f"A{index}", effective_from=RULES_FROM,
                                           defaults={"rate": D(rate)})
    Ncd = _get(apps, "NcdCoefficient")
    for level, coefficient in NCD.items():
        Ncd.objects.get_or_create(level=level, effective_from=RULES_FROM, defaults={"coefficient": D(coefficient)})

    Tax = _get(apps, "VehicleTaxRate")
    for region_code, amounts in TAX.items():
        region = regions[region_code] if region_code else None
        for (low, high), amount in zip(TAX_BANDS, amounts):
            Tax.objects.get_or_create(
                region=region, min_value=low, max_value=high, effective_from=RULES_FROM,
                defaults={"min_inclusive": False, "max_inclusive": True, "amount": _money(amount), "is_sample": True},
            )

    Pricing = _get(apps, "PricingCoefficientRange")
    Pricing.objects.get_or_create(region=None, effective_from=RULES_FROM, defaults={
        "minimum": D("0.65"), "maximum": D("1.35"), "note": "银保监发〔2020〕41号"})
    Pricing.objects.get_or_create(region=None, effective_from=PRICING_2023_FROM, defaults={
        "minimum": D("0.50"), "maximum": D("1.50"),
        "note": "2022-12-30 通知：2023-04-28 至 2023-06-01 分地区实施；先行地区请单独添加"})
    Violation = _get(apps, "ViolationCoefficientRange")
    for region_code, low, high in VIOLATION:
        Violation.objects.get_or_create(region=regions[region_code], effective_from=RULES_FROM, defaults={
            "minimum": D(low), "maximum": D(high), "note": "报道范围，使用前请核实", "is_sample": True})

    _seed_coverages(apps)


def _seed_coverages(apps) -> None:
    Coverage = _get(apps, "Coverage")
    Benchmark = _get(apps, "CommercialBenchmark")
    coverages = {}
    for code, name, is_addon, requires, per_seat, sums, position in COVERAGES:
        coverages[code] = Coverage.objects.get_or_create(code=code, defaults={
            "name": name, "is_addon": is_addon, "requires": coverages.get(requires), "per_seat": per_seat,
            "offered_sums": sums, "position": position})[0]

    def row(code, usage, seats, factor, *, price=(None, None), sum_insured=None, base="0", rate="0"):
        low, high = seats
        Benchmark.objects.get_or_create(
            coverage=coverages[code], insurer=None, usage=usage, min_value=low, max_value=high, price_min=price[0],
            price_max=price[1], sum_insured=sum_insured, effective_from=RULES_FROM,
            defaults={"min_inclusive": True, "max_inclusive": False, "base": _money(D(base) * factor),
                      "rate": (D(rate) * factor).quantize(D("0.000001")), "is_sample": True},
        )

    for usage, bands in SEAT_BANDS.items():
        for seats, factor in bands:
            for low, high, base, rate in VEHICLE_DAMAGE:
                row("vehicle_damage", usage, seats, factor, price=(low, high), base=base, rate=rate)
            for sum_insured, base in THIRD_PARTY.items():
                row("third_party", usage, seats, factor, sum_insured=sum_insured, base=base)
            for code, rate in SEAT_RATE.items():
                row(code, usage, seats, factor, rate=rate)
            for code, fixed in ADDON_FIXED.items():
                for sum_insured, base in fixed.items():
                    row(code, usage, seats, factor, sum_insured=sum_insured, base=base)
