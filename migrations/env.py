"""Alembic environment: runs on the connection handed over by ``fund_ledger.db.schema.upgrade``."""
from alembic import context

from fund_ledger.db.models import Base

config = context.config
connection = config.attributes.get("connection")
if connection is None:  # alembic's own command line: build an engine from the app's configuration
    from fund_ledger.config import database_url
    from fund_ledger.db.engine import create_db_engine

    engine = create_db_engine(config.get_main_option("sqlalchemy.url") or database_url())
    connection = engine.connect()

context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True,
                  transaction_per_migration=True)
with context.begin_transaction():
    context.run_migrations()
if connection.in_transaction():
    connection.commit()
