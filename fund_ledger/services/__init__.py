"""Use cases. Each takes ``(session, actor, ...)``, changes the database, and leaves committing to
the caller (a request, a command, a test). Nothing here imports Flask."""
