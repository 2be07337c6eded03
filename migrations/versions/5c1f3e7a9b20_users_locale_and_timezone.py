"""users: preferred language and time zone

Each user may save the language (en, zh_Hant, zh_Hans) and the time zone that pages are
shown in; both are empty until chosen, which means the browser's language and the
deployment's default time zone.

Revision ID: 5c1f3e7a9b20
Revises: e08a3d5491a0
Create Date: 2026-11-30 19:10:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5c1f3e7a9b20'
down_revision = 'e08a3d5491a0'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('locale', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('timezone', sa.String(length=64), nullable=True))


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('timezone')
        batch_op.drop_column('locale')
