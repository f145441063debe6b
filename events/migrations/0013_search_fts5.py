from django.db import migrations

SEARCHABLE = ("source", "actor", "event", "statement", "pledge")

# Frozen here like any migration; events.search names the same tables and tokenizer (FTS_SUFFIX, FTS_TOKENIZE).
TOKENIZE = "porter unicode61 remove_diacritics 2"


def fts_table(apps, name: str) -> str:
    return apps.get_model("events", name)._meta.db_table + "_fts"


def create_fts_tables(apps, schema_editor):
    """An FTS5 table per searchable table on SQLite, filled from the stored search documents.

    Each holds its own copy of search_text, keyed by rowid = the record's id. Not an external-content table: that
    one can only be told to forget a row with the row's exact old text, so a single missed update would corrupt it;
    here a row is replaced or deleted by its id alone (events.search.document_index, documents_unindex). The
    services keep it in step as they keep search_text (no triggers: the same code refreshes PostgreSQL's document).
    PostgreSQL has its generated, GIN-indexed search_vector (migration 0004) instead, so nothing happens there.
    """
    if schema_editor.connection.vendor != "sqlite":
        return
    quote = schema_editor.quote_name
    for name in SEARCHABLE:
        table, fts = apps.get_model("events", name)._meta.db_table, fts_table(apps, name)
        schema_editor.execute(f"CREATE VIRTUAL TABLE {quote(fts)} USING fts5(search_text, tokenize='{TOKENIZE}')")
        schema_editor.execute(
            f"INSERT INTO {quote(fts)} (rowid, search_text) SELECT id, search_text FROM {quote(table)} "
            "WHERE search_text <> ''"
        )


def drop_fts_tables(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    for name in SEARCHABLE:
        schema_editor.execute(f"DROP TABLE {schema_editor.quote_name(fts_table(apps, name))}")


class Migration(migrations.Migration):
    dependencies = [
        ("events", "0012_change_feed"),
    ]

    operations = [
        migrations.RunPython(create_fts_tables, drop_fts_tables),
    ]
