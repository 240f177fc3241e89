"""Departments (科室/中心): the units of the bureau that every feature refers to."""
from portal.departments import views  # noqa: F401  (registers the blueprint module)
