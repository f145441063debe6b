"""Search: PostgreSQL full text over each record's search document (GIN-indexed), or case-insensitive matching on
SQLite. Both understand the same small syntax: words (all must match), "quoted phrases" and -excluded words."""

import re

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVectorField
from django.db import connections
from django.db.models import Expression, QuerySet

from .models import SEARCH_CONFIG

MAX_TERM_LENGTH = 200
TOKENS = re.compile(r'(-?)"([^"]+)"|(-?)(\S+)')

# The stored, GIN-indexed tsvector that migration 0004 adds on PostgreSQL (e.g. index event_search_vector_gin).
VECTOR_COLUMN = "search_vector"


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


def search(queryset: QuerySet, term: str, *, ranked: bool = True) -> QuerySet:
    """Records whose search document matches ``term``; most relevant first when ``ranked`` (PostgreSQL).

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
    for negated_phrase, phrase, negated_word, word in TOKENS.findall(term):
        text, negated = (phrase, negated_phrase) if phrase else (word, negated_word)
        if negated and text:
            queryset = queryset.exclude(search_text__icontains=text)
        elif text:
            queryset = queryset.filter(search_text__icontains=text)
    return queryset
