import datetime

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from events.history import change_origin, command_origin
from events.models import Pledge, Source
from events.services import StaleVersion, pledge_status_change


class Command(BaseCommand):
    help = "Move a pledge to a new status, as of a date, on the evidence of an excerpt copied from a source."

    def add_arguments(self, parser):
        parser.add_argument("pledge", help="Slug of the pledge.")
        parser.add_argument("status", choices=Pledge.Status.values, help="The new status.")
        parser.add_argument("--date", required=True, type=datetime.date.fromisoformat, help="YYYY-MM-DD.")
        parser.add_argument("--source", required=True, help="Slug of the source reporting the change.")
        parser.add_argument("--excerpt", required=True, help="Words copied exactly from the source's text.")
        parser.add_argument("--note", default="", help="Why the status changed.")
        parser.add_argument("--delivered", type=int, default=None, help="Quantity delivered so far, if reported.")

    def handle(self, *args, **options):
        if isinstance(options["date"], str):  # call_command() passes keyword values through unparsed
            options["date"] = datetime.date.fromisoformat(options["date"])
        try:
            pledge = Pledge.objects.get(slug=options["pledge"])
            source = Source.objects.get(slug=options["source"])
        except (Pledge.DoesNotExist, Source.DoesNotExist) as error:
            raise CommandError(str(error)) from error
        try:
            with change_origin(command_origin("pledge_status")):
                pledge_status_change(
                    pledge=pledge,
                    status=options["status"],
                    date=options["date"],
                    source=source,
                    excerpt=options["excerpt"],
                    note=options["note"],
                    quantity_delivered=options["delivered"],
                    expected_version=pledge.version,
                )
        except (ValidationError, StaleVersion) as error:
            messages = error.messages if isinstance(error, ValidationError) else [str(error)]
            raise CommandError("Nothing changed: " + " ".join(messages)) from error
        self.stdout.write(f"{pledge.slug}: {options['status']} as of {options['date']:%Y-%m-%d}")
