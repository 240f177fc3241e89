"""the publication log: leaves, their head, signed checkpoints, the self-audit's findings

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-29 15:05:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('publication_log',
    sa.Column('seq', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('item', sa.String(length=200), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=16), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('published_on', sa.Date(), nullable=False),
    sa.Column('supersedes', sa.Integer(), nullable=True),
    sa.Column('leaf', sa.Text(), nullable=False),
    sa.Column('leaf_hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_publication_log'))
    )
    with op.batch_alter_table('publication_log', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_publication_log_item'), ['item'], unique=False)
        batch_op.create_index(batch_op.f('ix_publication_log_sha256'), ['sha256'], unique=False)
    head = op.create_table('publication_log_head',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_publication_log_head'))
    )
    op.bulk_insert(head, [{'id': 1, 'size': 0}])
    op.create_table('publication_log_checkpoints',
    sa.Column('size', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('root', sa.String(length=64), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('signed_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('size', name=op.f('pk_publication_log_checkpoints'))
    )
    op.create_table('publication_log_cosignatures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('witness', sa.String(length=200), nullable=False),
    sa.Column('line', sa.Text(), nullable=False),
    sa.Column('timestamp', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_publication_log_cosignatures')),
    sa.UniqueConstraint('size', 'witness', name=op.f('uq_publication_log_cosignatures_size'))
    )
    with op.batch_alter_table('publication_log_cosignatures', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_publication_log_cosignatures_size'), ['size'], unique=False)
    op.create_table('publication_log_findings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('item', sa.String(length=200), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('found_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_publication_log_findings'))
    )
    with op.batch_alter_table('publication_log_findings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_publication_log_findings_item'), ['item'], unique=False)


def downgrade():
    op.drop_table('publication_log_findings')
    op.drop_table('publication_log_cosignatures')
    op.drop_table('publication_log_checkpoints')
    op.drop_table('publication_log_head')
    op.drop_table('publication_log')
