"""cases: indexes on (workspace_id, updated_at, id) and (updated_at, id), the lists' order

Revision ID: 3f6d2c8a1b57
Revises: 88b158f9496b
Create Date: 2026-12-01 08:50:00

"""

from alembic import op


revision = "3f6d2c8a1b57"
down_revision = "88b158f9496b"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index(
        "ix_cases_workspace_id_updated_at_id", "cases", ["workspace_id", "updated_at", "id"]
    )
    op.create_index("ix_cases_updated_at_id", "cases", ["updated_at", "id"])


def downgrade():
    op.drop_index("ix_cases_updated_at_id", table_name="cases")
    op.drop_index("ix_cases_workspace_id_updated_at_id", table_name="cases")
