"""notifications in every language; users who must change the initial password

A notification keeps its subject and text in every supported language (JSON, English also
in the existing columns), so each reader sees their own. An account created by an
administrator must choose a new password at its first sign-in.

Revision ID: 7a3e9c51d2f4
Revises: c5e55104a7d2
Create Date: 2026-11-30 19:45:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '7a3e9c51d2f4'
down_revision = 'c5e55104a7d2'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('translations', sa.JSON(), nullable=True))
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                'must_change_password', sa.Boolean(), nullable=False, server_default=sa.false()
            )
        )


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('must_change_password')
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_column('translations')
