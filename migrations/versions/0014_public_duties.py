"""The fund's public duties: the related-party register, the notes' texts, submitted annual work reports,
settings; published items may be major-transaction notices. Flagged donors enter the register.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06 13:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None

# What was submitted or written stays as it was (the pattern of 0013): the notes' texts and annual reports.
_APPEND_ONLY = ("report_texts", "annual_reports")
OLD_KINDS = "'audit_report','annual_report','project_update','leftover_notice','related_party','other'"
NEW_KINDS = "'audit_report','annual_report','project_update','leftover_notice','related_party','major_transaction','other'"


def _sqlite_guards(tables):
    return [f"CREATE TRIGGER {t}_no_{v.lower()} BEFORE {v} ON {t} "
            f"BEGIN SELECT RAISE(ABORT, 'fund_ledger: {t} are append-only: {v} refused'); END"
            for t in tables for v in ("UPDATE", "DELETE")]


def _sqlite_drop(tables):
    return [f"DROP TRIGGER IF EXISTS {t}_no_{v}" for t in tables for v in ("update", "delete")]


def _postgresql_guards(tables):
    return [*[f"CREATE TRIGGER {t}_append_only BEFORE UPDATE OR DELETE ON {t} FOR EACH ROW "
              "EXECUTE FUNCTION fund_ledger_append_only()" for t in tables],
            *[f"CREATE TRIGGER {t}_no_truncate BEFORE TRUNCATE ON {t} FOR EACH STATEMENT "
              "EXECUTE FUNCTION fund_ledger_append_only()" for t in tables]]


def _postgresql_drop(tables):
    return [*[f"DROP TRIGGER IF EXISTS {t}_append_only ON {t}" for t in tables],
            *[f"DROP TRIGGER IF EXISTS {t}_no_truncate ON {t}" for t in tables]]


def _guards(tables, on: bool) -> None:
    pg = op.get_bind().dialect.name == "postgresql"
    make = (_postgresql_guards if on else _postgresql_drop) if pg else (_sqlite_guards if on else _sqlite_drop)
    for statement in make(tables):
        op.execute(statement)


def _published_kinds(kinds: str) -> None:
    # SQLite rebuilds the table to change a CHECK, and a rebuilt table loses its triggers: drop and restore them.
    _guards(("published_items",), False)
    with op.batch_alter_table('published_items', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_published_items_kind'), type_='check')
        batch_op.create_check_constraint('kind', f"kind IN ({kinds})")
    _guards(("published_items",), True)


def upgrade() -> None:
    op.create_table('related_parties',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('relation', sa.String(length=100), nullable=False),
    sa.Column('donor_id', sa.Integer(), nullable=True),
    sa.Column('organisation_id', sa.Integer(), nullable=True),
    sa.Column('since', sa.Date(), nullable=True),
    sa.Column('until', sa.Date(), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('created_at', sa.String(length=32), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.CheckConstraint("kind IN ('person','organisation')", name=op.f('ck_related_parties_kind')),
    sa.CheckConstraint("until IS NULL OR since IS NULL OR until >= since", name=op.f('ck_related_parties_dates')),
    sa.ForeignKeyConstraint(['donor_id'], ['donors.id'], name=op.f('fk_related_parties_donor_id_donors')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'],
                            name=op.f('fk_related_parties_organisation_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_related_parties'))
    )
    op.create_index(op.f('ix_related_parties_donor_id'), 'related_parties', ['donor_id'], unique=False)
    op.create_index(op.f('ix_related_parties_organisation_id'), 'related_parties', ['organisation_id'], unique=False)

    op.create_table('report_texts',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('section', sa.String(length=24), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('written_at', sa.String(length=32), nullable=False),
    sa.Column('written_by', sa.String(length=64), nullable=False),
    sa.CheckConstraint("section IN ('policies','events','other')", name=op.f('ck_report_texts_section')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_report_texts'))
    )
    op.create_index('ix_report_texts_year_section', 'report_texts', ['year', 'section'], unique=False)

    op.create_table('annual_reports',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('figures', sa.Text(), nullable=False),
    sa.Column('audit_reference', sa.String(length=200), nullable=False),
    sa.Column('pdf', sa.LargeBinary(), nullable=False),
    sa.Column('pdf_sha256', sa.String(length=64), nullable=False),
    sa.Column('xlsx', sa.LargeBinary(), nullable=False),
    sa.Column('xlsx_sha256', sa.String(length=64), nullable=False),
    sa.Column('replaces_id', sa.Integer(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('submitted_at', sa.String(length=32), nullable=False),
    sa.Column('submitted_by', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['replaces_id'], ['annual_reports.id'],
                            name=op.f('fk_annual_reports_replaces_id_annual_reports')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_annual_reports')),
    sa.UniqueConstraint('pdf_sha256', name=op.f('uq_annual_reports_pdf_sha256')),
    sa.UniqueConstraint('replaces_id', name=op.f('uq_annual_reports_replaces_id'))
    )
    op.create_index(op.f('ix_annual_reports_year'), 'annual_reports', ['year'], unique=False)

    op.create_table('settings',
    sa.Column('key', sa.String(length=48), nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.Column('updated_at', sa.String(length=32), nullable=False),
    sa.Column('updated_by', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_settings'))
    )
    _guards(_APPEND_ONLY, True)
    _published_kinds(NEW_KINDS)

    # Donors flagged as related parties enter the register (the flag stays, kept by the register from now on).
    op.execute("INSERT INTO related_parties (name, kind, relation, donor_id, organisation_id, since, until, note, "
               "created_at, created_by) SELECT name, kind, CASE WHEN related_note = '' THEN '关联方' "
               "ELSE substr(related_note, 1, 100) END, id, NULL, NULL, NULL, '', created_at, 'migration' "
               "FROM donors WHERE related_party ORDER BY id")


def downgrade() -> None:
    _published_kinds(OLD_KINDS)
    _guards(_APPEND_ONLY, False)
    op.drop_table('settings')
    op.drop_index(op.f('ix_annual_reports_year'), table_name='annual_reports')
    op.drop_table('annual_reports')
    op.drop_index('ix_report_texts_year_section', table_name='report_texts')
    op.drop_table('report_texts')
    op.drop_index(op.f('ix_related_parties_organisation_id'), table_name='related_parties')
    op.drop_index(op.f('ix_related_parties_donor_id'), table_name='related_parties')
    op.drop_table('related_parties')
