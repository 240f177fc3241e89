"""reports keep no trace finer than the day, and a dump reveals less

Sealed report files move from REPORT_FILES_DIR into the database (sealed_files); the department
concerned and the contact choice are sealed (reports.sealed_context) instead of kept in the
clear; used form tokens and the daily statistics snapshot get their tables.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29 12:30:00

"""
import json
import re

import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

_NAME_RE = re.compile(r"[0-9a-f]{32}")


def upgrade():
    op.create_table('sealed_files',
    sa.Column('name', sa.String(length=32), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_sealed_files'))
    )
    op.create_table('report_form_tokens',
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('used_on', sa.Date(), nullable=False),
    sa.PrimaryKeyConstraint('token_hash', name=op.f('pk_report_form_tokens'))
    )
    with op.batch_alter_table('report_form_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_report_form_tokens_used_on'), ['used_on'], unique=False)
    op.create_table('report_statistics',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('figures', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('day', name=op.f('pk_report_statistics'))
    )
    with op.batch_alter_table('reports', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sealed_context', sa.LargeBinary(), nullable=True))
    _seal_contexts()
    _move_files_into_database()
    with op.batch_alter_table('reports', schema=None) as batch_op:
        batch_op.alter_column('sealed_context', existing_type=sa.LargeBinary(), nullable=False)
        batch_op.drop_constraint('fk_reports_department_id_departments', type_='foreignkey')
        batch_op.drop_column('department_id')
        batch_op.drop_column('anonymity')


def _seal_contexts():
    """Sealing needs only the desk's public key, so existing reports are sealed here."""
    from portal.reports.crypto import seal

    bind = op.get_bind()
    key = bind.execute(sa.text("SELECT public_key FROM report_desk_keys ORDER BY id DESC LIMIT 1")).scalar()
    rows = bind.execute(sa.text(
        "SELECT r.id, d.slug, r.anonymity FROM reports r LEFT JOIN departments d ON d.id = r.department_id"
    )).all()
    for report_id, slug, anonymity in rows:
        context = json.dumps({"department": slug or "", "anonymity": anonymity}).encode()
        bind.execute(sa.text("UPDATE reports SET sealed_context = :sealed WHERE id = :id"),
                     {"sealed": seal(key, context), "id": report_id})


def _move_files_into_database():
    """Files written to REPORT_FILES_DIR before this revision are copied into sealed_files; the
    folder can be deleted once the upgrade has committed (README, "Anonymous reporting")."""
    from flask import current_app

    folder = current_app.extensions["portal.settings"].report_files_dir
    bind = op.get_bind()
    names = set()
    for storage_name, clean_name in bind.execute(sa.text("SELECT storage_name, clean_storage_name FROM report_files")):
        names.update(n for n in (storage_name, clean_name) if n)
    for name in sorted(names):
        path = folder / name
        if _NAME_RE.fullmatch(name) and path.is_file():
            bind.execute(sa.text("INSERT INTO sealed_files (name, data) VALUES (:name, :data)"),
                         {"name": name, "data": path.read_bytes()})


def downgrade():
    with op.batch_alter_table('reports', schema=None) as batch_op:
        batch_op.add_column(sa.Column('anonymity', sa.String(length=20), nullable=False, server_default='anonymous'))
        batch_op.add_column(sa.Column('department_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_reports_department_id_departments', 'departments', ['department_id'], ['id'],
                                    ondelete='SET NULL')
        batch_op.drop_column('sealed_context')
    op.drop_table('report_statistics')
    with op.batch_alter_table('report_form_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_report_form_tokens_used_on'))
    op.drop_table('report_form_tokens')
    op.drop_table('sealed_files')
