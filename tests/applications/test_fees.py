"""信息处理费 at the edges of every band (国办函〔2020〕109号)."""
from __future__ import annotations

import pytest

from portal.applications import fees


@pytest.mark.parametrize("ordinal, amount", [
    (1, 0), (10, 0), (11, 100), (30, 100), (31, 200), (40, 200), (41, 300), (50, 300), (51, 400),
])
def test_per_application_bands(ordinal, amount):
    fee = fees.per_application(ordinal)
    assert fee.amount == amount and f"第 {ordinal} 件" in fee.basis


@pytest.mark.parametrize("pages, amount", [
    (0, 0), (30, 0), (31, 10), (100, 700), (101, 720), (200, 2700), (201, 2740), (250, 4700),
])
def test_per_page_bands_are_marginal(pages, amount):
    assert fees.per_page(pages).amount == amount


def test_the_basis_shows_each_band():
    assert "31–100 页 × 10 元；101–120 页 × 20 元" in fees.per_page(120).basis


def test_nonsense_is_refused():
    with pytest.raises(ValueError):
        fees.per_application(0)
    with pytest.raises(ValueError):
        fees.per_page(-1)
