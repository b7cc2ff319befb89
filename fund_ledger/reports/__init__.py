"""Statements: data builders over the database, and renderers to text, CSV, JSON and PDF."""
