from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.utils import OperationalError


class Command(BaseCommand):
    help = (
        "Create the PostgreSQL database that DATABASE_URL names if it does not exist yet, so that `make run` works "
        "on a fresh server; where the account may not create databases, say in one line what to run. SQLite "
        "creates its file itself: nothing to do."
    )

    def add_arguments(self, parser):
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS, help="Which database setting (default: default).")

    def handle(self, *args, database, **options):
        connection = connections[database]
        if connection.vendor != "postgresql":
            return
        try:
            connection.ensure_connection()
            return
        except OperationalError as error:
            if "does not exist" not in str(error):
                raise CommandError(f"Cannot connect to PostgreSQL: {str(error).strip()}") from None
        finally:
            connection.close()
        settings = connection.settings_dict
        name = settings["NAME"]
        # The maintenance database ("postgres"), as Django's own test runner reaches it to create test databases.
        try:
            with connection._nodb_cursor() as cursor:
                cursor.execute(f"CREATE DATABASE {connection.ops.quote_name(name)}")
        except Exception as error:  # noqa: BLE001 - whatever refused, the remedy is the one line below
            where = " ".join(
                f"{flag} {value}"
                for flag, value in (("-h", settings["HOST"]), ("-p", settings["PORT"]), ("-U", settings["USER"]))
                if value
            )
            raise CommandError(
                f"The database “{name}” does not exist and could not be created ({str(error).strip()}). "
                f"Create it with: createdb {where} {name}".replace("  ", " ")
            ) from None
        self.stdout.write(f"Created the PostgreSQL database “{name}”.")
