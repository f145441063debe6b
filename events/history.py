"""The record history: one row per version, written by the services, with where the change came from and the
record's relations (citations, aliases, participants, `about`) as they stood at that version.

django-simple-history records who and when. Its automatic rows follow each ``save()``; a service that saves a record
several times in one change (fields, then relations, then the version) would leave several rows, or a row whose
version lags behind. So the services save quietly and write the one row themselves (``write_version``), once the
change is complete. What a row adds to simple-history's: the door the change came through (``change_origin``) and
``history_relations``, the snapshot that ``/history/`` compares and a revert restores.
"""

import contextlib
import contextvars
import getpass
from collections.abc import Iterator
from typing import Any

from django.db import models
from django.dispatch import receiver
from simple_history.models import HistoricalRecords
from simple_history.signals import post_create_historical_record, pre_create_historical_record

_origin: contextvars.ContextVar[str | None] = contextvars.ContextVar("tracker_change_origin", default=None)
# Inside a bulk load: a holder for the sequence of the load's first change-feed row (None until it is written).
_load: contextvars.ContextVar[list[int | None] | None] = contextvars.ContextVar("tracker_bulk_load", default=None)


@contextlib.contextmanager
def change_origin(origin: str) -> Iterator[None]:
    token = _origin.set(origin)
    try:
        yield
    finally:
        _origin.reset(token)


@contextlib.contextmanager
def bulk_load() -> Iterator[None]:
    """Every history row written inside is part of one load, which the change feed shows as one entry."""
    token = _load.set([None])
    try:
        yield
    finally:
        _load.reset(token)


def command_origin(name: str) -> str:
    return f"command {name} (by {getpass.getuser()})"


class RelationsSnapshot(models.Model):
    """Added to each versioned record's historical model: its relations at that version."""

    history_relations = models.JSONField(
        null=True,
        blank=True,
        editable=False,
        help_text="The record's citations, aliases, participants or `about` at this version (null on rows written "
        "before snapshots existed).",
    )

    class Meta:
        abstract = True


class TrackedHistory(HistoricalRecords):
    """simple-history's HistoricalRecords, remembered per model so that the services can write a row on demand."""

    registry: dict[type[models.Model], "TrackedHistory"] = {}

    def finalize(self, sender, **kwargs) -> None:
        super().finalize(sender, **kwargs)
        if sender is self.cls:
            TrackedHistory.registry[sender] = self


def versioned_history(**kwargs: Any) -> TrackedHistory:
    """The history of a versioned record: every field but the search document (``excluded_fields``, for a record
    that has one), plus the relations snapshot."""
    kwargs.setdefault("excluded_fields", ["search_text"])
    return TrackedHistory(bases=[RelationsSnapshot], **kwargs)


@contextlib.contextmanager
def quietly(instance: models.Model) -> Iterator[None]:
    """Save ``instance`` without simple-history's automatic row: the service writes the version's row itself."""
    instance.skip_history_when_saving = True
    try:
        yield
    finally:
        del instance.skip_history_when_saving


def write_version(instance: models.Model, *, history_type: str, relations: dict[str, Any] | None) -> None:
    """Write the history row of the version ``instance`` now has ("+" created, "~" changed)."""
    instance._history_relations = relations
    try:
        TrackedHistory.registry[type(instance)].create_historical_record(instance, history_type)
    finally:
        del instance._history_relations


@receiver(pre_create_historical_record)
def stamp_row(sender, instance, history_instance, **kwargs) -> None:
    origin = _origin.get()
    if origin and not history_instance.history_change_reason:
        history_instance.history_change_reason = origin
    if history_instance.history_type == "-" and hasattr(history_instance, "version"):
        # A deletion is a version of its own: the row after the last change, never a second row for its number.
        history_instance.version += 1
    if hasattr(history_instance, "history_relations") and history_instance.history_type != "-":
        relations = getattr(instance, "_history_relations", None)
        if relations is None:
            # A row simple-history writes by itself (a save outside the services: a shell, a factory): the
            # relations as they stand are still what this version has.
            from .services import relations_snapshot

            relations = relations_snapshot(instance)
        history_instance.history_relations = relations


@receiver(post_create_historical_record)
def journal(sender, instance, history_instance, **kwargs) -> None:
    """Number a versioned record's history row in the change feed's one sequence (models.Change), in the same
    transaction, so that the feed has a row exactly when the history does."""
    # The sender is the historical model; the record's own model is what the registry knows.
    model = type(instance)
    if model not in TrackedHistory.registry:
        return
    from django.db import connections
    from django.db.models import DateTimeField, Func
    from django.utils import timezone

    from .models import Change

    using = kwargs.get("using") or "default"
    # The database's clock on PostgreSQL, which the feed's settle window compares with the start of the oldest
    # running transaction (events/changes.py); SQLite has one writer at a time, and the process's clock.
    postgres = connections[using].vendor == "postgresql"
    now = Func(function="clock_timestamp", output_field=DateTimeField()) if postgres else timezone.now()
    load = _load.get()
    row = Change.objects.using(using).create(
        resource=model._meta.model_name,
        history_id=history_instance.history_id,
        recorded_at=now,
        load_id=load[0] if load else None,
    )
    if load is not None and load[0] is None:
        load[0] = row.id
        Change.objects.using(using).filter(pk=row.id).update(load_id=row.id)
