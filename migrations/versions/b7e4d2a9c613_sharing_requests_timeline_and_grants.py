"""sharing: data requests with their timeline, and the grants approvals create

A request names its workspace, requester, requesting and owning departments and (or not
yet) a dataset, its scope (columns, row filter, personal columns in clear, duration), its
status and due date, and who endorsed and approved it on whose behalf. Each step is an
entry of its timeline. An approved request creates one grant: the scope as approved,
masking per column, validity, and revocation; optionally limited to named users.

Revision ID: b7e4d2a9c613
Revises: 7a3c9e1d2b48
Create Date: 2026-11-30 19:20:23.172617

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b7e4d2a9c613'
down_revision = '7a3c9e1d2b48'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('data_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('requester_id', sa.Integer(), nullable=False),
    sa.Column('requesting_department_id', sa.Integer(), nullable=False),
    sa.Column('owner_department_id', sa.Integer(), nullable=False),
    sa.Column('dataset_id', sa.Integer(), nullable=True),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('columns', sa.JSON(), nullable=False),
    sa.Column('row_filter', sa.JSON(), nullable=False),
    sa.Column('reveal_columns', sa.JSON(), nullable=False),
    sa.Column('purpose', sa.Text(), nullable=False),
    sa.Column('legal_basis', sa.Text(), nullable=False),
    sa.Column('duration_days', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=24), nullable=False),
    sa.Column('needs_dpo', sa.Boolean(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('submitted_at', sa.DateTime(), nullable=True),
    sa.Column('due_on', sa.Date(), nullable=True),
    sa.Column('endorsed_by_id', sa.Integer(), nullable=True),
    sa.Column('endorsed_on_behalf_of_id', sa.Integer(), nullable=True),
    sa.Column('endorsed_at', sa.DateTime(), nullable=True),
    sa.Column('owner_approved_by_id', sa.Integer(), nullable=True),
    sa.Column('owner_approved_on_behalf_of_id', sa.Integer(), nullable=True),
    sa.Column('owner_approved_at', sa.DateTime(), nullable=True),
    sa.Column('dpo_approved_by_id', sa.Integer(), nullable=True),
    sa.Column('dpo_approved_at', sa.DateTime(), nullable=True),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['dataset_id'], ['datasets.id'], name=op.f('fk_data_requests_dataset_id_datasets')),
    sa.ForeignKeyConstraint(['dpo_approved_by_id'], ['users.id'], name=op.f('fk_data_requests_dpo_approved_by_id_users')),
    sa.ForeignKeyConstraint(['endorsed_by_id'], ['users.id'], name=op.f('fk_data_requests_endorsed_by_id_users')),
    sa.ForeignKeyConstraint(['endorsed_on_behalf_of_id'], ['users.id'], name=op.f('fk_data_requests_endorsed_on_behalf_of_id_users')),
    sa.ForeignKeyConstraint(['owner_approved_by_id'], ['users.id'], name=op.f('fk_data_requests_owner_approved_by_id_users')),
    sa.ForeignKeyConstraint(['owner_approved_on_behalf_of_id'], ['users.id'], name=op.f('fk_data_requests_owner_approved_on_behalf_of_id_users')),
    sa.ForeignKeyConstraint(['owner_department_id'], ['departments.id'], name=op.f('fk_data_requests_owner_department_id_departments')),
    sa.ForeignKeyConstraint(['requester_id'], ['users.id'], name=op.f('fk_data_requests_requester_id_users')),
    sa.ForeignKeyConstraint(['requesting_department_id'], ['departments.id'], name=op.f('fk_data_requests_requesting_department_id_departments')),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], name=op.f('fk_data_requests_workspace_id_workspaces')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_data_requests'))
    )
    with op.batch_alter_table('data_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_data_requests_dataset_id'), ['dataset_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_data_requests_due_on'), ['due_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_data_requests_owner_department_id'), ['owner_department_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_data_requests_requester_id'), ['requester_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_data_requests_requesting_department_id'), ['requesting_department_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_data_requests_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_data_requests_workspace_id'), ['workspace_id'], unique=False)

    op.create_table('data_request_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=24), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=True),
    sa.Column('actor_id', sa.Integer(), nullable=False),
    sa.Column('on_behalf_of_id', sa.Integer(), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('detail', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_data_request_entries_actor_id_users')),
    sa.ForeignKeyConstraint(['on_behalf_of_id'], ['users.id'], name=op.f('fk_data_request_entries_on_behalf_of_id_users')),
    sa.ForeignKeyConstraint(['request_id'], ['data_requests.id'], name=op.f('fk_data_request_entries_request_id_data_requests'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_data_request_entries'))
    )
    with op.batch_alter_table('data_request_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_data_request_entries_actor_id'), ['actor_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_data_request_entries_request_id'), ['request_id'], unique=False)

    op.create_table('grants',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('dataset_id', sa.Integer(), nullable=False),
    sa.Column('grantee_workspace_id', sa.Integer(), nullable=False),
    sa.Column('columns', sa.JSON(), nullable=False),
    sa.Column('row_filter', sa.JSON(), nullable=False),
    sa.Column('masking', sa.JSON(), nullable=False),
    sa.Column('purpose', sa.Text(), nullable=False),
    sa.Column('legal_basis', sa.Text(), nullable=False),
    sa.Column('valid_from', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.Column('revoked_at', sa.DateTime(), nullable=True),
    sa.Column('revoked_by_id', sa.Integer(), nullable=True),
    sa.Column('revoke_reason', sa.Text(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_grants_created_by_id_users')),
    sa.ForeignKeyConstraint(['dataset_id'], ['datasets.id'], name=op.f('fk_grants_dataset_id_datasets')),
    sa.ForeignKeyConstraint(['grantee_workspace_id'], ['workspaces.id'], name=op.f('fk_grants_grantee_workspace_id_workspaces')),
    sa.ForeignKeyConstraint(['request_id'], ['data_requests.id'], name=op.f('fk_grants_request_id_data_requests')),
    sa.ForeignKeyConstraint(['revoked_by_id'], ['users.id'], name=op.f('fk_grants_revoked_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_grants')),
    sa.UniqueConstraint('request_id', name=op.f('uq_grants_request_id'))
    )
    with op.batch_alter_table('grants', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_grants_dataset_id'), ['dataset_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_grants_expires_at'), ['expires_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_grants_grantee_workspace_id'), ['grantee_workspace_id'], unique=False)

    op.create_table('grant_users',
    sa.Column('grant_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['grant_id'], ['grants.id'], name=op.f('fk_grant_users_grant_id_grants'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_grant_users_user_id_users')),
    sa.PrimaryKeyConstraint('grant_id', 'user_id', name=op.f('pk_grant_users'))
    )
    with op.batch_alter_table('grant_users', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_grant_users_user_id'), ['user_id'], unique=False)



def downgrade():
    with op.batch_alter_table('grant_users', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_grant_users_user_id'))

    op.drop_table('grant_users')
    with op.batch_alter_table('grants', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_grants_grantee_workspace_id'))
        batch_op.drop_index(batch_op.f('ix_grants_expires_at'))
        batch_op.drop_index(batch_op.f('ix_grants_dataset_id'))

    op.drop_table('grants')
    with op.batch_alter_table('data_request_entries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_data_request_entries_request_id'))
        batch_op.drop_index(batch_op.f('ix_data_request_entries_actor_id'))

    op.drop_table('data_request_entries')
    with op.batch_alter_table('data_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_data_requests_workspace_id'))
        batch_op.drop_index(batch_op.f('ix_data_requests_status'))
        batch_op.drop_index(batch_op.f('ix_data_requests_requesting_department_id'))
        batch_op.drop_index(batch_op.f('ix_data_requests_requester_id'))
        batch_op.drop_index(batch_op.f('ix_data_requests_owner_department_id'))
        batch_op.drop_index(batch_op.f('ix_data_requests_due_on'))
        batch_op.drop_index(batch_op.f('ix_data_requests_dataset_id'))

    op.drop_table('data_requests')
