"""anonymous refusals counted per day; redactions

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29 12:10:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('audit_refusal_counts',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('action', sa.String(length=40), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('day', 'action', name=op.f('pk_audit_refusal_counts'))
    )
    with op.batch_alter_table('disclosure_drafts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('redaction', sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade():
    with op.batch_alter_table('disclosure_drafts', schema=None) as batch_op:
        batch_op.drop_column('redaction')
    op.drop_table('audit_refusal_counts')
