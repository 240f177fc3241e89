"""How many image pixels one client may have copied a day (UPLOAD_PIXELS_PER_DAY).

Counted in megapixels in the rate limiter's storage (Redis in production, so every worker and
host shares one count), under the limiter's day-keyed hash of the client's address: the same
trace as any other limit, nothing finer than the day (portal/ratelimit.py). The pixels are
taken before the copies are made and given back if no copy was made (the slots were busy).
"""
from __future__ import annotations

import math

from flask import current_app
from limits import RateLimitItemPerDay

from portal.extensions import hashed_client_address, limiter
from portal.reports.attachments import FileRefused

NAMESPACE = "upload-megapixels"


class DailyPixelsSpent(FileRefused):
    """This client's images today have reached UPLOAD_PIXELS_PER_DAY."""


class PixelBudget:
    """The daily budget of the client of the current request."""

    def __init__(self):
        per_day = current_app.extensions["portal.settings"].upload_pixels_per_day
        self.item = RateLimitItemPerDay(per_day // 1_000_000, namespace=NAMESPACE)
        self.client = hashed_client_address()

    def take(self, pixels: int) -> None:
        megapixels = math.ceil(pixels / 1_000_000)
        if not megapixels or not limiter.enabled:
            return
        if not limiter.limiter.hit(self.item, self.client, cost=megapixels):
            self.give_back(pixels)
            raise DailyPixelsSpent("今天从您的网络提交的图片已达当日处理上限，请明天再提交图片，"
                                   "或改用文字说明、PDF 文件。")

    def give_back(self, pixels: int) -> None:
        megapixels = math.ceil(pixels / 1_000_000)
        if megapixels and limiter.enabled:
            limiter.limiter.hit(self.item, self.client, cost=-megapixels)
