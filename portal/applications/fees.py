"""信息处理费 under 国办函〔2020〕109号《政府信息公开信息处理费管理办法》.

A body charges by one of two methods, chosen by the bureau (setting APPLICATION_FEE_METHOD):
- 按件计收 (per application): for one applicant in one calendar month, the first 10 applications
  are free; the 11th to the 30th cost ¥100 each; from the 31st, each further band of 10 costs
  ¥100 more per application (31st–40th ¥200, 41st–50th ¥300, …).
- 按量计收 (per page, marginal): pages 1–30 free; 31–100 ¥10 a page; 101–200 ¥20; above 200 ¥40.
Amounts are whole yuan. Each fee comes with the basis it was computed on, for the notice.
"""
from __future__ import annotations

import dataclasses

PER_APPLICATION = "per_application"
PER_PAGE = "per_page"
METHOD_LABELS = {PER_APPLICATION: "按件计收", PER_PAGE: "按量计收"}
BASIS = "国办函〔2020〕109号《政府信息公开信息处理费管理办法》"
PAGE_BANDS = ((30, 0), (100, 10), (200, 20), (None, 40))  # (last page of the band, ¥ a page)


@dataclasses.dataclass(frozen=True)
class Fee:
    method: str
    amount: int  # yuan
    basis: str  # how it was computed, in the words of the notice


def per_application(ordinal_in_month: int) -> Fee:
    """The fee for an applicant's `ordinal_in_month`-th application of a calendar month."""
    if ordinal_in_month < 1:
        raise ValueError("ordinal starts at 1")
    if ordinal_in_month <= 10:
        amount = 0
    elif ordinal_in_month <= 30:
        amount = 100
    else:
        amount = 100 * (2 + (ordinal_in_month - 31) // 10)
    return Fee(PER_APPLICATION, amount,
               f"同一申请人本自然月第 {ordinal_in_month} 件申请，按件计收：{amount} 元（{BASIS}）")


def per_page(pages: int) -> Fee:
    """The fee for `pages` pages (or the equivalent), each band charged at its own rate."""
    if pages < 0:
        raise ValueError("pages cannot be negative")
    amount, lower, parts = 0, 0, []
    for upper, rate in PAGE_BANDS:
        in_band = max(0, min(pages, upper if upper is not None else pages) - lower)
        if in_band and rate:
            amount += in_band * rate
            parts.append(f"{lower + 1}–{lower + in_band} 页 × {rate} 元")
        if upper is None or pages <= upper:
            break
        lower = upper
    shown = "；".join(parts) if parts else "30 页以内不收费"
    return Fee(PER_PAGE, amount, f"共 {pages} 页，按量计收：{shown}，合计 {amount} 元（{BASIS}）")
