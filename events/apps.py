from django.apps import AppConfig
from django.db.models.signals import post_migrate


class EventsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "events"
    verbose_name = "Tracker"

    def ready(self) -> None:
        from . import evidence, history, signals  # noqa: F401 - connects tombstones and change origins

        post_migrate.connect(signals.ensure_editors_group, sender=self)
        post_migrate.connect(evidence.install_after_migrate, sender=self)
