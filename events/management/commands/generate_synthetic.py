"""``manage.py generate_synthetic``: the command around ``events.synthetic`` (the generator, its vocabulary and
its bulk writers), which says what is generated and how.
"""

from __future__ import annotations

import json
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.core.management.color import no_style
from django.db import connection, transaction
from django.db.models import Q
from tqdm import tqdm

from events.generation import data_changed
from events.models import (
    Actor,
    Event,
    Source,
)
from events.search import documents_fill

# The command --------------------------------------------------------------------------------------------------
from events.synthetic.generator import Generator
from events.synthetic.tables import (
    COLUMNS,
    LOADED_TABLES,
    CopyWriter,
    InsertWriter,
    check_columns,
    clear_synthetic,
    pg_defer_indexes,
)
from events.synthetic.vocabulary import DEFAULT_ACTORS, EVENTS_PER_SOURCE, PREFIX


class Command(BaseCommand):
    help = (
        "Generate deterministic synthetic data for load tests: about 10k actors (with aliases and parents up to "
        "three levels), N events with about 3 participants each, 2 statements and 1 pledge per event, sources "
        "whose texts every citation's excerpt is cut from (so each is verbatim), with search_text, date_end, "
        "version=1, fixed timestamps and sha256 filled as the services would. The same --seed gives the same rows. "
        "Written with PostgreSQL COPY (bulk INSERT elsewhere): no model save(), no signals, and no "
        "django-simple-history rows for synthetic records. On PostgreSQL the loaded tables' secondary indexes and "
        "foreign keys are dropped and rebuilt inside the same transaction (the tables are locked meanwhile). "
        "Refuses to run on a database holding the real article fixtures (a source with a seed_file, or the slugs "
        "in seeds/sources.json) unless --force. Synthetic slugs start with 'syn-'; --clear deletes those rows."
    )

    def add_arguments(self, parser):
        parser.add_argument("--events", type=int, help="Number of events to generate (required unless --clear).")
        parser.add_argument("--seed", type=int, default=1, help="Random seed; the same seed gives the same rows.")
        parser.add_argument("--actors", type=int, default=DEFAULT_ACTORS, help="Number of actors (default 10000).")
        parser.add_argument(
            "--sources", type=int, help=f"Number of sources (default: one per {EVENTS_PER_SOURCE} events, 20 at least)."
        )
        parser.add_argument("--batch-size", type=int, default=10_000, help="Events written per COPY batch.")
        parser.add_argument(
            "--force", action="store_true", help="Run even on a database that holds the real article fixtures."
        )
        parser.add_argument(
            "--clear", action="store_true", help="First delete every synthetic row (slugs starting with 'syn-')."
        )
        parser.add_argument("--no-progress", action="store_true", help="Do not show a progress bar.")
        parser.add_argument(
            "--keep-indexes",
            action="store_true",
            help="PostgreSQL: keep indexes and foreign keys in place during the load (slower for large loads).",
        )
        parser.add_argument("--no-vacuum", action="store_true", help="PostgreSQL: skip VACUUM ANALYZE after loading.")

    def handle(self, *args, **options):
        events = options["events"]
        if events is None and not options["clear"]:
            raise CommandError("Give --events N (or --clear alone to delete the synthetic rows).")
        if events is not None and events < 1:
            raise CommandError("--events must be at least 1.")
        if options["actors"] < 20:
            raise CommandError("--actors must be at least 20.")
        if events is not None:
            self.refuse_real_data(force=options["force"])
        check_columns()
        started = time.monotonic()
        if options["clear"]:
            deleted = clear_synthetic()
            data_changed()  # plain SQL sends no signal: cached counts must not outlive the rows
            self.stdout.write(f"Deleted {deleted} synthetic rows in {time.monotonic() - started:.1f}s.")
            if events is None:
                return
        if (
            Event.objects.filter(slug__startswith=PREFIX).exists()
            or Actor.objects.filter(slug__startswith=PREFIX).exists()
        ):
            raise CommandError("This database already holds synthetic rows; add --clear to replace them.")
        sources = options["sources"] or max(20, events // EVENTS_PER_SOURCE)
        postgres = connection.vendor == "postgresql"
        started = time.monotonic()
        with transaction.atomic(), connection.cursor() as cursor:
            rebuild: list[str] = []
            if postgres:
                cursor.execute("SET LOCAL synchronous_commit = off")
                cursor.execute("SET LOCAL maintenance_work_mem = '1GB'")
                if not options["keep_indexes"]:
                    rebuild = pg_defer_indexes(cursor)
            writer = CopyWriter(cursor) if postgres else InsertWriter(cursor)
            generator = Generator(
                seed=options["seed"],
                events=events,
                actors=options["actors"],
                sources=sources,
                writer=writer,
                batch=options["batch_size"],
                progress=not options["no_progress"],
            )
            generator.make_actors()
            generator.make_sources()
            generator.write_sources()
            generator.write_actors()
            generator.write_records()
            # PostgreSQL generates each search vector from the copied search_text; SQLite's FTS5 tables are filled
            # from it here, in the same transaction.
            documents_fill(slug_prefix=PREFIX)
            loaded = time.monotonic()
            if rebuild:
                steps = tqdm(rebuild, desc="indexes", unit="index", disable=options["no_progress"])
                for statement in steps:
                    cursor.execute(statement)
            for statement in connection.ops.sequence_reset_sql(no_style(), list(COLUMNS)):
                cursor.execute(statement)
            indexed = time.monotonic()
        if postgres and not options["no_vacuum"]:
            # Fresh statistics and visibility map for the planner; VACUUM cannot run inside a transaction (e.g. a
            # test's), where a plain ANALYZE does.
            command = "ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)"
            with connection.cursor() as cursor:
                for table in LOADED_TABLES:
                    cursor.execute(f'{command} "{table}"')
        data_changed()  # COPY sends no signal: cached counts (in the shared cache) must not outlive the load
        finished = time.monotonic()
        summary = ", ".join(f"{count} {name}" for name, count in generator.counts.items())
        self.stdout.write(f"Generated {summary}.")
        self.stdout.write(
            f"Timings: rows {loaded - started:.1f}s, indexes and constraints {indexed - loaded:.1f}s, "
            f"vacuum/analyze {finished - indexed:.1f}s, total {finished - started:.1f}s."
        )

    def refuse_real_data(self, *, force: bool) -> None:
        real_slugs = _real_source_slugs()
        real = Source.objects.filter(Q(seed_file__isnull=False) | Q(slug__in=real_slugs))
        if real.exists() and not force:
            raise CommandError(
                "Refusing to generate synthetic data: this database holds the real article fixtures "
                f"(e.g. source “{real.first().slug}”). Use a separate database, or add --force to mix them."
            )


def _real_source_slugs() -> list[str]:
    path = settings.TRACKER_SEEDS_DIR / "sources.json"
    try:
        return [item["slug"] for item in json.loads(path.read_text(encoding="utf-8"))]
    except (OSError, ValueError, KeyError):
        return []
