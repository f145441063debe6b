from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector
from django.db import migrations

SEARCHABLE = ("source", "actor", "event", "statement", "pledge")

# Must equal events.models.SEARCH_CONFIG: events.search matches this column with queries parsed in that
# configuration. Frozen here like any migration; a change of configuration needs a new migration.
CONFIG = "english"

COLUMN = "search_vector"


def vector_index_name(model_name: str) -> str:
    # e.g. event_search_vector_gin; events.search and tests/test_filters.py name them.
    return f"{model_name}_search_vector_gin"


def expression_index(model_name: str) -> GinIndex:
    # Migration 0002's index, dropped here and recreated on the way back.
    return GinIndex(SearchVector("search_text", config=CONFIG), name=f"{model_name}_search_gin")


def add_search_vectors(apps, schema_editor):
    """A stored tsvector of search_text on each searchable table, GIN-indexed, in place of 0002's expression index.

    With the expression index, PostgreSQL found the matches from the index but had to re-parse the search_text of
    every match to rank it (1.9 s for a common phrase at 1M events). The stored column is parsed once, on write.

    It is a generated column, so PostgreSQL keeps it in step with search_text on every INSERT, UPDATE and COPY, and
    nothing may write it. It is deliberately not a model field: Django would then select it with every record and
    try to write it, SQLite has no tsvector, and makemigrations stays clean because the model state never knew of
    it. Writers with explicit column lists (generate_synthetic's COPY, dumpdata/loaddata in backup_tracker and
    restore_tracker) only name model fields, and the history tables exclude search_text, so none of them sees it.
    """
    if schema_editor.connection.vendor != "postgresql":
        return
    quote = schema_editor.quote_name
    for name in SEARCHABLE:
        model = apps.get_model("events", name)
        table = quote(model._meta.db_table)
        # Dropped first, so that adding the column (which rewrites the table) does not rebuild it for nothing.
        schema_editor.remove_index(model, expression_index(name))
        schema_editor.execute(
            f"ALTER TABLE {table} ADD COLUMN {quote(COLUMN)} tsvector GENERATED ALWAYS AS "
            f"(to_tsvector('{CONFIG}'::regconfig, COALESCE(search_text, ''))) STORED"
        )
        schema_editor.execute(f"CREATE INDEX {quote(vector_index_name(name))} ON {table} USING gin ({quote(COLUMN)})")


def remove_search_vectors(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    quote = schema_editor.quote_name
    for name in SEARCHABLE:
        model = apps.get_model("events", name)
        # Dropping the column drops its index with it.
        schema_editor.execute(f"ALTER TABLE {quote(model._meta.db_table)} DROP COLUMN {quote(COLUMN)}")
        schema_editor.add_index(model, expression_index(name))


class Migration(migrations.Migration):
    dependencies = [
        ("events", "0003_history_versions_status_changes"),
    ]

    operations = [
        migrations.RunPython(add_search_vectors, remove_search_vectors),
    ]
