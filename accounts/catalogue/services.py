"""The catalogue's rules: what a typed brand, series or model means
(``vehicle_make_resolve`` for vehicles, strict; ``series_match`` for leads,
lenient), and the spreadsheet import (``catalogue_check`` then
``catalogue_import``; ``catalogue_seed`` loads the seed file)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.audit import audit_record
from accounts.catalogue import exceptions as errors
from accounts.catalogue.exceptions import CatalogueError
from accounts.catalogue.models import CarModel, CarSeries
from accounts.catalogue.matching import SeriesIndex, name_key, name_keys
from accounts.catalogue.sheet import (
    COLUMN_LABELS, LIMITS, SEED_PATH, SHEET, CatalogueRow, row_parse, series_code_for,
)
from accounts.models import Brand, User

# --- naming a car -----------------------------------------------------------------------------------


def brand_find(text: str) -> Brand | None:
    """The brand ``text`` names: its code, its name or one of its aliases
    ("vw", "大众", "Volkswagen", "一汽-大众"), case and spaces ignored."""
    text = (text or "").strip()
    if not text:
        return None
    exact = Brand.objects.filter(Q(code__iexact=text) | Q(name=text)).order_by("pk").first()
    if exact is not None:
        return exact
    key = name_key(text)
    for pk, code, name, aliases in Brand.objects.order_by("pk").values_list("pk", "code", "name", "aliases"):
        if key in name_keys(name, code, aliases):
            return Brand.objects.get(pk=pk)
    return None


def _series_candidates(text: str, brand: Brand | None) -> list[CarSeries]:
    """The series ``text`` may name (see ``SeriesIndex``): an exact code or
    name in one query, else every series' keys compared."""
    series = CarSeries.objects.select_related("brand").order_by("pk")
    scoped = series.filter(brand=brand) if brand is not None else series
    exact = list(scoped.filter(Q(code__iexact=text) | Q(name=text)))
    if exact:
        return exact
    index = SeriesIndex(
        CarSeries.objects.values_list("pk", "brand_id", "code", "name", "aliases", "brand__name")
    )
    found = index.find(text, brand_id=brand.pk if brand is not None else None)
    return list(series.filter(pk__in=found)) if found else []


def series_find(text: str, *, brand: Brand | None = None) -> CarSeries:
    """The series ``text`` names (code, name or alias), within ``brand`` when
    given, else in the whole catalogue; ``CatalogueError`` on ``series``
    when there is none, or several without a brand."""
    text = (text or "").strip()
    found = _series_candidates(text, brand)
    if len(found) == 1:
        return found[0]
    if not found:
        message = errors.UNKNOWN_SERIES_OF_BRAND if brand is not None else errors.UNKNOWN_SERIES
    else:
        message = errors.AMBIGUOUS_SERIES
    raise CatalogueError(message, code="invalid", fields={"series": [str(message)]})


def series_match(*, text: str, brand: Brand | None = None) -> CarSeries | None:
    """Lenient, for a lead's free-text model interest ("朗逸", "小米SU7",
    "model y"): the one series it names — within ``brand`` first, then in
    the whole catalogue — or None when it names none or several."""
    text = (text or "").strip()
    if not text:
        return None
    if brand is not None:
        found = _series_candidates(text, brand)
        if len(found) == 1:
            return found[0]
    found = _series_candidates(text, None)
    return found[0] if len(found) == 1 else None


@dataclass(frozen=True)
class VehicleMake:
    """What car a vehicle is, resolved against the catalogue; the texts are
    what the vehicle shows (the catalogue's names where it matched)."""

    brand: Brand | None = None
    series: CarSeries | None = None
    model: CarModel | None = None
    series_text: str = ""
    model_text: str = ""


def vehicle_make_resolve(
    *, brand: Brand | str | None = None, series: CarSeries | str = "", model: str = "",
    model_id: CarModel | int | None = None,
) -> VehicleMake:
    """A catalogue model (``model_id``), or a brand and a series by code or
    Chinese name, to catalogue rows.  A brand, series or model the catalogue
    does not have is a ``CatalogueError`` naming that field (``brand``,
    ``series``, ``model_id``) in words, never a raw list; one that does not
    belong with the others too.  Without a brand a series is looked up in
    the whole catalogue (and brings its brand).  ``model`` stays free text
    (e.g. "330TSI") unless it is the exact name of a model of the series."""
    fields: dict[str, list[str]] = {}
    brand_obj = brand if isinstance(brand, Brand) else None
    if isinstance(brand, str) and brand.strip():
        brand_obj = brand_find(brand)
        if brand_obj is None:
            fields["brand"] = [str(errors.UNKNOWN_BRAND)]
    model_obj = model_id if isinstance(model_id, CarModel) else None
    if model_obj is None and model_id not in (None, ""):
        model_obj = CarModel.objects.select_related("series__brand").filter(pk=model_id).first()
        if model_obj is None:
            fields["model_id"] = [str(errors.UNKNOWN_MODEL)]
    series_obj = series if isinstance(series, CarSeries) else None
    typed_series = series.strip() if isinstance(series, str) else ""
    if model_obj is not None:
        if brand_obj is not None and model_obj.series.brand_id != brand_obj.pk:
            fields["brand"] = [str(errors.MODEL_NOT_OF_BRAND)]
        if series_obj is not None and series_obj.pk != model_obj.series_id:
            fields["series"] = [str(errors.MODEL_NOT_OF_SERIES)]
        elif typed_series and model_obj.series not in _series_candidates(typed_series, model_obj.series.brand):
            fields["series"] = [str(errors.MODEL_NOT_OF_SERIES)]
        series_obj = model_obj.series
    elif typed_series and "brand" not in fields:
        try:
            series_obj = series_find(typed_series, brand=brand_obj)
        except CatalogueError as exc:
            fields.update(exc.fields)
    if fields:
        raise CatalogueError(next(iter(fields.values()))[0], code="invalid", fields=fields)
    if series_obj is not None:
        brand_obj = series_obj.brand
    model = (model or "").strip()
    if model_obj is None and series_obj is not None and model:
        model_obj = series_obj.models.filter(name=model).order_by("-year", "pk").first()
    return VehicleMake(
        brand=brand_obj, series=series_obj, model=model_obj,
        series_text=series_obj.name if series_obj is not None else typed_series,
        model_text=model_obj.name if model_obj is not None else model,
    )


# --- the spreadsheet import ------------------------------------------------------------------------

# What importing a row does (the preview's last column).
MODEL_NEW = _("新增车型")
MODEL_CHANGED = _("更新车型")
MODEL_SAME = _("无变化")
BRAND_ONLY = _("品牌信息")
SERIES_ONLY = _("车系信息")


@dataclass
class CatalogueCheck:
    """Every row checked, with what importing it would do (``row.action``)."""

    rows: list[CatalogueRow]
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def valid(self) -> bool:
        return bool(self.rows) and all(row.ok for row in self.rows)

    @property
    def error_count(self) -> int:
        return sum(1 for row in self.rows if not row.ok)


class _Plan:
    """Walks the rows in order against what is on file (loaded once) and
    what earlier rows add, deciding for each brand, series and model whether
    it is new, changed or unchanged."""

    def __init__(self, *, update: bool):
        self.update = update
        self.brands = {b.code: b for b in Brand.objects.all()}
        self.brand_by_key: dict[str, Brand] = {}
        for brand in self.brands.values():
            for key in name_keys(brand.name, brand.code, brand.aliases):
                self.brand_by_key.setdefault(key, brand)
        self.series = {s.code: s for s in CarSeries.objects.all()}
        self.series_by_name = {(s.brand_id, name_key(s.name)): s for s in self.series.values()}
        self.models = {(m.series_id, m.year, m.name): m for m in CarModel.objects.all()}
        self.next_position: dict[int | str, int] = {}
        self.seen_brand: dict[str, tuple[int, CatalogueRow]] = {}
        self.seen_series: dict[str, tuple[int, CatalogueRow]] = {}
        self.seen_model: dict[tuple, int] = {}
        # What to write, in order: (object, its changed fields, or None when it is new)
        self.writes: list[tuple[object, list[str] | None]] = []
        self.counts = dict.fromkeys(
            ("brands_created", "brands_updated", "series_created", "series_updated", "models_created",
             "models_updated", "unchanged"), 0)

    # Each step returns the object the row names (new objects are unsaved until written).
    def brand(self, row: CatalogueRow) -> Brand | None:
        v = row.values
        code = v["brand_code"]
        brand = self.brands.get(code) if code else self.brand_by_key.get(name_key(v["brand"]))
        if brand is None and code:
            taken = self.brand_by_key.get(name_key(v["brand"])) if v["brand"] else None
            if taken is not None and taken.code != code:
                row.errors.append(str(errors.BRAND_NAME_TAKEN) % {"code": taken.code})
                return None
        if brand is None and not code:
            row.errors.append(str(errors.BRAND_CODE_REQUIRED))
            return None
        key = code or brand.code
        if key in self.seen_brand:
            line, first = self.seen_brand[key]
            for column in ("brand", "initial", "pinyin"):
                if v[column] and first.values[column] and v[column] != first.values[column]:
                    row.errors.append(str(errors.CONFLICTS_WITH_LINE) % {"line": line, "field": COLUMN_LABELS[column]})
            return self.brands.get(key)
        self.seen_brand[key] = (row.line, row)
        if brand is None:
            if not v["brand"]:
                row.errors.append(str(errors.BRAND_NAME_REQUIRED))
            if not row.initial:
                row.errors.append(str(errors.INITIAL_REQUIRED))
            if not row.ok:
                return None
            brand = Brand(code=code, name=v["brand"], initial=row.initial, pinyin=v["pinyin"],
                          aliases=v["brand_aliases"], is_group_brand=bool(row.group_brand))
            self._add(brand, "brands_created")
            self.brands[code] = brand
            for k in name_keys(brand.name, brand.code, brand.aliases):
                self.brand_by_key.setdefault(k, brand)
            return brand
        wanted = {"name": v["brand"], "initial": row.initial, "pinyin": v["pinyin"], "aliases": v["brand_aliases"],
                  "is_group_brand": row.group_brand}
        self._change(brand, "brands_updated", {k: x for k, x in wanted.items() if x not in ("", None)})
        return brand

    def series_of(self, row: CatalogueRow, brand: Brand) -> CarSeries | None:
        v = row.values
        code = v["series_code"]
        series = self.series.get(code) if code else self.series_by_name.get((brand.pk or brand.code, name_key(v["series"])))
        if series is not None and (series.brand_id or series.brand.code) != (brand.pk or brand.code):
            row.errors.append(str(errors.SERIES_CODE_OF_OTHER_BRAND) % {"code": code})
            return None
        if series is None and code and v["series"]:
            taken = self.series_by_name.get((brand.pk or brand.code, name_key(v["series"])))
            if taken is not None:
                row.errors.append(str(errors.SERIES_NAME_TAKEN) % {"code": taken.code})
                return None
        key = code or (series.code if series is not None else series_code_for(brand.code, v["series"]))
        if key in self.seen_series:
            line, first = self.seen_series[key]
            if v["series"] and first.values["series"] and name_key(v["series"]) != name_key(first.values["series"]):
                row.errors.append(str(errors.CONFLICTS_WITH_LINE) % {"line": line, "field": COLUMN_LABELS["series"]})
            return self.series.get(key)
        self.seen_series[key] = (row.line, row)
        if series is None:
            if not v["series"]:
                row.errors.append(str(errors.MODEL_FIELD_REQUIRED) % {"field": COLUMN_LABELS["series"]})
                return None
            if key in self.series:  # a generated code already used by another series
                key = series_code_for(brand.code, f"{v['series']}-{len(self.series)}")
            brand_key = brand.pk or brand.code
            if brand_key not in self.next_position:
                positions = [s.position for s in self.series.values() if (s.brand_id or s.brand.code) == brand_key]
                self.next_position[brand_key] = max(positions, default=0) + 1
            series = CarSeries(brand=brand, code=key, name=v["series"], maker=v["maker"], aliases=v["series_aliases"],
                               position=self.next_position[brand_key])
            self.next_position[brand_key] += 1
            self._add(series, "series_created")
            self.series[key] = series
            self.series_by_name[(brand_key, name_key(series.name))] = series
            return series
        wanted = {"name": v["series"], "maker": v["maker"], "aliases": v["series_aliases"]}
        self._change(series, "series_updated", {k: x for k, x in wanted.items() if x})
        return series

    def model_of(self, row: CatalogueRow, series: CarSeries) -> None:
        v = row.values
        key = (series.pk or series.code, row.year, v["model"])
        if key in self.seen_model:
            row.errors.append(str(errors.DUPLICATE_MODEL) % {"line": self.seen_model[key]})
            return
        self.seen_model[key] = row.line
        wanted = {"body_type": row.body_type, "seats": row.seats, "energy_type": row.energy_type,
                  "displacement": row.displacement, "battery_kwh": row.battery_kwh, "guide_price": row.guide_price}
        model = self.models.get(key) if series.pk else None
        if model is None:
            self._add(CarModel(series=series, year=row.year, name=v["model"], **wanted), "models_created")
            row.action = MODEL_NEW
            return
        self._change(model, "models_updated", wanted, row=row)

    def _add(self, obj, counter: str) -> None:
        self.writes.append((obj, None))
        self.counts[counter] += 1

    def _change(self, obj, counter: str, wanted: dict, row: CatalogueRow | None = None) -> None:
        changed = [k for k, value in wanted.items() if getattr(obj, k) != value]
        if row is not None:
            row.action = MODEL_CHANGED if changed and self.update else MODEL_SAME
        if not changed or not self.update:
            if row is not None:
                self.counts["unchanged"] += 1
            return
        for k in changed:
            setattr(obj, k, wanted[k])
        self.writes.append((obj, changed))
        self.counts[counter] += 1

    def row(self, row: CatalogueRow) -> None:
        if not row.ok:
            return
        brand = self.brand(row)
        if brand is None or not row.ok:
            return
        if not row.has_series:
            row.action = BRAND_ONLY
            return
        series = self.series_of(row, brand)
        if series is None or not row.ok:
            return
        if row.has_model:
            self.model_of(row, series)
        else:
            row.action = SERIES_ONLY


def _plan(records: Iterable[dict], *, update: bool) -> tuple[CatalogueCheck, _Plan]:
    plan = _Plan(update=update)
    rows = []
    for record in records:
        row = row_parse(record)
        plan.row(row)
        rows.append(row)
    return CatalogueCheck(rows=rows, counts=plan.counts), plan


def catalogue_check(*, records: Iterable[dict], update: bool = True) -> CatalogueCheck:
    """Check a catalogue file's records (reads only): each row on its own,
    against the catalogue on file and against the rows before it."""
    return _plan(records, update=update)[0]


def catalogue_import(*, records: list[dict], actor: User | None, update: bool = True) -> CatalogueCheck:
    """Import a catalogue file: checked again, then every brand, series and
    model added or (``update``) changed in one transaction; nothing is
    deleted (untick 在售/可选 in the admin instead).  Any row with an error
    and nothing is written: ``CatalogueError`` with ``fields={"rows": {line:
    [messages]}}``.  Audited with the counts."""
    with transaction.atomic():
        check, plan = _plan(records, update=update)
        if not check.valid:
            bad = {str(row.line): row.errors for row in check.rows if not row.ok}
            raise CatalogueError(code="invalid", fields={"rows": bad})
        for obj, changed in plan.writes:  # in row order: a new brand is saved before its series
            if changed is None:
                obj.save()
            else:
                obj.save(update_fields=[*changed, "updated_at"])
        if actor is not None:
            audit_record(actor=actor, action="accounts.catalogue.imported", data=check.counts)
    return check


def catalogue_seed(*, brands: Iterable[str] | None = None) -> CatalogueCheck:
    """Add whatever the seed file has that the catalogue lacks (never
    changes what is on file), for the demo and tests; ``brands``: only the
    rows of these brand codes."""
    with SEED_PATH.open("rb") as fileobj:
        records = list(SHEET.read(fileobj, name=SEED_PATH.name, limits=LIMITS))
    if brands is not None:
        wanted = set(brands)
        records = [record for record in records if record["brand_code"] in wanted]
    return catalogue_import(records=records, actor=None, update=False)
