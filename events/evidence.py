"""The evidence promise, kept by the database itself: every citation's excerpt stands verbatim in its source's text.

The services check it first, for a readable message. These triggers are the last word, for every door the services
do not guard (a raw UPDATE, a bulk load, a shell) and for the race between a text change and a new citation:

- inserting or updating a citation refuses an excerpt that is not in its source's text (a missing source fails);
- updating a source's text refuses a text that would leave one of its citations without its excerpt.

On PostgreSQL the citation trigger reads the text with ``SELECT … FOR SHARE``. The foreign-key check takes only a
KEY SHARE lock, which does not block an UPDATE of ``text``; FOR SHARE does, so a text change waits for the citation's
transaction and then sees its citation, and a citation waits for a text change and then reads the new text.

SQLite drops a table's triggers when a migration rebuilds the table, so ``install_triggers`` runs after every
``migrate`` (a post_migrate handler, on both databases), and is idempotent.
"""

from collections.abc import Iterator
from contextlib import contextmanager

from django.core.exceptions import ValidationError
from django.db import DEFAULT_DB_ALIAS, IntegrityError, connections, transaction

from .models import Citation, Source

# What the database says when it refuses. The fixed prefix is how any door recognises the refusal.
PREFIX = "tracker-evidence:"
CITATION_REFUSED = f"{PREFIX} a citation excerpt must stand verbatim in the text of its source"
TEXT_REFUSED = f"{PREFIX} a source text must keep every excerpt that cites it"

# What an editor is told, per field, when a refusal reaches a door.
READABLE = {
    CITATION_REFUSED: (
        "excerpt",
        "This excerpt is not verbatim in its source's text as the source reads now (it may have just changed). "
        "Copy it exactly from the article text.",
    ),
    TEXT_REFUSED: (
        "text",
        "The new text would break a citation of this source: every excerpt that cites it must still stand in it "
        "verbatim.",
    ),
}

CITATION_TRIGGERS = ("events_citation_verbatim_insert", "events_citation_verbatim_update")
SOURCE_TRIGGER = "events_source_text_keeps_citations"
TRIGGERS = (*CITATION_TRIGGERS, SOURCE_TRIGGER)


def _tables(connection) -> tuple[str, str]:
    quote = connection.ops.quote_name
    return quote(Citation._meta.db_table), quote(Source._meta.db_table)


def _sqlite_statements(connection) -> list[str]:
    citation, source = _tables(connection)
    # coalesce(…, 0): a citation whose source is missing reads NULL, and must fail the check, not pass it.
    stands = f"coalesce((SELECT instr(s.text, NEW.excerpt) FROM {source} s WHERE s.id = NEW.source_id), 0) > 0"
    refuse_citation = f"BEGIN SELECT RAISE(ABORT, '{CITATION_REFUSED}'); END"
    return [
        *(f"DROP TRIGGER IF EXISTS {name}" for name in TRIGGERS),
        f"CREATE TRIGGER {CITATION_TRIGGERS[0]} BEFORE INSERT ON {citation} FOR EACH ROW "
        f"WHEN NOT ({stands}) {refuse_citation}",
        f"CREATE TRIGGER {CITATION_TRIGGERS[1]} BEFORE UPDATE OF source_id, excerpt ON {citation} FOR EACH ROW "
        f"WHEN NOT ({stands}) {refuse_citation}",
        f"CREATE TRIGGER {SOURCE_TRIGGER} BEFORE UPDATE OF text ON {source} FOR EACH ROW "
        f"WHEN OLD.text IS NOT NEW.text AND EXISTS (SELECT 1 FROM {citation} c WHERE c.source_id = NEW.id "
        f"AND coalesce(instr(NEW.text, c.excerpt), 0) = 0) "
        f"BEGIN SELECT RAISE(ABORT, '{TEXT_REFUSED}'); END",
    ]


def _postgresql_statements(connection) -> list[str]:
    citation, source = _tables(connection)
    return [
        f"""
        CREATE OR REPLACE FUNCTION events_citation_verbatim() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE
            source_text text;
        BEGIN
            -- FOR SHARE: wait for a concurrent change of the text, read it, and keep it until this commits.
            SELECT s.text INTO source_text FROM {source} s WHERE s.id = NEW.source_id FOR SHARE;
            IF coalesce(strpos(source_text, NEW.excerpt), 0) = 0 THEN
                RAISE EXCEPTION '{CITATION_REFUSED}' USING ERRCODE = 'check_violation',
                    DETAIL = format('source id %s, excerpt %L', NEW.source_id, left(NEW.excerpt, 200));
            END IF;
            RETURN NEW;
        END
        $$
        """,
        f"""
        CREATE OR REPLACE FUNCTION {SOURCE_TRIGGER}() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE
            broken record;
        BEGIN
            SELECT c.id, c.excerpt INTO broken FROM {citation} c
            WHERE c.source_id = NEW.id AND coalesce(strpos(NEW.text, c.excerpt), 0) = 0
            LIMIT 1;
            IF FOUND THEN
                RAISE EXCEPTION '{TEXT_REFUSED}' USING ERRCODE = 'check_violation',
                    DETAIL = format('source id %s, citation id %s, excerpt %L', NEW.id, broken.id,
                                    left(broken.excerpt, 200));
            END IF;
            RETURN NEW;
        END
        $$
        """,
        *(f"DROP TRIGGER IF EXISTS {name} ON {citation}" for name in CITATION_TRIGGERS),
        f"DROP TRIGGER IF EXISTS {SOURCE_TRIGGER} ON {source}",
        f"CREATE TRIGGER {CITATION_TRIGGERS[0]} BEFORE INSERT ON {citation} "
        "FOR EACH ROW EXECUTE FUNCTION events_citation_verbatim()",
        f"CREATE TRIGGER {CITATION_TRIGGERS[1]} BEFORE UPDATE OF source_id, excerpt ON {citation} "
        "FOR EACH ROW EXECUTE FUNCTION events_citation_verbatim()",
        # AFTER, so that the check runs once the row lock is held and sees every citation committed meanwhile.
        f"CREATE TRIGGER {SOURCE_TRIGGER} AFTER UPDATE OF text ON {source} "
        f"FOR EACH ROW WHEN (OLD.text IS DISTINCT FROM NEW.text) EXECUTE FUNCTION {SOURCE_TRIGGER}()",
    ]


STATEMENTS = {"sqlite": _sqlite_statements, "postgresql": _postgresql_statements}


def install_triggers(using: str = DEFAULT_DB_ALIAS) -> None:
    """Create (or re-create) the evidence triggers; safe to run any number of times."""
    connection = connections[using]
    statements = STATEMENTS.get(connection.vendor)
    if statements is None:
        raise NotImplementedError(f"No evidence triggers for {connection.vendor}; add them to events/evidence.py.")
    existing = set(connection.introspection.table_names())
    if not {Citation._meta.db_table, Source._meta.db_table} <= existing:
        return  # migrated backwards past the tables: nothing to guard
    with transaction.atomic(using=using), connection.cursor() as cursor:
        for statement in statements(connection):
            cursor.execute(statement)


def installed_triggers(using: str = DEFAULT_DB_ALIAS) -> set[str]:
    """The evidence triggers present in the database (all of TRIGGERS when it is guarded)."""
    connection = connections[using]
    query = {
        "sqlite": "SELECT name FROM sqlite_master WHERE type = 'trigger'",
        "postgresql": "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal",
    }[connection.vendor]
    with connection.cursor() as cursor:
        cursor.execute(query)
        return {name for (name,) in cursor.fetchall()} & set(TRIGGERS)


def install_after_migrate(sender, using: str = DEFAULT_DB_ALIAS, **kwargs) -> None:
    """post_migrate handler: a migration may have rebuilt a table (SQLite) and dropped its triggers."""
    install_triggers(using)


def is_verbatim_violation(error: BaseException) -> bool:
    """Whether ``error`` is the database refusing a non-verbatim excerpt or a text that breaks a citation."""
    return isinstance(error, IntegrityError) and PREFIX in str(error)


def as_validation_error(error: BaseException) -> ValidationError | None:
    """The refusal as a ValidationError on the field concerned (``excerpt`` or ``text``); None for any other error."""
    if not is_verbatim_violation(error):
        return None
    message = str(error)
    field, readable = next(value for key, value in READABLE.items() if key in message)
    return ValidationError({field: [readable]})


@contextmanager
def refusals_as_validation_errors() -> Iterator[None]:
    """Turn the database's refusal into a ValidationError, which every door already shows as a field error.

    On PostgreSQL the transaction is then unusable: the error must leave the enclosing atomic block, which rolls it
    back (or back to its savepoint).
    """
    try:
        yield
    except IntegrityError as error:
        refused = as_validation_error(error)
        if refused is None:
            raise
        raise refused from error
