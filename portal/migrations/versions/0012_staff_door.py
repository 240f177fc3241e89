"""the staff door: pending logins kept on the server, authenticator secrets sealed

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 19:10:00

"""
import base64
import hashlib
import hmac

import sqlalchemy as sa
from alembic import op
from flask import current_app
from nacl.secret import SecretBox

# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

# A frozen copy of portal.staff.totp's sealing (this migration must keep doing what it did when
# it was written, whatever the live code later becomes).
SEAL_PURPOSE = b"staff-totp-secret"


def _box() -> SecretBox:
    pepper = current_app.extensions["portal.settings"].receipt_pepper
    return SecretBox(hmac.new(pepper.encode(), SEAL_PURPOSE, hashlib.sha256).digest())


users = sa.table("staff_users", sa.column("id", sa.Integer), sa.column("totp_secret", sa.String))


def upgrade():
    op.create_table('staff_pending_logins',
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('next', sa.String(length=500), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['staff_users.id'], name=op.f('fk_staff_pending_logins_user_id_staff_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('token_hash', name=op.f('pk_staff_pending_logins'))
    )
    with op.batch_alter_table('staff_pending_logins', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_staff_pending_logins_user_id'), ['user_id'], unique=False)
    with op.batch_alter_table('staff_users', schema=None) as batch_op:
        batch_op.alter_column('totp_secret', existing_type=sa.String(length=64), type_=sa.String(length=200),
                              existing_nullable=True)
    # Seal the secrets stored in plain form (base32, 32 characters) until now.
    connection = op.get_bind()
    box = _box()
    for row in connection.execute(sa.select(users.c.id, users.c.totp_secret).where(users.c.totp_secret.is_not(None))):
        if len(row.totp_secret) <= 64:
            sealed = base64.b64encode(box.encrypt(row.totp_secret.encode())).decode()
            connection.execute(users.update().where(users.c.id == row.id).values(totp_secret=sealed))


def downgrade():
    connection = op.get_bind()
    box = _box()
    for row in connection.execute(sa.select(users.c.id, users.c.totp_secret).where(users.c.totp_secret.is_not(None))):
        plain = box.decrypt(base64.b64decode(row.totp_secret)).decode()
        connection.execute(users.update().where(users.c.id == row.id).values(totp_secret=plain))
    with op.batch_alter_table('staff_users', schema=None) as batch_op:
        batch_op.alter_column('totp_secret', existing_type=sa.String(length=200), type_=sa.String(length=64),
                              existing_nullable=True)
    with op.batch_alter_table('staff_pending_logins', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_staff_pending_logins_user_id'))
    op.drop_table('staff_pending_logins')
