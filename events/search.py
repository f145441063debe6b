"""Search: PostgreSQL full text over each record's search document (GIN-indexed), or case-insensitive matching on
SQLite. Both understand the same small syntax: words (all must match), "quoted phrases" and -excluded words."""

import re

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.db import connections
from django.db.models import QuerySet

from .models import SEARCH_CONFIG

MAX_TERM_LENGTH = 200
TOKENS = re.compile(r'(-?)"([^"]+)"|(-?)(\S+)')


def search(queryset: QuerySet, term: str, *, ranked: bool = True) -> QuerySet:
    """Records whose search document matches ``term``; most relevant first when ``ranked`` (PostgreSQL)."""
    term = term.replace("\x00", "").strip()
    if not term:
        return queryset
    if connections[queryset.db].vendor == "postgresql":
        query = SearchQuery(term, config=SEARCH_CONFIG, search_type="websearch")
        # The same expression as the GIN index in Meta.indexes, so that PostgreSQL can use it.
        vector = SearchVector("search_text", config=SEARCH_CONFIG)
        queryset = queryset.annotate(search_vector=vector).filter(search_vector=query)
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
