"""grants: access events (every read through a grant) and the expiry notices sent

Revision ID: c3a9f1e70b52
Revises: 7a3e9c51d2f4
Create Date: 2026-11-30 20:35:00

"""

from alembic import op
import sqlalchemy as sa


revision = "c3a9f1e70b52"
down_revision = "7a3e9c51d2f4"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "grant_access_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("grant_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("output_format", sa.Text(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=True),
        sa.Column("rows_returned", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["grant_id"],
            ["grants.id"],
            name=op.f("fk_grant_access_events_grant_id_grants"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_grant_access_events_user_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["dataset_versions.id"],
            name=op.f("fk_grant_access_events_version_id_dataset_versions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_grant_access_events")),
    )
    with op.batch_alter_table("grant_access_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_grant_access_events_grant_id"), ["grant_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_grant_access_events_user_id"), ["user_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_grant_access_events_created_at"), ["created_at"], unique=False
        )

    with op.batch_alter_table("grants", schema=None) as batch_op:
        batch_op.add_column(sa.Column("expiry_reminded_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("expired_notified_at", sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table("grants", schema=None) as batch_op:
        batch_op.drop_column("expired_notified_at")
        batch_op.drop_column("expiry_reminded_at")

    with op.batch_alter_table("grant_access_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_grant_access_events_created_at"))
        batch_op.drop_index(batch_op.f("ix_grant_access_events_user_id"))
        batch_op.drop_index(batch_op.f("ix_grant_access_events_grant_id"))

    op.drop_table("grant_access_events")
