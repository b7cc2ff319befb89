"""Background jobs (issue 11): a queue in the database, so that any app process answers for a job and any
worker process runs it.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 08:20:00
"""
import sqlalchemy as sa
from alembic import op


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'jobs',
        sa.Column('id', sa.String(length=32), nullable=False),
        sa.Column('kind', sa.String(length=32), nullable=False),
        sa.Column('arguments', sa.Text(), nullable=False),
        sa.Column('owner', sa.String(length=64), nullable=False),
        sa.Column('status', sa.String(length=8), nullable=False),
        sa.Column('progress_done', sa.Integer(), nullable=False),
        sa.Column('progress_total', sa.Integer(), nullable=True),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('worker', sa.String(length=100), nullable=True),
        sa.Column('lease_until', sa.String(length=32), nullable=True),
        sa.Column('error', sa.Text(), nullable=True),
        sa.Column('created_at', sa.String(length=32), nullable=False),
        sa.Column('started_at', sa.String(length=32), nullable=True),
        sa.Column('finished_at', sa.String(length=32), nullable=True),
        sa.Column('expires_at', sa.String(length=32), nullable=True),
        sa.Column('result', sa.LargeBinary(), nullable=True),
        sa.Column('result_filename', sa.String(length=200), nullable=True),
        sa.Column('result_media_type', sa.String(length=100), nullable=True),
        sa.CheckConstraint("status IN ('queued','running','done','failed')", name=op.f('ck_jobs_status')),
        sa.CheckConstraint("status <> 'done' OR result IS NOT NULL", name=op.f('ck_jobs_done_has_result')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_jobs')),
    )
    op.create_index('ix_jobs_status_created_at', 'jobs', ['status', 'created_at'], unique=False)
    op.create_index('ix_jobs_owner_status', 'jobs', ['owner', 'status'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_jobs_owner_status', table_name='jobs')
    op.drop_index('ix_jobs_status_created_at', table_name='jobs')
    op.drop_table('jobs')
