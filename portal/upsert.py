"""INSERT … ON CONFLICT DO UPDATE on both databases the portal runs on (SQLite and PostgreSQL).

A counter that many requests bump at once (login failures, refusal counts) must be one atomic
statement: a read-then-write races (two first failures both insert, one fails on the unique key).
"""
from __future__ import annotations

from sqlalchemy.dialects import postgresql, sqlite

from portal.extensions import db


def upsert(model, values: dict, keys: list, on_conflict: dict) -> None:
    """Insert `values`, or, if a row with the same `keys` exists, set `on_conflict` on it (its
    expressions may refer to the existing row's columns)."""
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(model).values(**values).on_conflict_do_update(index_elements=keys, set_=on_conflict)
    db.session.execute(statement)
