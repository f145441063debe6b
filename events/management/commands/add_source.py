import datetime
import mimetypes
import sys
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from events.dates import DatePrecision
from events.history import change_origin, command_origin
from events.intake import UnreadableText, upload_text
from events.models import Source
from events.services import AlreadyExists, DuplicateRecord, NearDuplicate, input_for, source_create


class Command(BaseCommand):
    help = (
        "Add an article from a UTF-8 plain text file (or - for standard input) with its metadata, through the same "
        "service as the API and the admin: the same text or URL as an existing source is refused, and a "
        "near-duplicate text needs --force."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="The article as UTF-8 plain text, or - to read standard input.")
        parser.add_argument("--title", required=True, help="Headline as printed.")
        parser.add_argument("--url", default="", help="Web address of the article.")
        parser.add_argument("--date", type=datetime.date.fromisoformat, default=None, help="YYYY-MM-DD.")
        parser.add_argument(
            "--precision", choices=DatePrecision.values, default=None, help="How precisely the date is known."
        )
        parser.add_argument("--date-end", type=datetime.date.fromisoformat, default=None, help="For approximate dates.")
        parser.add_argument("--date-note", default="", help="How the date was worked out.")
        parser.add_argument("--publisher", default="", help="Outlet that published it.")
        parser.add_argument("--byline", default="", help="Author or desk as credited.")
        parser.add_argument("--slug", default="", help="Left out: made from the title.")
        parser.add_argument("--force", action="store_true", help="Save a near-duplicate text as a source of its own.")

    def handle(self, *args, **options):
        for name in ("date", "date_end"):  # call_command() passes keyword values through unparsed
            if isinstance(options[name], str):
                options[name] = datetime.date.fromisoformat(options[name])
        name = options["file"]
        try:
            data = sys.stdin.buffer.read() if name == "-" else Path(name).read_bytes()
        except OSError as error:
            raise CommandError(f"Cannot read {name}: {error.strerror}.") from error
        try:
            # The shell declares no media type: a name that says another type (.pdf, .html) is refused, and
            # otherwise the bytes decide (UTF-8 plain text only).
            declared = (mimetypes.guess_type(name)[0] if name != "-" else None) or "text/plain"
            text = upload_text(data, content_type=declared, name="standard input" if name == "-" else name)
            source_input = input_for(
                Source,
                slug=options["slug"],
                title=options["title"],
                text=text,
                url=options["url"],
                publisher=options["publisher"],
                byline=options["byline"],
                date=options["date"],
                date_precision=options["precision"],
                date_end=options["date_end"],
                date_note=options["date_note"],
            )
            with change_origin(command_origin("add_source")):
                source = source_create(data=source_input, force=options["force"])
        except NearDuplicate as error:
            raise CommandError(f"Nothing added: {error} Add --force to keep both.") from error
        except (UnreadableText, DuplicateRecord, AlreadyExists) as error:
            raise CommandError(f"Nothing added: {error}") from error
        except ValidationError as error:
            raise CommandError("Nothing added: " + " ".join(error.messages)) from error
        self.stdout.write(f"Added source {source.slug} (sha256 {source.sha256}).")
