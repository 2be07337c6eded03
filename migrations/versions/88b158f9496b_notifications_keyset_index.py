"""notifications: an index on (user_id, id) for paging a person's notifications by key

Revision ID: 88b158f9496b
Revises: c3a9f1e70b52
Create Date: 2026-12-01 02:30:00

"""

from alembic import op


revision = "88b158f9496b"
down_revision = "c3a9f1e70b52"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_notifications_user_id_id", "notifications", ["user_id", "id"])


def downgrade():
    op.drop_index("ix_notifications_user_id_id", table_name="notifications")
