"""People and the audit log: organisations, users, API tokens, and the audit chain with its guards.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 01:10:57.523664
"""
from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None

GENESIS = "0" * 64

# The audit log is guarded like the journal: append-only, and each record must continue the chain.
# Users are never deleted (their past actions stay attributed) and keep their username.
SQLITE_GUARDS = [
    "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log "
    "BEGIN SELECT RAISE(ABORT, 'fund_ledger: audit_log is append-only: UPDATE refused'); END",
    "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log "
    "BEGIN SELECT RAISE(ABORT, 'fund_ledger: audit_log is append-only: DELETE refused'); END",
    f"""CREATE TRIGGER audit_log_chain BEFORE INSERT ON audit_log
    WHEN NEW.prev_hash IS NOT (CASE WHEN NEW.id = 1 THEN '{GENESIS}'
                               ELSE (SELECT hash FROM audit_log WHERE id = NEW.id - 1) END)
    BEGIN SELECT RAISE(ABORT, 'fund_ledger: audit record does not continue the audit chain'); END""",
    "CREATE TRIGGER users_no_delete BEFORE DELETE ON users "
    "BEGIN SELECT RAISE(ABORT, 'fund_ledger: users are never deleted: disable them instead'); END",
    "CREATE TRIGGER users_fixed BEFORE UPDATE ON users WHEN NEW.username IS NOT OLD.username "
    "BEGIN SELECT RAISE(ABORT, 'fund_ledger: a username never changes'); END",
    "CREATE TRIGGER api_tokens_no_delete BEFORE DELETE ON api_tokens "
    "BEGIN SELECT RAISE(ABORT, 'fund_ledger: tokens are revoked, never deleted'); END",
]
SQLITE_DROP = [f"DROP TRIGGER IF EXISTS {n}" for n in
               ("audit_log_no_update", "audit_log_no_delete", "audit_log_chain", "users_no_delete", "users_fixed",
                "api_tokens_no_delete")]

POSTGRESQL_GUARDS = [
    "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log "
    "FOR EACH ROW EXECUTE FUNCTION fund_ledger_append_only()",
    "CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log "
    "FOR EACH STATEMENT EXECUTE FUNCTION fund_ledger_append_only()",
    f"""CREATE FUNCTION fund_ledger_audit_chain() RETURNS trigger LANGUAGE plpgsql
    SET plan_cache_mode = force_custom_plan AS $$
    DECLARE expected text;
    BEGIN
      IF NEW.id = 1 THEN expected := '{GENESIS}';
      ELSE SELECT hash INTO expected FROM audit_log WHERE id = NEW.id - 1;
      END IF;
      IF expected IS NULL OR NEW.prev_hash IS DISTINCT FROM expected THEN
        RAISE EXCEPTION 'fund_ledger: audit record % does not continue the audit chain', NEW.id
          USING ERRCODE = 'check_violation';
      END IF;
      RETURN NEW;
    END $$""",
    "CREATE TRIGGER audit_log_chain BEFORE INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION fund_ledger_audit_chain()",
    """CREATE FUNCTION fund_ledger_users_guard() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'DELETE' OR TG_OP = 'TRUNCATE' THEN
        RAISE EXCEPTION 'fund_ledger: % rows are never deleted', TG_TABLE_NAME USING ERRCODE = 'restrict_violation';
      END IF;
      IF TG_TABLE_NAME = 'users' AND NEW.username IS DISTINCT FROM OLD.username THEN
        RAISE EXCEPTION 'fund_ledger: a username never changes' USING ERRCODE = 'restrict_violation';
      END IF;
      RETURN NEW;
    END $$""",
    "CREATE TRIGGER users_guard BEFORE UPDATE OR DELETE ON users FOR EACH ROW EXECUTE FUNCTION fund_ledger_users_guard()",
    "CREATE TRIGGER users_no_truncate BEFORE TRUNCATE ON users FOR EACH STATEMENT EXECUTE FUNCTION fund_ledger_users_guard()",
    "CREATE TRIGGER api_tokens_guard BEFORE DELETE ON api_tokens FOR EACH ROW EXECUTE FUNCTION fund_ledger_users_guard()",
]
POSTGRESQL_DROP = [
    "DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log",
    "DROP TRIGGER IF EXISTS audit_log_no_truncate ON audit_log",
    "DROP FUNCTION IF EXISTS fund_ledger_audit_chain() CASCADE",
    "DROP FUNCTION IF EXISTS fund_ledger_users_guard() CASCADE",
]


def upgrade() -> None:
    op.create_table('audit_log',
    sa.Column('id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('at', sa.String(length=32), nullable=False),
    sa.Column('actor', sa.String(length=64), nullable=True),
    sa.Column('role', sa.String(length=16), nullable=True),
    sa.Column('address', sa.String(length=64), nullable=True),
    sa.Column('action', sa.String(length=64), nullable=False),
    sa.Column('object_type', sa.String(length=32), nullable=True),
    sa.Column('object_id', sa.String(length=64), nullable=True),
    sa.Column('outcome', sa.String(length=16), nullable=False),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.Column('hash_version', sa.SmallInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_log')),
    )
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.create_index('ix_audit_log_action_address_at', ['action', 'address', 'at'], unique=False)
        batch_op.create_index('ix_audit_log_action_object_at', ['action', 'object_id', 'at'], unique=False)
        batch_op.create_index('ix_audit_log_actor_at', ['actor', 'at'], unique=False)

    op.create_table('organisations',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('credit_code', sa.String(length=18), nullable=True),
    sa.Column('contact', sa.Text(), nullable=False),
    sa.Column('created_at', sa.String(length=32), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_organisations')),
    sa.UniqueConstraint('credit_code', name=op.f('uq_organisations_credit_code')),
    sa.UniqueConstraint('name', name=op.f('uq_organisations_name'))
    )
    op.create_table('users',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('display_name', sa.String(length=100), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=True),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('session_version', sa.Integer(), nullable=False),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('created_at', sa.String(length=32), nullable=False),
    sa.CheckConstraint("(role = 'grantee') = (organisation_id IS NOT NULL)", name=op.f('ck_users_grantee_has_organisation')),
    sa.CheckConstraint("role IN ('admin','manager','grantee','auditor')", name=op.f('ck_users_role')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_users_organisation_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('username', name=op.f('uq_users_username'))
    )
    op.create_table('api_tokens',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.String(length=32), nullable=False),
    sa.Column('expires_at', sa.String(length=32), nullable=False),
    sa.Column('revoked_at', sa.String(length=32), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_api_tokens_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_api_tokens_token_hash'))
    )
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_tokens_user_id'), ['user_id'], unique=False)

    bind = op.get_bind()
    for statement in (POSTGRESQL_GUARDS if bind.dialect.name == "postgresql" else SQLITE_GUARDS):
        op.execute(statement)


def downgrade() -> None:
    bind = op.get_bind()
    for statement in (POSTGRESQL_DROP if bind.dialect.name == "postgresql" else SQLITE_DROP):
        op.execute(statement)
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_tokens_user_id'))

    op.drop_table('api_tokens')
    op.drop_table('users')
    op.drop_table('organisations')
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_log_actor_at')
        batch_op.drop_index('ix_audit_log_action_object_at')
        batch_op.drop_index('ix_audit_log_action_address_at')

    op.drop_table('audit_log')
