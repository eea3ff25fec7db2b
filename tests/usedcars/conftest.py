"""Used-car fixtures: store A's used-car manager, media in a temporary folder, a car in stock."""

from __future__ import annotations

import pytest

from accounts.models import Role
from tests.usedcars.helpers import make_car


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def usedcar_a(make_staff, store_a):
    """Store A's used-car manager (二手车经理)."""
    return make_staff(Role.USEDCAR, store_a, username="s01_usedcar")


@pytest.fixture
def car_a(usedcar_a, store_a):
    return make_car(usedcar_a, store_a)
