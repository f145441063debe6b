from pathlib import Path

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.test.utils import override_settings

from events.models import Actor, Source
from events.search import documents_fill
from events.services import source_shingles_set


class Command(BaseCommand):
    help = "Load a backup_tracker dump into a freshly migrated, empty database, all or nothing."

    def add_arguments(self, parser):
        parser.add_argument("dump", type=Path, help="A file written by backup_tracker.")

    def handle(self, *args, dump: Path, **options):
        if Source.objects.exists() or Actor.objects.exists():
            raise CommandError("The database already holds tracker records; restore into an empty one.")
        # The dump carries the history itself: recording new history rows while loading would duplicate it.
        with override_settings(SIMPLE_HISTORY_ENABLED=False), transaction.atomic():
            call_command("loaddata", str(dump), verbosity=0)
        # The near-duplicate index is derived from the texts, so it is rebuilt rather than carried (loaded with the
        # sources in one transaction, it failed SQLite's deferred foreign-key check at commit).
        with transaction.atomic():
            for source in Source.objects.only("id", "text").iterator(chunk_size=200):
                source_shingles_set(source=source)
            # So is SQLite's full-text index, from the restored search documents (loaddata sends no service call).
            documents_fill()
        self.stdout.write(f"Restored {dump}.")
