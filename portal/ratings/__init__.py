"""Integrity ratings (诚信评价), the honor roll (红榜) and risk warnings (风险预警)."""
from portal.ratings import views  # noqa: F401
