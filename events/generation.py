"""The data generation: a number in the shared cache that every write advances.

Whatever is cached from the data (list counts, proposals, whole responses and their ETags) is keyed by it, so that
no answer computed before a write is served after it. Services and signals advance it; the API only reads it.

It starts from the clock (microseconds since the epoch), not from 1: a cache that lost the key (evicted, restarted,
flushed) starts again above every value it held before, so an ETag or a cached answer from before can never match
again. Each write adds 2 (see data_changed), far fewer than the microseconds that pass between two losses.
"""

import time

from django.core.cache import cache
from django.db import transaction

GENERATION_KEY = "tracker:data-generation"


def _seed() -> int:
    return time.time_ns() // 1000


def current_generation() -> int:
    """The current data generation: one cache round trip, two more only when the key is missing."""
    generation = cache.get(GENERATION_KEY)
    if generation is None:
        generation = seeded()
    return generation


def seeded() -> int:
    """Start the generation from the clock when the cache has none (another process may just have done so)."""
    cache.add(GENERATION_KEY, _seed(), timeout=None)
    generation = cache.get(GENERATION_KEY)
    # Evicted again in between (a cache under memory pressure): the clock is still above every earlier value.
    return _seed() if generation is None else generation


def data_changed() -> None:
    """Advance the data generation, so that nothing cached from before a write is used after it.

    Called at once (so that later reads in the same transaction, and in tests, see it) and again on commit (so that
    an answer computed by another request between the two, from the data before the commit, is stored under a
    generation that the commit leaves behind).
    """
    _advance_generation()
    transaction.on_commit(_advance_generation)


def _advance_generation() -> None:
    try:
        cache.incr(GENERATION_KEY)
    except ValueError:
        # Missing: a fresh start from the clock is itself an advance past every value the key held.
        if not cache.add(GENERATION_KEY, _seed(), timeout=None):
            cache.incr(GENERATION_KEY)
