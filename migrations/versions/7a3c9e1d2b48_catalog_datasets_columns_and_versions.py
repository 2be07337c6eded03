"""catalog: datasets, their declared columns and uploaded versions

A department describes the data it holds (classification, residency, steward, update
frequency) with typed columns and their sensitivity; each uploaded CSV file is a version
with its size, row count and sha256. ``datasets.version`` is the optimistic-locking counter.

Revision ID: 7a3c9e1d2b48
Revises: c4a5e0b17d11
Create Date: 2026-11-30 19:17:09.130959

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '7a3c9e1d2b48'
down_revision = 'c4a5e0b17d11'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('datasets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('owner_department_id', sa.Integer(), nullable=False),
    sa.Column('steward_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('classification', sa.String(length=16), nullable=False),
    sa.Column('residency_jurisdiction', sa.String(length=32), nullable=False),
    sa.Column('cross_border_allowed', sa.Boolean(), nullable=False),
    sa.Column('update_frequency', sa.String(length=32), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_datasets_created_by_id_users')),
    sa.ForeignKeyConstraint(['owner_department_id'], ['departments.id'], name=op.f('fk_datasets_owner_department_id_departments')),
    sa.ForeignKeyConstraint(['steward_id'], ['users.id'], name=op.f('fk_datasets_steward_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_datasets'))
    )
    with op.batch_alter_table('datasets', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_datasets_classification'), ['classification'], unique=False)
        batch_op.create_index(batch_op.f('ix_datasets_created_by_id'), ['created_by_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_datasets_owner_department_id'), ['owner_department_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_datasets_residency_jurisdiction'), ['residency_jurisdiction'], unique=False)
        batch_op.create_index(batch_op.f('ix_datasets_steward_id'), ['steward_id'], unique=False)

    op.create_table('dataset_columns',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('dataset_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('type', sa.String(length=16), nullable=False),
    sa.Column('sensitivity', sa.String(length=24), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['dataset_id'], ['datasets.id'], name=op.f('fk_dataset_columns_dataset_id_datasets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dataset_columns')),
    sa.UniqueConstraint('dataset_id', 'name', name='uq_dataset_columns_name'),
    sa.UniqueConstraint('dataset_id', 'position', name='uq_dataset_columns_position')
    )
    with op.batch_alter_table('dataset_columns', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dataset_columns_name'), ['name'], unique=False)

    op.create_table('dataset_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('dataset_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('storage_path', sa.String(length=500), nullable=False),
    sa.Column('original_filename', sa.String(length=255), nullable=False),
    sa.Column('size_bytes', sa.BigInteger(), nullable=False),
    sa.Column('row_count', sa.BigInteger(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=False),
    sa.Column('uploaded_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['dataset_id'], ['datasets.id'], name=op.f('fk_dataset_versions_dataset_id_datasets'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['users.id'], name=op.f('fk_dataset_versions_uploaded_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dataset_versions')),
    sa.UniqueConstraint('dataset_id', 'number', name=op.f('uq_dataset_versions_dataset_id'))
    )
    with op.batch_alter_table('dataset_versions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dataset_versions_uploaded_by_id'), ['uploaded_by_id'], unique=False)



def downgrade():
    with op.batch_alter_table('dataset_versions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dataset_versions_uploaded_by_id'))

    op.drop_table('dataset_versions')
    with op.batch_alter_table('dataset_columns', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dataset_columns_name'))

    op.drop_table('dataset_columns')
    with op.batch_alter_table('datasets', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_datasets_steward_id'))
        batch_op.drop_index(batch_op.f('ix_datasets_residency_jurisdiction'))
        batch_op.drop_index(batch_op.f('ix_datasets_owner_department_id'))
        batch_op.drop_index(batch_op.f('ix_datasets_created_by_id'))
        batch_op.drop_index(batch_op.f('ix_datasets_classification'))

    op.drop_table('datasets')
