"""The database: SQLAlchemy models, engines and sessions, and the repository between rows and ledger records."""
