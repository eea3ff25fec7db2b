"""The catalogue spreadsheet: one row per model (车型), its series and brand
repeated on each row; a row without a model adds or updates only its series
(or, without a series, only its brand).  A brand's and a series' details
(initial, pinyin, aliases, maker) are read from the first row that names
it, and blank cells leave what is on file; a new brand needs its code and
initial (or pinyin), a new series without a code gets one from its name.
A model is known by its series, year and name.

The seed (``data/catalogue.csv``) is such a file: the seed migration, the
admin import and ``catalogue_seed`` all read it through ``SHEET`` and
``row_parse``, which check each row on its own (no database: the migration
uses them too).  Checks against what is on file and across rows are in
``accounts.catalogue.services``.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from accounts.catalogue import exceptions as errors
from accounts.catalogue.models import BodyType, EnergyType
from accounts.imports import ImportLimits, ImportSheet

SEED_PATH = Path(__file__).resolve().parent / "data" / "catalogue.csv"
# A catalogue is small: the admin import reads at most this much.
LIMITS = ImportLimits(max_bytes=5 * 1024 * 1024, max_rows=20_000)

COLUMNS = (
    "brand_code", "brand", "initial", "pinyin", "brand_aliases", "group_brand",
    "series_code", "series", "maker", "series_aliases",
    "model", "year", "body_type", "seats", "energy_type", "displacement", "battery_kwh", "guide_price",
)
MAX_LENGTHS = {
    "brand_code": 32, "brand": 64, "initial": 8, "pinyin": 64, "brand_aliases": 200, "group_brand": 8,
    "series_code": 64, "series": 64, "maker": 64, "series_aliases": 200,
    "model": 100, "year": 16, "body_type": 16, "seats": 8, "energy_type": 16, "displacement": 16,
    "battery_kwh": 16, "guide_price": 32,
}
# Each column's name in messages ("请填写年款。").
COLUMN_LABELS = {
    "brand_code": _("品牌代码"), "brand": _("品牌名称"), "initial": _("首字母"), "pinyin": _("拼音"),
    "brand_aliases": _("品牌别名"), "group_brand": _("集团品牌"), "series_code": _("车系代码"), "series": _("车系名称"),
    "maker": _("厂商"), "series_aliases": _("车系别名"), "model": _("车型名称"), "year": _("年款"),
    "body_type": _("车身类型"), "seats": _("座位数"), "energy_type": _("能源类型"), "displacement": _("排量"),
    "battery_kwh": _("电池容量"), "guide_price": _("指导价"),
}
_HEADERS = {
    "brand_code": ("品牌代码",), "brand": ("品牌", "品牌名称"), "initial": ("首字母",), "pinyin": ("拼音", "品牌拼音"),
    "brand_aliases": ("品牌别名",), "group_brand": ("集团品牌", "集团经营品牌", "is_group_brand"),
    "series_code": ("车系代码",), "series": ("车系", "车系名称"), "maker": ("厂商",), "series_aliases": ("车系别名",),
    "model": ("车型", "车型名称"), "year": ("年款",), "body_type": ("车身类型", "车身"), "seats": ("座位数", "座位"),
    "energy_type": ("能源类型", "能源"), "displacement": ("排量", "排量(l)", "排量（升）", "排量(升)"),
    "battery_kwh": ("电池容量", "电池容量(kwh)", "电池容量（kwh）", "battery"),
    "guide_price": ("指导价", "指导价(元)", "指导价（元）", "厂商指导价", "厂商指导价（元）", "厂商指导价(元)"),
}
ALIASES = {column: column for column in COLUMNS} | {
    header.lower().replace(" ", ""): column for column, headers in _HEADERS.items() for header in headers
}
SHEET = ImportSheet(
    columns=COLUMNS, max_lengths=MAX_LENGTHS, aliases=ALIASES, required=("brand",),
    missing_message=errors.MISSING_COLUMNS,
)

_CODE = re.compile(r"^[a-z0-9][a-z0-9_-]*\Z")
_NUMBER = re.compile(r"^\s*(\d+(?:\.\d+)?)")
_YES = {"是", "y", "yes", "true", "1", "√"}
_NO = {"否", "n", "no", "false", "0", "×"}
# Other names a spreadsheet may use for each choice (besides its code and label).
_ENERGY_WORDS = {
    EnergyType.PETROL: ("燃油", "汽油车", "gasoline", "gas", "ice"),
    EnergyType.HYBRID: ("混动", "油电混动", "hev", "双擎"),
    EnergyType.PLUGIN: ("插电混动", "插混", "phev", "plug-in", "dm-i"),
    EnergyType.EXTENDED_RANGE: ("增程", "增程式电动", "erev", "reev"),
    EnergyType.ELECTRIC: ("纯电", "电动", "ev", "bev"),
}
_BODY_WORDS = {
    BodyType.SEDAN: ("三厢", "三厢车"), BodyType.HATCHBACK: ("两厢",), BodyType.SUV: ("越野车",),
    BodyType.MPV: ("商务车",), BodyType.WAGON: ("猎装车", "旅行版"), BodyType.COUPE: ("轿跑", "跑车/轿跑"),
    BodyType.PICKUP: ("皮卡车",),
}


def _choice_lookup(choices, words) -> dict[str, str]:
    lookup = {}
    for value, label in choices.choices:
        for word in (value, str(label), *words.get(value, ())):
            lookup[word.lower().replace(" ", "")] = value
    return lookup


def series_code_for(brand_code: str, name: str) -> str:
    """A stable code for a new series named ``name``: its name as a slug
    ("Model 3" → "tesla-model-3"), or a digest of it for a Chinese name."""
    slug = slugify(name.replace(".", "")) or hashlib.sha1(name.encode()).hexdigest()[:8]
    return f"{brand_code}-{slug}"[:64]


@dataclass
class CatalogueRow:
    """One row: its values as typed (``values``), what they mean, and the
    problems found (``errors``, translated)."""

    line: int
    values: dict
    errors: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    initial: str = ""
    group_brand: bool | None = None
    year: int | None = None
    seats: int | None = None
    body_type: str = ""
    energy_type: str = ""
    displacement: Decimal | None = None
    battery_kwh: Decimal | None = None
    guide_price: Decimal | None = None
    action: str = ""  # set by the services' check: what importing the row does

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def has_series(self) -> bool:
        return bool(self.values["series"] or self.values["series_code"])

    @property
    def has_model(self) -> bool:
        return bool(self.values["model"])


def _decimal(text: str, *, low: Decimal, high: Decimal) -> Decimal | None:
    match = _NUMBER.match(text)
    if not match:
        return None
    value = Decimal(match.group(1))
    return value if low < value < high else None


def parse_price(text: str) -> Decimal | None:
    """Yuan: "129900", "129,900.00", "¥129900" or "12.99万"."""
    cleaned = text.replace(",", "").replace("，", "").replace("¥", "").replace("￥", "").replace("元", "").strip()
    factor = Decimal(1)
    if cleaned.endswith("万"):
        cleaned, factor = cleaned[:-1].strip(), Decimal(10_000)
    try:
        value = (Decimal(cleaned) * factor).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        return None
    return value if Decimal(0) < value < Decimal(100_000_000) else None


def row_parse(record: dict) -> CatalogueRow:
    """Check one record on its own and parse its values."""
    row = CatalogueRow(line=int(record.get("line") or 0), values=SHEET.values(record))
    v = row.values
    v["brand_code"] = v["brand_code"].lower()
    v["series_code"] = v["series_code"].lower()
    v["pinyin"] = v["pinyin"].lower().replace(" ", "")
    if not v["brand"] and not v["brand_code"]:
        row.errors.append(str(errors.BRAND_NAME_REQUIRED))
    if v["brand_code"] and not _CODE.match(v["brand_code"]):
        row.errors.append(str(errors.BRAND_CODE_INVALID))
    if v["pinyin"] and not (v["pinyin"].isascii() and v["pinyin"].isalpha()):
        row.errors.append(str(errors.PINYIN_INVALID))
    initial = v["initial"].upper() or v["pinyin"][:1].upper()
    if initial and not (len(initial) == 1 and "A" <= initial <= "Z"):
        row.errors.append(str(errors.INITIAL_INVALID))
    row.initial = initial
    flag = v["group_brand"].lower()
    if flag:
        if flag in _YES:
            row.group_brand = True
        elif flag in _NO:
            row.group_brand = False
        else:
            row.errors.append(str(errors.GROUP_BRAND_INVALID))
    if v["series_code"] and not _CODE.match(v["series_code"]):
        row.errors.append(str(errors.SERIES_CODE_INVALID))
    if row.has_model:
        if not row.has_series:
            row.errors.append(str(errors.SERIES_REQUIRED_FOR_MODEL))
        _parse_model(row)
    return row


def _parse_model(row: CatalogueRow) -> None:
    v = row.values
    for column in ("year", "body_type", "seats", "energy_type", "guide_price"):
        if not v[column]:
            row.errors.append(str(errors.MODEL_FIELD_REQUIRED) % {"field": COLUMN_LABELS[column]})
    if v["year"]:
        year = v["year"].removesuffix("款").removesuffix("年").strip()
        row.year = int(year) if year.isascii() and year.isdigit() and 1980 <= int(year) <= 2100 else None
        if row.year is None:
            row.errors.append(str(errors.YEAR_INVALID))
    if v["seats"]:
        seats = v["seats"].removesuffix("座").strip()
        row.seats = int(seats) if seats.isascii() and seats.isdigit() and 1 <= int(seats) <= 9 else None
        if row.seats is None:
            row.errors.append(str(errors.SEATS_INVALID))
    if v["body_type"]:
        row.body_type = _choice_lookup(BodyType, _BODY_WORDS).get(v["body_type"].lower().replace(" ", ""), "")
        if not row.body_type:
            row.errors.append(str(errors.BODY_TYPE_INVALID) % {"choices": "、".join(str(label) for label in BodyType.labels)})
    if v["energy_type"]:
        row.energy_type = _choice_lookup(EnergyType, _ENERGY_WORDS).get(v["energy_type"].lower().replace(" ", ""), "")
        if not row.energy_type:
            row.errors.append(str(errors.ENERGY_TYPE_INVALID) % {"choices": "、".join(str(label) for label in EnergyType.labels)})
    if v["displacement"]:
        row.displacement = _decimal(v["displacement"], low=Decimal(0), high=Decimal(10))
        if row.displacement is None:
            row.errors.append(str(errors.DISPLACEMENT_INVALID))
    if v["battery_kwh"]:
        row.battery_kwh = _decimal(v["battery_kwh"], low=Decimal(0), high=Decimal(300))
        if row.battery_kwh is None:
            row.errors.append(str(errors.BATTERY_INVALID))
    if v["guide_price"]:
        row.guide_price = parse_price(v["guide_price"])
        if row.guide_price is None:
            row.errors.append(str(errors.PRICE_INVALID))
    _check_energy(row)


def _check_energy(row: CatalogueRow) -> None:
    """Petrol and hybrid cars have a displacement, electric cars a battery,
    plug-in and extended-range cars both; a petrol car has no battery and an
    electric car no displacement."""
    energy = row.energy_type
    if not energy:
        return
    label = str(EnergyType(energy).label)
    if energy != EnergyType.ELECTRIC and not row.values["displacement"]:
        row.errors.append(str(errors.DISPLACEMENT_REQUIRED) % {"energy": label})
    if energy in (EnergyType.ELECTRIC, EnergyType.PLUGIN, EnergyType.EXTENDED_RANGE) and not row.values["battery_kwh"]:
        row.errors.append(str(errors.BATTERY_REQUIRED) % {"energy": label})
    if energy == EnergyType.ELECTRIC and row.values["displacement"]:
        row.errors.append(str(errors.DISPLACEMENT_NOT_FOR_ELECTRIC))
    if energy == EnergyType.PETROL and row.values["battery_kwh"]:
        row.errors.append(str(errors.BATTERY_NOT_FOR_PETROL))


def seed_rows() -> list[CatalogueRow]:
    """The seed file's rows, parsed (``data/catalogue.csv``)."""
    with SEED_PATH.open("rb") as fileobj:
        return [row_parse(record) for record in SHEET.read(fileobj, name=SEED_PATH.name, limits=LIMITS)]
