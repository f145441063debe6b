from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from events.history import change_origin, command_origin
from events.loading import story_load


class Command(BaseCommand):
    help = (
        "Load the article texts from seeds/ and the records derived from them from fixtures/, all or nothing. "
        "Records are matched by slug, so running it twice changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("--seeds", type=Path, default=settings.TRACKER_SEEDS_DIR, help="Folder of article texts.")
        parser.add_argument("--fixtures", type=Path, default=settings.TRACKER_FIXTURES_DIR, help="Folder of fixtures.")
        parser.add_argument(
            "--overwrite",
            action="store_true",
            help="Bring existing records back to what the fixtures say (by default they are kept as edited).",
        )

    def handle(self, *args, seeds: Path, fixtures: Path, overwrite: bool, **options):
        try:
            with change_origin(command_origin("load_story")):
                report = story_load(seeds_dir=seeds, fixtures_dir=fixtures, overwrite=overwrite)
        except (ValidationError, FileNotFoundError) as error:
            messages = error.messages if isinstance(error, ValidationError) else [str(error)]
            raise CommandError("Nothing was loaded: " + " ".join(messages)) from error
        for name, outcomes in report.items():
            summary = ", ".join(f"{count} {outcome}" for outcome, count in sorted(outcomes.items())) or "none"
            self.stdout.write(f"{name}: {summary}")
