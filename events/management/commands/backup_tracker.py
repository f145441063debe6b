from pathlib import Path

from django.core.management import call_command
from django.core.management.base import BaseCommand

# Everything a restore needs: the records, their history and tombstones (all in the events app), the accounts
# that history names, and their API tokens (knox's digests and expiries: the tokens themselves are nowhere stored).
# Groups and permissions are recreated by migrate.
MODELS = ("events", "auth.user", "knox.authtoken")
# Indexes computed from the records, rebuilt by restore_tracker rather than carried: the near-duplicate shingles.
DERIVED = ["events.SourceShingle"]


class Command(BaseCommand):
    help = (
        "Write the whole tracker, history included, to one XML file (XML keeps timestamps to the microsecond). "
        "Restore it into a freshly migrated, empty database with restore_tracker."
    )

    def add_arguments(self, parser):
        parser.add_argument("output", type=Path, help="Where to write the dump.")

    def handle(self, *args, output: Path, **options):
        # Ids are kept as they are: history rows point at records by id, including records deleted since, which
        # natural keys could not name.
        call_command("dumpdata", *MODELS, format="xml", output=str(output), verbosity=0, exclude=DERIVED)
        self.stdout.write(f"Wrote {output} ({output.stat().st_size} bytes).")
