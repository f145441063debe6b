"""Deterministic synthetic data at realistic proportions, for load tests: the ``generate_synthetic`` command.

Everything is drawn from one ``random.Random(seed)`` in a fixed order, with fixed base timestamps, so two runs with
the same arguments on empty databases write identical rows. Rows are written in bulk: PostgreSQL COPY through
psycopg, or ``executemany`` on other databases (SQLite in the tests). Model ``save()``, signals and
django-simple-history are bypassed, so no history rows are written for synthetic records.

Every synthetic record's slug starts with ``syn-``; that is how ``--clear`` finds them again.
"""
