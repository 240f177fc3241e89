"""Departments (科室/中心): the units of the bureau that every feature refers to."""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from portal import publication
    from portal.departments import views
    from portal.departments.kind import DepartmentKind

    app.register_blueprint(views.bp)
    publication.register(app, DepartmentKind())
