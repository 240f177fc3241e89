"""attachments in the database (stored_files): the file store every host shares with PostgreSQL

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-29 17:32:56.708658

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('stored_files',
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.PrimaryKeyConstraint('sha256', name=op.f('pk_stored_files'))
    )


def downgrade():
    op.drop_table('stored_files')
