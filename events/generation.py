"""The data generation: a number in the shared cache that every write advances.

Whatever is cached from the data (list counts, actor look-ups, whole API responses and their ETags) is keyed by it,
so that no answer computed before a write is served after it. Services and signals advance it; the API only reads
it.

The first generation is the clock in microseconds, not 1: a cache that lost the key (evicted, restarted, flushed)
starts again above every number it handed out before, so that an ETag a client kept from before never matches an
answer computed after.
"""

import time

from django.core.cache import cache
from django.db import transaction

GENERATION_KEY = "tracker:data-generation"


def seeded() -> int:
    """A first generation above any an earlier cache can have reached: each write adds 2, far slower than 1 a
    microsecond."""
    return time.time_ns() // 1000


def current_generation() -> int:
    """The data generation now, seeding it from the clock when the cache has none."""
    generation = cache.get(GENERATION_KEY)
    if generation is None:
        # Of two processes seeding at once, the first add wins and both read its number.
        cache.add(GENERATION_KEY, seeded(), timeout=None)
        generation = cache.get(GENERATION_KEY)
    return generation


def data_changed() -> None:
    """Advance the data generation, so that nothing cached from before a write is used after it.

    Called at once (so that later reads in the same transaction, and in tests, see it) and again on commit (so that
    an answer computed by another request between the two cannot survive the commit).
    """
    _advance_generation()
    transaction.on_commit(_advance_generation)


def _advance_generation() -> None:
    try:
        cache.incr(GENERATION_KEY)
    except ValueError:
        cache.add(GENERATION_KEY, seeded(), timeout=None)
