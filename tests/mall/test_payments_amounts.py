"""Amounts cross the payment interface in fen: one exact conversion from yuan."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mall.payments import exceptions as errors
from mall.payments.base import fen_to_yuan, yuan_to_fen
from mall.payments.exceptions import PaymentError


@pytest.mark.parametrize("yuan, fen", [
    (Decimal("99.90"), 9990), (Decimal("0.01"), 1), ("2000", 200000), (3, 300), (Decimal("0"), 0),
    (Decimal("12.300"), 1230),
])
def test_yuan_to_fen(yuan, fen):
    assert yuan_to_fen(yuan) == fen and isinstance(yuan_to_fen(yuan), int)


@pytest.mark.parametrize("yuan", [Decimal("0.001"), "99.999", Decimal("1E-3")])
def test_a_fraction_of_a_fen_is_refused(yuan):
    with pytest.raises(PaymentError) as caught:
        yuan_to_fen(yuan)
    assert caught.value.message == errors.AMOUNT_NOT_WHOLE_FEN


@pytest.mark.parametrize("yuan", ["abc", "NaN", "Infinity", ""])
def test_a_non_number_is_refused(yuan):
    with pytest.raises(PaymentError):
        yuan_to_fen(yuan)


def test_a_negative_amount_is_refused():
    with pytest.raises(PaymentError) as caught:
        yuan_to_fen(Decimal("-1.00"))
    assert caught.value.message == errors.AMOUNT_NEGATIVE


@pytest.mark.parametrize("value", [0.1, True])
def test_floats_and_booleans_are_not_prices(value):
    with pytest.raises(TypeError):
        yuan_to_fen(value)


@given(st.integers(min_value=0, max_value=10**12))
def test_fen_round_trips_through_yuan(fen):
    yuan = fen_to_yuan(fen)
    assert yuan.as_tuple().exponent == -2 and yuan_to_fen(yuan) == fen
