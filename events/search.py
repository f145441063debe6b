"""Search: full text over each record's search document on both databases. Both understand the same small syntax:
words (all must match), "quoted phrases", -excluded words, and `or` between alternatives.

PostgreSQL matches the stored, GIN-indexed tsvector of migration 0004 (English stemming) with websearch_to_tsquery.
SQLite matches an FTS5 table per searchable model (migration 0011: Porter stemming, diacritics removed), whose rows
the services keep in step with search_text (``document_index``, ``documents_unindex``), and ranks by bm25. The
user's text never reaches FTS5's MATCH as syntax: it is parsed here, as websearch_to_tsquery parses it, and every
word and phrase is sent as a quoted string.
"""

import re
from collections.abc import Iterable

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVectorField
from django.db import connections, models
from django.db.models import Expression, FloatField, Q, QuerySet
from django.db.models.expressions import RawSQL

from .models import SEARCH_CONFIG, Actor, Event, Pledge, Source, Statement

MAX_TERM_LENGTH = 200
TOKENS = re.compile(r'(-?)"([^"]+)"|(-?)(\S+)')

# The stored, GIN-indexed tsvector that migration 0004 adds on PostgreSQL (e.g. index event_search_vector_gin).
VECTOR_COLUMN = "search_vector"

SEARCHABLE: tuple[type[models.Model], ...] = (Source, Actor, Event, Statement, Pledge)

# SQLite's FTS5 tables (migration 0011): one per searchable table, its rowid the record's id.
FTS_SUFFIX = "_fts"
FTS_TOKENIZE = "porter unicode61 remove_diacritics 2"

# PostgreSQL's english configuration drops these words (its english.stop, the Snowball list) from documents and
# queries alike; FTS5 indexes every word, so the SQLite query drops them too, or "the gendarmes" would require a
# "the" that PostgreSQL ignores.
STOP_WORDS = frozenset(
    """i me my myself we our ours ourselves you your yours yourself yourselves he him his himself she her hers
    herself it its itself they them their theirs themselves what which who whom this that these those am is are was
    were be been being have has had having do does did doing a an the and but if or because as until while of at by
    for with about against between into through during before after above below to from up down in out on off over
    under again further then once here there when where why how all any both each few more most other some such no
    nor not only own same so than too very s t can will just don should now""".split()
)
WORD = re.compile(r"\w+")


class StoredVector(Expression):
    """A table's stored search vector (migration 0004), by the table's alias in the query.

    The column is not a model field (see migration 0004), so it is named here. An expression rather than raw SQL:
    Django relabels its alias, as it does a field's, when the queryset becomes a subquery (pk__in=…), so that it
    keeps pointing at the searched table and not at an outer query's table of the same name.
    """

    output_field = SearchVectorField()
    contains_column_references = True

    def __init__(self, alias: str):
        super().__init__()
        self.alias = alias

    def __repr__(self):
        return f"{self.__class__.__name__}({self.alias})"

    def as_sql(self, compiler, connection):
        return f"{compiler.quote_name_unless_alias(self.alias)}.{connection.ops.quote_name(VECTOR_COLUMN)}", []

    def relabeled_clone(self, relabels):
        return self.__class__(relabels.get(self.alias, self.alias))

    def get_group_by_cols(self):
        return [self]


class FtsRank(Expression):
    """The bm25 score of a row of ``alias`` against an FTS5 query (lower is better), NULL where it does not match.

    Like StoredVector, it names the searched table by its alias, so that Django can relabel it in a subquery.
    """

    output_field = FloatField()
    contains_column_references = True

    def __init__(self, alias: str, fts: str, query: str):
        super().__init__()
        self.alias, self.fts, self.query = alias, fts, query

    def __repr__(self):
        return f"{self.__class__.__name__}({self.alias}, {self.query!r})"

    def as_sql(self, compiler, connection):
        fts = connection.ops.quote_name(self.fts)
        row = f"{compiler.quote_name_unless_alias(self.alias)}.{connection.ops.quote_name('id')}"
        return f"(SELECT bm25({fts}) FROM {fts} WHERE {fts} MATCH %s AND {fts}.rowid = {row})", [self.query]

    def relabeled_clone(self, relabels):
        return self.__class__(relabels.get(self.alias, self.alias), self.fts, self.query)

    def get_group_by_cols(self):
        return [self]


def search(queryset: QuerySet, term: str, *, ranked: bool = True) -> QuerySet:
    """Records whose search document matches ``term``; most relevant first when ``ranked``.

    Ranking reads every match's stored vector, so its cost grows with the number of matches (about 0.3 s for 110k
    matches at 1M events); unranked (the list's `ordering` given), a match walks the ordering's index and stops at
    the page. The `search` filter's help text tells clients so.
    """
    term = term.replace("\x00", "").strip()
    if not term:
        return queryset
    if connections[queryset.db].vendor == "postgresql":
        query = SearchQuery(term, config=SEARCH_CONFIG, search_type="websearch")
        # alias(), not annotate(): the vector is matched and ranked, never sent back with the rows.
        vector = StoredVector(queryset.model._meta.db_table)
        queryset = queryset.alias(search_vector=vector).filter(search_vector=query)
        if ranked:
            queryset = queryset.annotate(search_rank=SearchRank(vector, query)).order_by(
                "-search_rank", *queryset.model._meta.ordering
            )
        return queryset
    return _fts_search(queryset, term, ranked=ranked)


# SQLite: FTS5 ------------------------------------------------------------------------------------------------


def fts_table(model: type[models.Model]) -> str:
    return f"{model._meta.db_table}{FTS_SUFFIX}"


def parse(term: str) -> list[tuple[list[str], list[str]]]:
    """The query as websearch_to_tsquery reads it: alternatives separated by `or`, each a list of required and a
    list of excluded words or phrases. Words made only of stop words are dropped, as PostgreSQL drops them."""
    alternatives: list[tuple[list[str], list[str]]] = [([], [])]
    for negated_phrase, phrase, negated_word, word in TOKENS.findall(term):
        text, negated = (phrase, negated_phrase) if phrase else (word, negated_word)
        if not phrase and not negated and word.lower() == "or":
            if alternatives[-1] != ([], []):
                alternatives.append(([], []))
            continue
        words = [w.lower() for w in WORD.findall(text)]
        if not words or all(w in STOP_WORDS for w in words):
            continue
        alternatives[-1][1 if negated else 0].append(text)
    return [alternative for alternative in alternatives if alternative != ([], [])]


def fts_string(text: str) -> str:
    """An FTS5 string: the words of ``text`` as one phrase, never read as syntax (a double quote is doubled)."""
    return '"' + text.replace('"', '""') + '"'


def _fts_all(texts: Iterable[str]) -> str:
    return " AND ".join(fts_string(text) for text in texts)


def _fts_search(queryset: QuerySet, term: str, *, ranked: bool) -> QuerySet:
    model = queryset.model
    fts = connections[queryset.db].ops.quote_name(fts_table(model))
    rows = f"SELECT rowid FROM {fts} WHERE {fts} MATCH %s"
    alternatives = parse(term)
    if not alternatives:
        # Only stop words: PostgreSQL's query is empty and matches nothing.
        return queryset.none()
    condition = Q()
    for required, excluded in alternatives:
        part = Q()
        if required:
            part &= Q(pk__in=RawSQL(rows, [_fts_all(required)]))
        for text in excluded:
            part &= ~Q(pk__in=RawSQL(rows, [fts_string(text)]))
        condition |= part
    queryset = queryset.filter(condition)
    positive = [f"({_fts_all(required)})" for required, _ in alternatives if required]
    if ranked and positive:
        rank = FtsRank(model._meta.db_table, fts_table(model), " OR ".join(positive))
        # bm25 is lower for better matches; a record found only by an all-excluding alternative has none and comes
        # last.
        queryset = queryset.annotate(search_rank=rank).order_by(
            models.F("search_rank").asc(nulls_last=True), *model._meta.ordering
        )
    return queryset


def fts_enabled(using: str) -> bool:
    return connections[using].vendor == "sqlite"


def document_index(record: models.Model, text: str, *, using: str = "default") -> None:
    """Put the record's search document in its FTS5 table (SQLite; PostgreSQL generates its vector itself)."""
    if not fts_enabled(using):
        return
    fts = connections[using].ops.quote_name(fts_table(type(record)))
    with connections[using].cursor() as cursor:
        # Delete first: FTS5 keeps no unique rowid for a plain INSERT to replace.
        cursor.execute(f"DELETE FROM {fts} WHERE rowid = %s", [record.pk])
        if text:
            cursor.execute(f"INSERT INTO {fts} (rowid, search_text) VALUES (%s, %s)", [record.pk, text])


def documents_unindex(model: type[models.Model], pks: Iterable[int], *, using: str = "default") -> None:
    """Take deleted records out of the FTS5 table (SQLite)."""
    pks = list(pks)
    if not pks or not fts_enabled(using) or model not in SEARCHABLE:
        return
    fts = connections[using].ops.quote_name(fts_table(model))
    with connections[using].cursor() as cursor:
        cursor.execute(f"DELETE FROM {fts} WHERE rowid IN ({', '.join(['%s'] * len(pks))})", pks)


def documents_fill(
    models_: Iterable[type[models.Model]] = SEARCHABLE, *, slug_prefix: str | None = None, using: str = "default"
) -> None:
    """Index the stored search documents of whole tables at once, after a bulk write that sent no signal (a
    migration, generate_synthetic, restore_tracker): every record, or those whose slug starts with ``slug_prefix``,
    replacing what the FTS5 table held for them (SQLite)."""
    if not fts_enabled(using):
        return
    quote = connections[using].ops.quote_name
    with connections[using].cursor() as cursor:
        for model in models_:
            fts, table = quote(fts_table(model)), quote(model._meta.db_table)
            where, params = ("WHERE slug LIKE %s", [slug_prefix + "%"]) if slug_prefix is not None else ("", [])
            if slug_prefix is None:
                cursor.execute(f"DELETE FROM {fts}")
            else:
                cursor.execute(f"DELETE FROM {fts} WHERE rowid IN (SELECT id FROM {table} {where})", params)
            cursor.execute(
                f"INSERT INTO {fts} (rowid, search_text) SELECT id, search_text FROM {table} {where} "
                f"{'AND' if where else 'WHERE'} search_text <> ''",
                params,
            )
