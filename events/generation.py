"""The data generation: a number in the shared cache that every write advances.

Whatever is cached from the data (list counts, and later whole responses) is keyed by it, so that no answer
computed before a write is served after it. Services and signals advance it; the API only reads it.
"""

from django.core.cache import cache
from django.db import transaction

GENERATION_KEY = "tracker:data-generation"


def data_changed() -> None:
    """Advance the data generation, so that no cached count from before a write is used after it.

    Called at once (so that later reads in the same transaction, and in tests, see it) and again on commit (so that
    a count taken by another request between the two cannot survive the commit).
    """
    _advance_generation()
    transaction.on_commit(_advance_generation)


def _advance_generation() -> None:
    try:
        cache.incr(GENERATION_KEY)
    except ValueError:
        cache.add(GENERATION_KEY, 1, timeout=None)
