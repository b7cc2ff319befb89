"""The pure ledger core: money, accounts, funds, entries, the rules they obey, balances and the hash chain.

Nothing in this package imports a web framework, an ORM or a serialiser: it is plain Python over
frozen dataclasses, so it can be reasoned about and property-tested alone (a test enforces this).
"""
