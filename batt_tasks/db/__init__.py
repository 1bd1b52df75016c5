"""The record: SQLAlchemy models, engines and sessions, and the queries the CLI prints."""
