"""each rating edition version records its rating method

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29 15:55:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    # Every version published so far was computed with the only method there was.
    with op.batch_alter_table('rating_edition_versions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('method', sa.String(length=40), nullable=False,
                                      server_default='weighted_sum_v1'))


def downgrade():
    with op.batch_alter_table('rating_edition_versions', schema=None) as batch_op:
        batch_op.drop_column('method')
