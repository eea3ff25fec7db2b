"""Leads fixtures: the channels seed_demo creates, and a lead factory."""

from __future__ import annotations

import pytest

from leads.models import Channel, ChannelKind, NurtureStep, ScoringConfig

CHANNELS = [
    ("oem", "厂家下发", ChannelKind.OEM), ("autohome", "汽车之家", ChannelKind.PORTAL),
    ("dongchedi", "懂车帝", ChannelKind.PORTAL), ("miniprogram", "小程序", ChannelKind.MINIPROGRAM),
    ("walkin", "自然到店", ChannelKind.WALKIN), ("dcc", "DCC 外呼", ChannelKind.DCC), ("event", "车展活动", ChannelKind.EVENT),
]


@pytest.fixture
def channels(db):
    return {code: Channel.objects.get_or_create(code=code, defaults={"name": name, "kind": kind})[0]
            for code, name, kind in CHANNELS}


@pytest.fixture
def scoring(db):
    config = ScoringConfig.current()
    return config


@pytest.fixture
def nurture_steps(db):
    return [
        NurtureStep.objects.create(position=1, delay_days=1, body="{name}您好，{model}本周到店有礼，欢迎来{store}品鉴。"),
        NurtureStep.objects.create(position=2, delay_days=3, body="{name}您好，{model}限时金融方案已上线。"),
    ]


@pytest.fixture
def make_lead(channels, store_a):
    from leads.services import lead_ingest

    counter = iter(range(10_000))

    def make(store=None, *, mobile=None, channel="autohome", **kwargs):
        n = next(counter)
        lead, _ = lead_ingest(mobile=mobile or f"1370000{n:04d}", channel=channel, store=store or store_a, **kwargs)
        return lead

    return make


# --- showroom: test-drive cars and a slot in the future ----------------------------------------


@pytest.fixture
def make_car(store_a, brand):
    """A test-drive car of ``series_name`` (朗逸 by default) in ``store`` (store A)."""
    from accounts.demo import plate_for
    from accounts.models import CarModel
    from leads.models import TestDriveCar

    counter = iter(range(10_000))

    def make(store=None, *, series_name="朗逸", **extra):
        model = CarModel.objects.filter(series__brand=brand, series__name=series_name).order_by("id").first()
        plate = extra.pop("plate", None) or plate_for(800_000 + next(counter), province="粤", letter="A")
        return TestDriveCar.objects.create(store=store or store_a, car_model=model, series=model.series, plate=plate, **extra)

    return make


@pytest.fixture
def lavida(brand):
    from accounts.models import CarSeries

    return CarSeries.objects.get(brand=brand, name="朗逸")


@pytest.fixture
def slot_day():
    """A weekday three to four days ahead (default hours 09:00–18:00 apply)."""
    import datetime as dt

    from django.utils import timezone

    day = timezone.localdate() + dt.timedelta(days=3)
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    return day


@pytest.fixture
def at(slot_day):
    """``at(10)`` = the aware datetime of 10:00 on ``slot_day`` (``at(10, 30)``, ``at(9, day=other)``)."""
    import datetime as dt

    from django.utils import timezone

    def make(hour, minute=0, *, day=None):
        return timezone.make_aware(dt.datetime.combine(day or slot_day, dt.time(hour, minute)))

    return make
