"""What can be done with departments."""
from __future__ import annotations

from sqlalchemy import select

from portal.departments.content import DepartmentRecord
from portal.departments.models import Department
from portal.extensions import db


class DepartmentNotFound(LookupError):
    pass


def list_departments() -> list[Department]:
    return list(db.session.scalars(select(Department).order_by(Department.position, Department.id)))


def get_department(slug: str) -> Department:
    """Return the department with this slug; raise DepartmentNotFound."""
    department = db.session.scalar(select(Department).where(Department.slug == slug))
    if department is None:
        raise DepartmentNotFound(slug)
    return department


def department_slugs() -> set[str]:
    return set(db.session.scalars(select(Department.slug)))


def upsert_department(record: DepartmentRecord) -> Department:
    """Create or update a department from a record, matched by slug. The caller commits."""
    department = db.session.scalar(select(Department).where(Department.slug == record.slug))
    if department is None:
        department = Department(slug=record.slug)
        db.session.add(department)
    department.name = record.name
    department.description = record.description or ""
    department.position = record.position
    return department


def department_record(department: Department) -> DepartmentRecord:
    return DepartmentRecord(
        slug=department.slug,
        name=department.name,
        description=department.description,
        position=department.position,
    )
