"""Departments as a published kind: their profile pages, the site map's list, departments.yaml."""
from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from flask import url_for

from portal.content.files import Problem, dump_yaml
from portal.departments.content import DEPARTMENTS_FILE, read_departments
from portal.departments import services
from portal.departments.models import Department
from portal.publication import PublishedKind
from portal.publication.content import ImportRun, Known


class DepartmentContent:
    """content/departments.yaml: one list, one transaction."""

    def check(self, content_dir: Path, known: Known) -> list[Problem]:
        known["department"] = {d.slug: d.name for d in services.list_departments()}
        path = content_dir / DEPARTMENTS_FILE
        if not path.exists():
            return []
        records, problems = read_departments(path)
        known["department"].update({record.slug: record.name for record in records})
        return problems

    def import_into(self, content_dir: Path, run: ImportRun) -> Iterable[str]:
        path = content_dir / DEPARTMENTS_FILE
        records, problems = read_departments(path) if path.exists() else ([], [])
        run.report.problems.extend(problems)
        changed = False
        if records and not problems:
            changed = run.one_file(path, lambda: [services.upsert_department(r) for r in records], roots=(Department,))
        run.known["department"] = {d.slug: d.name for d in services.list_departments()}
        return [record.slug for record in records] if changed else []

    def export(self, target: Path, store) -> int:
        records = [services.department_record(d) for d in services.list_departments()]
        data = [{"slug": r.slug, "name": r.name, **({"description": r.description} if r.description else {})}
                for r in records]
        (target / DEPARTMENTS_FILE).write_text(dump_yaml(data), encoding="utf-8")
        return 1


class DepartmentKind(PublishedKind):
    name = "department"
    label = "科室（中心）"
    searchable = False  # found through the items that name them (search's department facet)
    site_map_order = 90
    content = DepartmentContent()

    def url(self, key: str, external: bool = False) -> str:
        return url_for("departments.profile", slug=key, _external=external)

    def sitemap(self):
        return ((self.url(department.slug, external=True), None) for department in services.list_departments())

    def site_map_section(self):
        return "departments/_site_map_section.html", {"departments": services.list_departments()}
