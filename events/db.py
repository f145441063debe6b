"""Database helpers that differ between PostgreSQL and SQLite."""

from django.db.migrations.operations import AddIndex


class AddIndexOnPostgres(AddIndex):
    """AddIndex that creates the index only on PostgreSQL.

    Full-text GIN indexes exist only there; SQLite's search falls back to case-insensitive matching, and the
    migration state still records the index so that makemigrations sees the models and migrations agree.
    """

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)
