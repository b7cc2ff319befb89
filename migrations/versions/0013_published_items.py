"""Published items (信息公开): what the fund publishes, kept as published (append-only).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-08 09:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

# A published item is what the public was shown: the database refuses to change or remove one. A correction
# is a new item naming the one it corrects (the pattern of 0003's _APPEND_ONLY tables).
_APPEND_ONLY = ("published_items",)

SQLITE_GUARDS = [
    f"CREATE TRIGGER {t}_no_{v.lower()} BEFORE {v} ON {t} "
    f"BEGIN SELECT RAISE(ABORT, 'fund_ledger: {t} are append-only: {v} refused'); END"
    for t in _APPEND_ONLY for v in ("UPDATE", "DELETE")
]
SQLITE_DROP = [f"DROP TRIGGER IF EXISTS {t}_no_{v}" for t in _APPEND_ONLY for v in ("update", "delete")]

POSTGRESQL_GUARDS = [
    *[f"CREATE TRIGGER {t}_append_only BEFORE UPDATE OR DELETE ON {t} FOR EACH ROW EXECUTE FUNCTION fund_ledger_append_only()"
      for t in _APPEND_ONLY],
    *[f"CREATE TRIGGER {t}_no_truncate BEFORE TRUNCATE ON {t} FOR EACH STATEMENT EXECUTE FUNCTION fund_ledger_append_only()"
      for t in _APPEND_ONLY],
]
POSTGRESQL_DROP = [*[f"DROP TRIGGER IF EXISTS {t}_append_only ON {t}" for t in _APPEND_ONLY],
                   *[f"DROP TRIGGER IF EXISTS {t}_no_truncate ON {t}" for t in _APPEND_ONLY]]


def upgrade() -> None:
    op.create_table('published_items',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('kind', sa.String(length=24), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('period', sa.String(length=16), nullable=True),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('pdf', sa.LargeBinary(), nullable=True),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('duty', sa.String(length=48), nullable=True),
    sa.Column('corrects_id', sa.Integer(), nullable=True),
    sa.Column('published_at', sa.String(length=32), nullable=False),
    sa.Column('published_by', sa.String(length=64), nullable=False),
    sa.CheckConstraint("kind IN ('audit_report','annual_report','project_update','leftover_notice','related_party','other')",
                       name=op.f('ck_published_items_kind')),
    sa.CheckConstraint("(pdf IS NULL) <> (body = '')", name=op.f('ck_published_items_text_or_pdf')),
    sa.ForeignKeyConstraint(['corrects_id'], ['published_items.id'],
                            name=op.f('fk_published_items_corrects_id_published_items')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_published_items'))
    )
    with op.batch_alter_table('published_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_published_items_sha256'), ['sha256'], unique=False)
        batch_op.create_index(batch_op.f('ix_published_items_duty'), ['duty'], unique=False)
        batch_op.create_index(batch_op.f('ix_published_items_corrects_id'), ['corrects_id'], unique=False)

    bind = op.get_bind()
    for statement in (POSTGRESQL_GUARDS if bind.dialect.name == "postgresql" else SQLITE_GUARDS):
        op.execute(statement)


def downgrade() -> None:
    bind = op.get_bind()
    for statement in (POSTGRESQL_DROP if bind.dialect.name == "postgresql" else SQLITE_DROP):
        op.execute(statement)
    with op.batch_alter_table('published_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_published_items_corrects_id'))
        batch_op.drop_index(batch_op.f('ix_published_items_duty'))
        batch_op.drop_index(batch_op.f('ix_published_items_sha256'))
    op.drop_table('published_items')
