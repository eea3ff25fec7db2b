"""Believable Chinese demo values (names, mobiles, plates, VINs), deterministic
for a given random generator.  Used by ``seed_demo``, the benchmarks and tests."""

from __future__ import annotations

import datetime as dt
import random

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone
from tqdm import tqdm

from accounts.catalogue.services import catalogue_seed
from accounts.models import Brand, CarModel, CarSeries, ConsentSource, Gender, Member, Role, Store, User, Vehicle
from accounts.validators import VIN_ALPHABET, vin_check_digit

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国志红玉兰文辉鹏飞宇浩然思雨子涵欣怡梓萱一诺嘉怡俊杰晨曦佳琪雨桐"
MOBILE_PREFIXES = ("130 131 132 133 135 136 137 138 139 150 151 152 153 155 156 157 158 159 166 170 171 173 175 176 177 "
                   "178 180 181 182 183 184 185 186 187 188 189 191 193 195 198 199").split()
PLATE_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"
PLATE_ALNUM = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"
COLOURS = ["白色", "黑色", "银色", "灰色", "蓝色", "红色", "棕色"]


def chinese_name(rng: random.Random) -> str:
    given = "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))
    return rng.choice(SURNAMES) + given


def mobile_for(index: int) -> str:
    """A valid, unique-per-index mainland mobile number (index < 10**8 per prefix)."""
    prefix = MOBILE_PREFIXES[index % len(MOBILE_PREFIXES)]
    return f"{prefix}{(index * 7919 + 1234567) % 10**8:08d}"


def plate_for(index: int, province: str = "粤", letter: str = "B", new_energy: bool = False) -> str:
    """A valid plate unique per (province, letter, index) for index < 34**4 * 10."""
    body = ""
    n = index
    for _ in range(4):
        body = PLATE_ALNUM[n % len(PLATE_ALNUM)] + body
        n //= len(PLATE_ALNUM)
    digit = str(n % 10)
    if new_energy:  # small new-energy car: D/F, one letter or digit, four digits (unique for index < 680000)
        kind = "D" if index % 2 else "F"
        return f"{province}{letter}{kind}{PLATE_ALNUM[(index // 2) % 34]}{(index // 68) % 10000:04d}"
    return f"{province}{letter}{digit}{body}"


def vin_for(index: int, wmi: str = "LSV") -> str:
    """A VIN with a correct ISO 3779 check digit, unique per (wmi, index)."""
    serial = f"{index % 10**6:06d}"
    year = VIN_ALPHABET[10 + (index // 10**6) % 20]  # model-year letter
    descriptor = "AB12C"
    partial = f"{wmi}{descriptor}0{year}X{serial}"
    return partial[:8] + vin_check_digit(partial) + partial[9:]


# --- The demo group ---------------------------------------------------------------------

DEMO_PASSWORD = "dealerops-demo"

BRANDS = [
    ("vw", "大众"), ("toyota", "丰田"), ("honda", "本田"), ("buick", "别克"),
    ("audi", "奥迪"), ("bmw", "宝马"), ("byd", "比亚迪"), ("nissan", "日产"),
]
# The series the demo's cars and leads are of: names of the vehicle catalogue's series
# (accounts/catalogue/data/catalogue.csv), whose models give each car its model and energy.
SERIES = {
    "vw": ["帕萨特", "迈腾", "途观L", "朗逸", "ID.4 X"], "toyota": ["凯美瑞", "卡罗拉", "RAV4荣放", "汉兰达"],
    "honda": ["雅阁", "思域", "CR-V", "奥德赛"], "buick": ["君威", "英朗", "GL8", "昂科威Plus"],
    "audi": ["A4L", "A6L", "Q5L", "Q3"], "bmw": ["3系", "5系", "X3", "iX3"],
    "byd": ["汉", "唐", "宋PLUS", "秦PLUS", "海豹"], "nissan": ["天籁", "轩逸", "奇骏"],
}
# code, name, province, city, plate prefix, brands, address, phone
STORES = [
    ("S01", "广州天河大众4S店", "广东", "广州", "粤A", ["vw"], "天河区黄埔大道西100号", "020-38880001"),
    ("S02", "深圳南山丰田4S店", "广东", "深圳", "粤B", ["toyota"], "南山区深南大道9000号", "0755-26660002"),
    ("S03", "佛山禅城本田4S店", "广东", "佛山", "粤E", ["honda"], "禅城区季华路38号", "0757-82220003"),
    ("S04", "上海浦东别克4S店", "上海", "上海", "沪A", ["buick"], "浦东新区张杨路1500号", "021-58880004"),
    ("S05", "杭州西湖奥迪4S店", "浙江", "杭州", "浙A", ["audi"], "西湖区文三路200号", "0571-87770005"),
    ("S06", "南京江宁宝马4S店", "江苏", "南京", "苏A", ["bmw"], "江宁区双龙大道1000号", "025-52220006"),
    ("S07", "北京朝阳比亚迪4S店", "北京", "北京", "京N", ["byd"], "朝阳区北四环东路88号", "010-64440007"),
    ("S08", "天津河西日产4S店", "天津", "天津", "津A", ["nissan"], "河西区友谊路50号", "022-23330008"),
    ("S09", "成都武侯大众4S店", "四川", "成都", "川A", ["vw"], "武侯区二环路南四段6号", "028-85550009"),
    ("S10", "重庆渝北丰田4S店", "重庆", "重庆", "渝A", ["toyota"], "渝北区金开大道99号", "023-67770010"),
    ("S11", "武汉汉阳本田4S店", "湖北", "武汉", "鄂A", ["honda"], "汉阳区龙阳大道120号", "027-84440011"),
    ("S12", "西安雁塔比亚迪4S店", "陕西", "西安", "陕A", ["byd"], "雁塔区科技路33号", "029-88880012"),
]
STORE_ROLE_LOGINS = ["manager", "consultant", "dcc", "insurance", "usedcar"]
EXTRA_CONSULTANTS_PER_STORE = 3
SOURCE_CHANNELS = ["walkin", "oem", "autohome", "dongchedi", "miniprogram", "dcc", "event"]
# Demo owners the README lists: they sign in on /m/ with these mobiles.
DEMO_OWNERS = [
    ("S01", "李娜", "13800138000", "粤A8M2X6", "vw", "帕萨特"),
    ("S02", "张伟", "13900139000", "粤BD12345", "toyota", "凯美瑞"),
    ("S04", "王芳", "13700137000", "沪A6Q8L9", "buick", "GL8"),
]


def seed_group(*, stdout=None) -> dict:
    """The vehicle catalogue, brands, stores and staff: idempotent
    (get_or_create by natural keys).  The stores' brands are the group's."""
    catalogue_seed()
    brands = {code: Brand.objects.get_or_create(code=code, defaults={"name": name})[0] for code, name in BRANDS}
    Brand.objects.filter(code__in=list(brands), is_group_brand=False).update(is_group_brand=True)
    stores = []
    for code, name, province, city, _prefix, brand_codes, address, phone in STORES:
        store, _ = Store.objects.get_or_create(
            code=code, defaults={"name": name, "province": province, "city": city, "address": address, "phone": phone}
        )
        store.brands.add(*[brands[b] for b in brand_codes])
        stores.append(store)

    rng = random.Random(20261123)
    # Hash the shared demo password once: ~100 PBKDF2 rounds would take half a minute.
    password = make_password(DEMO_PASSWORD)

    def staff(username, role, store=None, **extra):
        user = User.objects.filter(username=username).first()
        if user is None:
            name = chinese_name(rng)
            user = User(username=username, role=role, store=store, last_name=name[0], first_name=name[1:], **extra)
            user.password = password
            user.save()
        return user

    staff("admin", Role.ADMIN, is_superuser=True, is_staff=True)
    staff("hq", Role.HQ, is_staff=False)
    for store in stores:
        prefix = store.code.lower()
        for role in STORE_ROLE_LOGINS:
            staff(f"{prefix}_{role}", role, store)
        for n in range(2, 2 + EXTRA_CONSULTANTS_PER_STORE):
            staff(f"{prefix}_consultant{n}", Role.CONSULTANT, store)
    return {"brands": brands, "stores": stores}


def catalogue_models() -> dict[tuple[str, str], list]:
    """The catalogue's models of ``SERIES``, by (brand code, series name)
    (a series missing from the catalogue: its cars get no model)."""
    models: dict[tuple[str, str], list] = {}
    for model in CarModel.objects.filter(series__brand__code__in=list(SERIES)).select_related("series__brand").order_by(
        "series_id", "-year", "guide_price", "pk"
    ):
        models.setdefault((model.series.brand.code, model.series.name), []).append(model)
    return models


def _member_rows(start: int, count: int, stores, brands, now, rng, models=None):
    """Members and their vehicles for indexes start..start+count-1 (unsaved);
    each car is a model of the catalogue (``models``: ``catalogue_models``)."""
    store_meta = {s[0]: s for s in STORES}
    members, vehicles = [], []
    for index in range(start, start + count):
        store = stores[index % len(stores)]
        meta = store_meta.get(store.code)
        joined = now - dt.timedelta(days=rng.randint(0, 3 * 365), minutes=rng.randint(0, 1440))
        consent = rng.random() < 0.6
        members.append(Member(
            name=chinese_name(rng),
            mobile=mobile_for(index),
            gender=rng.choice((Gender.MALE, Gender.FEMALE, Gender.UNKNOWN)),
            birthday=dt.date(rng.randint(1965, 2002), rng.randint(1, 12), rng.randint(1, 28)),
            city=store.city,
            store=store,
            source_channel=rng.choice(SOURCE_CHANNELS),
            marketing_consent=consent,
            consent_at=joined if consent else None,
            consent_source=ConsentSource.STORE if consent else "",
            joined_at=joined,
        ))
        brand_code = meta[5][0] if meta else rng.choice(list(brands))
        series = rng.choice(SERIES[brand_code])
        choices = (models or {}).get((brand_code, series)) or [None]
        model = choices[index % len(choices)]
        province, letter = (meta[4][0], meta[4][1]) if meta else ("粤", "A")
        vehicles.append(dict(
            vin=vin_for(index),
            plate=plate_for(index, province, letter, new_energy=bool(model and model.is_new_energy)),
            brand=brands[brand_code],
            series=series,
            model=model.name if model else "",
            catalogue_series=model.series if model else None,
            catalogue_model=model,
            colour=rng.choice(COLOURS),
            purchase_date=(joined - dt.timedelta(days=rng.randint(0, 2000))).date(),
            mileage=rng.randint(500, 150_000),
        ))
    return members, vehicles


def seed_members(*, count: int, batch_size: int = 5000, progress: bool = False) -> int:
    """``count`` members (index 0..count-1) with one vehicle each, in bulk.

    Idempotent: members whose mobile already exists are skipped (by index
    range: a re-run continues where the last one stopped)."""
    stores = list(Store.objects.order_by("code"))
    brands = {b.code: b for b in Brand.objects.all()}
    models = catalogue_models()
    start = 0
    if count and Member.objects.filter(mobile=mobile_for(0)).exists():
        # Find how far an earlier run got (members are created in index order).
        low, high = 0, count
        while low < high:
            mid = (low + high) // 2
            if Member.objects.filter(mobile=mobile_for(mid)).exists():
                low = mid + 1
            else:
                high = mid
        start = low
    rng = random.Random(start)
    now = timezone.now()
    bar = None
    if progress:
        bar = tqdm(total=count, initial=start, unit="members", smoothing=0.1)
    created = 0
    for batch_start in range(start, count, batch_size):
        n = min(batch_size, count - batch_start)
        members, vehicle_data = _member_rows(batch_start, n, stores, brands, now, rng, models)
        with transaction.atomic():
            Member.objects.bulk_create(members, batch_size=1000)
            Vehicle.objects.bulk_create(
                [Vehicle(member=m, **v) for m, v in zip(members, vehicle_data)], batch_size=1000
            )
        created += n
        if bar is not None:
            bar.update(n)
    if bar is not None:
        bar.close()
    return created


def seed_demo_owners() -> None:
    """The owners whose mobiles the README lists, each with one car (the
    newest, cheapest model of its catalogue series)."""
    for store_code, name, mobile, plate, brand_code, series_name in DEMO_OWNERS:
        store = Store.objects.get(code=store_code)
        member, created = Member.objects.get_or_create(
            mobile=mobile, defaults={"name": name, "store": store, "city": store.city, "source_channel": "walkin"}
        )
        if created:
            series = CarSeries.objects.select_related("brand").get(brand__code=brand_code, name=series_name)
            model = series.models.order_by("-year", "guide_price", "pk").first()
            Vehicle.objects.create(
                member=member, plate=plate, brand=series.brand, series=series.name, catalogue_series=series,
                model=model.name if model else "", catalogue_model=model,
            )
