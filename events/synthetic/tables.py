"""Where synthetic rows go: the columns written per table, bulk writers (COPY or executemany), PostgreSQL's
deferred indexes, and removing every synthetic row again."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.management.base import CommandError
from django.db import connection, models, transaction

from events import search
from events.models import (
    Actor,
    ActorAlias,
    Citation,
    Event,
    EventParticipant,
    Pledge,
    PledgeStatusChange,
    Source,
    Statement,
)

from .vocabulary import PREFIX

StatementAbout = Statement.about.through

# Columns written for each model, in COPY order. Checked against the model at start-up, so that a new column
# fails loudly here instead of being silently left to a default.
COLUMNS: dict[type[models.Model], tuple[str, ...]] = {
    Actor: (
        "id", "created_at", "updated_at", "version", "search_text", "slug", "name", "kind", "country", "title",
        "parent_id", "description",
    ),
    ActorAlias: ("id", "actor_id", "name"),
    Source: (
        "id", "created_at", "updated_at", "version", "date", "date_precision", "date_end", "date_note",
        "search_text", "slug", "title", "publisher", "byline", "url", "seed_file", "text", "sha256", "url_key",
    ),
    Event: (
        "id", "created_at", "updated_at", "version", "date", "date_precision", "date_end", "date_note",
        "search_text", "slug", "title", "description", "event_type", "status", "location", "country", "place_id",
        "coding_note",
    ),
    EventParticipant: ("id", "event_id", "actor_id", "role", "event_date", "event_date_end"),
    Statement: (
        "id", "created_at", "updated_at", "version", "date", "date_precision", "date_end", "date_note",
        "search_text", "slug", "speaker_id", "speaker_role", "text", "quote_type", "medium", "stance",
        "stance_target_id", "stance_topic", "event_id", "place_id", "coding_note",
    ),
    StatementAbout: ("id", "statement_id", "actor_id"),
    Pledge: (
        "id", "created_at", "updated_at", "version", "date", "date_precision", "date_end", "date_note",
        "search_text", "slug", "title", "description", "category", "pledger_id", "beneficiary_id", "quantity",
        "quantity_delivered", "quantity_approximate", "unit", "conditions", "target_date", "target_date_precision",
        "target_date_end", "target_date_note", "status", "status_date", "status_note", "event_id", "place_id",
        "announced_by_id", "coding_note",
    ),
    Citation: (
        "id", "created_at", "updated_at", "source_id", "excerpt", "event_id", "pledge_id", "statement_id", "actor_id",
    ),
    PledgeStatusChange: (
        "id", "pledge_id", "status", "date", "quantity_delivered", "note", "citation_id", "created_at",
    ),
}  # fmt: skip

# Writers ------------------------------------------------------------------------------------------------------


class CopyWriter:
    """PostgreSQL: COPY FROM STDIN through psycopg."""

    def __init__(self, cursor):
        self.cursor = cursor.cursor  # the psycopg cursor under Django's wrapper

    def write(self, model: type[models.Model], rows: Iterable[tuple]) -> int:
        columns = COLUMNS[model]
        count = 0
        quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
        sql = f"COPY {connection.ops.quote_name(model._meta.db_table)} ({quoted}) FROM STDIN"
        with self.cursor.copy(sql) as copy:
            for row in rows:
                copy.write_row(row)
                count += 1
        return count


class InsertWriter:
    """Any other database (SQLite in the tests): executemany, values prepared by the model fields."""

    CONVERTED = (models.DateTimeField, models.DateField, models.DecimalField, models.BooleanField)

    def __init__(self, cursor):
        self.cursor = cursor

    def write(self, model: type[models.Model], rows: Iterable[tuple]) -> int:
        columns = COLUMNS[model]
        by_column = {f.column: f for f in model._meta.concrete_fields}
        converters = [(i, by_column[c]) for i, c in enumerate(columns) if isinstance(by_column[c], self.CONVERTED)]
        prepared = []
        for row in rows:
            row = list(row)
            for i, model_field in converters:
                if row[i] is not None:
                    row[i] = model_field.get_db_prep_save(row[i], connection)
            prepared.append(row)
        placeholders = ", ".join(["%s"] * len(columns))
        quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
        table = connection.ops.quote_name(model._meta.db_table)
        self.cursor.executemany(f"INSERT INTO {table} ({quoted}) VALUES ({placeholders})", prepared)
        return len(prepared)


def next_id(model: type[models.Model]) -> int:
    return (model.objects.aggregate(top=models.Max("id"))["top"] or 0) + 1


def check_columns() -> None:
    for model, columns in COLUMNS.items():
        expected = {f.column for f in model._meta.concrete_fields if not getattr(f, "generated", False)}
        if set(columns) != expected:
            raise CommandError(
                f"generate_synthetic is out of date for {model.__name__}: it writes {sorted(set(columns))} but the "
                f"table has {sorted(expected)}. Update COLUMNS and the generator."
            )


# PostgreSQL bulk-load helpers: drop secondary indexes and foreign keys, COPY, then rebuild them in one pass. All in
# the command's transaction, so a failure leaves the schema (and the data) exactly as before.

LOADED_TABLES = tuple(model._meta.db_table for model in COLUMNS)


def pg_defer_indexes(cursor) -> list[str]:
    tables = list(LOADED_TABLES)
    cursor.execute(
        """
        SELECT format('ALTER TABLE %%I ADD CONSTRAINT %%I %%s', c.conrelid::regclass::text, c.conname,
                      pg_get_constraintdef(c.oid)),
               format('ALTER TABLE %%I DROP CONSTRAINT %%I', c.conrelid::regclass::text, c.conname)
        FROM pg_constraint c
        WHERE c.conrelid::regclass::text = ANY(%s) AND c.contype IN ('f', 'u')
        ORDER BY c.contype DESC, c.conname
        """,
        [tables],
    )
    constraints = cursor.fetchall()
    cursor.execute(
        """
        SELECT i.indexdef, format('DROP INDEX %%I', i.indexname)
        FROM pg_indexes i
        WHERE i.schemaname = current_schema() AND i.tablename = ANY(%s)
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = (quote_ident(i.indexname))::regclass)
        ORDER BY i.indexname
        """,
        [tables],
    )
    indexes = cursor.fetchall()
    # ALTER TABLE is refused while deferred checks of earlier writes in this transaction are pending: run them now.
    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    # Foreign keys first (they depend on nothing we drop), then unique constraints, then plain indexes.
    for _, drop in constraints:
        cursor.execute(drop)
    for _, drop in indexes:
        cursor.execute(drop)
    # Rebuild: indexes and unique constraints first, foreign keys last (validated in one join each).
    unique = [create for create, drop in constraints if " UNIQUE " in create]
    foreign = [create for create, drop in constraints if " FOREIGN KEY " in create]
    return [create for create, _ in indexes] + unique + foreign


def clear_synthetic() -> int:
    """Delete every synthetic row with plain SQL (no signals, so no tombstones), children first."""
    like = PREFIX + "%"
    table = {model: connection.ops.quote_name(model._meta.db_table) for model in COLUMNS}
    syn = {
        model: f"(SELECT id FROM {table[model]} WHERE slug LIKE %s)"
        for model in (Actor, Source, Event, Statement, Pledge)
    }  # noqa: E501
    steps = [
        (f"DELETE FROM {table[PledgeStatusChange]} WHERE pledge_id IN {syn[Pledge]}", 1),
        (
            f"DELETE FROM {table[Citation]} WHERE source_id IN {syn[Source]} OR event_id IN {syn[Event]} "
            f"OR pledge_id IN {syn[Pledge]} OR statement_id IN {syn[Statement]} OR actor_id IN {syn[Actor]}",
            5,
        ),
        (f"DELETE FROM {table[StatementAbout]} WHERE statement_id IN {syn[Statement]}", 1),
        (f"DELETE FROM {table[EventParticipant]} WHERE event_id IN {syn[Event]}", 1),
        (f"DELETE FROM {table[Pledge]} WHERE slug LIKE %s", 1),
        (f"DELETE FROM {table[Statement]} WHERE slug LIKE %s", 1),
        (f"DELETE FROM {table[Event]} WHERE slug LIKE %s", 1),
        (f"DELETE FROM {table[ActorAlias]} WHERE actor_id IN {syn[Actor]}", 1),
        (f"DELETE FROM {table[Actor]} WHERE slug LIKE %s", 1),
        (f"DELETE FROM {table[Source]} WHERE slug LIKE %s", 1),
    ]
    deleted = 0
    with transaction.atomic(), connection.cursor() as cursor:
        # SQLite's FTS5 rows first, while the records that name them are still there.
        if search.fts_enabled(connection.alias):
            for model in search.SEARCHABLE:
                fts = connection.ops.quote_name(search.fts_table(model))
                cursor.execute(f"DELETE FROM {fts} WHERE rowid IN {syn[model]}", [like])
        for sql, params in steps:
            cursor.execute(sql, [like] * params)
            deleted += max(cursor.rowcount, 0)
    return deleted
