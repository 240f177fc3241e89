"""the publication log's tree kept as tiles: every tile of the existing leaves

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04 20:00:00

"""
import hashlib

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

WIDTH = 256
entries = sa.table("publication_log", sa.column("seq", sa.Integer), sa.column("leaf_hash", sa.String))


def _perfect_root(hashes):
    # A frozen copy of portal.publication.tlog.perfect_root (RFC 6962 node hashing).
    level = list(hashes)
    while len(level) > 1:
        level = [hashlib.sha256(b"\x01" + level[i] + level[i + 1]).digest() for i in range(0, len(level), 2)]
    return level[0]


def upgrade():
    tiles = op.create_table('publication_log_tiles',
    sa.Column('level', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('idx', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('hashes', sa.LargeBinary(), nullable=False),
    sa.PrimaryKeyConstraint('level', 'idx', name=op.f('pk_publication_log_tiles'))
    )
    # Every full tile of the log as it is: from here on each append stores the tiles it completes.
    connection = op.get_bind()
    hashes = [bytes.fromhex(row.leaf_hash) for row in
              connection.execute(sa.select(entries.c.leaf_hash).order_by(entries.c.seq))]
    level = 0
    while hashes:  # every tile of every level, the rightmost ones partial
        groups = [hashes[i:i + WIDTH] for i in range(0, len(hashes), WIDTH)]
        op.bulk_insert(tiles, [{"level": level, "idx": i, "hashes": b"".join(group)} for i, group in enumerate(groups)])
        hashes, level = [_perfect_root(group) for group in groups if len(group) == WIDTH], level + 1


def downgrade():
    op.drop_table('publication_log_tiles')
