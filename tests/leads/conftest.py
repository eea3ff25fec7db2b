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
