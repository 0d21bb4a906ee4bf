"""project outcome files

Revision ID: acc7881a79a4
Revises: f37cb4289b43
Create Date: 2026-12-01 18:49:17.269881

"""
from alembic import op
import sqlalchemy as sa

import kyodo_match.models.types


# revision identifiers, used by Alembic.
revision = 'acc7881a79a4'
down_revision = 'f37cb4289b43'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('project_file',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('original_name', sa.String(length=120), nullable=False),
    sa.Column('stored_name', sa.String(length=64), nullable=False),
    sa.Column('content_type', sa.String(length=40), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('public', sa.Boolean(), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', kyodo_match.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['project.id'], name=op.f('fk_project_file_project_id_project'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['user.id'], name=op.f('fk_project_file_uploaded_by_id_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_project_file')),
    sa.UniqueConstraint('stored_name', name=op.f('uq_project_file_stored_name'))
    )
    with op.batch_alter_table('project_file', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_project_file_project_id'), ['project_id'], unique=False)


def downgrade():
    with op.batch_alter_table('project_file', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_project_file_project_id'))

    op.drop_table('project_file')
