"""suggestion feedback: a suggestion marked wrong for an issue (one row per project and candidate)

Revision ID: cbc2c39eb1ee
Revises: ae529a3f5016
Create Date: 2026-12-01 19:04:14.526900

"""
from alembic import op
import sqlalchemy as sa

import kyodo_match.models.types


# revision identifiers, used by Alembic.
revision = 'cbc2c39eb1ee'
down_revision = 'ae529a3f5016'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('suggestion_feedback',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=True),
    sa.Column('volunteer_user_id', sa.Integer(), nullable=True),
    sa.Column('reason', sa.String(length=20), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('created_at', kyodo_match.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('(group_id IS NULL) <> (volunteer_user_id IS NULL)', name=op.f('ck_suggestion_feedback_one_kind_of_candidate')),
    sa.ForeignKeyConstraint(['group_id'], ['civic_group.id'], name=op.f('fk_suggestion_feedback_group_id_civic_group'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['project_id'], ['project.id'], name=op.f('fk_suggestion_feedback_project_id_project'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_suggestion_feedback_user_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['volunteer_user_id'], ['user.id'], name=op.f('fk_suggestion_feedback_volunteer_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_suggestion_feedback')),
    sa.UniqueConstraint('project_id', 'group_id', name='uq_suggestion_feedback_group'),
    sa.UniqueConstraint('project_id', 'volunteer_user_id', name='uq_suggestion_feedback_volunteer')
    )


def downgrade():
    op.drop_table('suggestion_feedback')
