"""Tombstones for deleted records, their search documents, and the data generation that cached counts are keyed by.

Signals rather than services: a record can change or disappear through the admin, the API, a shell or a cascade,
and post_save, post_delete and m2m_changed are the hooks all of them pass through.
"""

from django.conf import settings
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver

from . import search
from .generation import data_changed
from .models import Actor, DeletedRecord, Event, Pledge, Source, Statement

KINDS = {
    Source: DeletedRecord.Kind.SOURCE,
    Actor: DeletedRecord.Kind.ACTOR,
    Event: DeletedRecord.Kind.EVENT,
    Pledge: DeletedRecord.Kind.PLEDGE,
    Statement: DeletedRecord.Kind.STATEMENT,
}


@receiver(post_delete)
def record_deletion(sender, instance, **kwargs) -> None:
    kind = KINDS.get(sender)
    if kind is not None:
        DeletedRecord.objects.create(kind=kind, slug=instance.slug)
        # PostgreSQL's search vector goes with the row; SQLite's FTS5 row is apart and must go too, however the
        # record went (services, admin, a cascade).
        search.documents_unindex(sender, [instance.pk], using=kwargs.get("using") or "default")


@receiver(post_save)
@receiver(post_delete)
@receiver(m2m_changed)
def tracker_data_changed(sender, **kwargs) -> None:
    # History rows follow a change that has already advanced the generation.
    meta = sender._meta
    if meta.app_label == "events" and not meta.model_name.startswith("historical"):
        data_changed()
    elif meta.label == settings.AUTH_USER_MODEL and _shown_fields_may_change(kwargs.get("update_fields")):
        # Histories name who made each change (a full name to everyone): a renamed or removed account changes
        # answers that cached ones must not outlive. A login saves last_login alone, which no answer shows.
        data_changed()


def _shown_fields_may_change(update_fields) -> bool:
    return update_fields is None or not set(update_fields) <= {"last_login", "password"}


EDITORS_GROUP = "editors"


def ensure_editors_group(sender, **kwargs) -> None:
    """After every migrate: an "editors" group that may add, change and delete every tracker record.

    Accounts outside it (and without those permissions) can read but not write, through the API and the admin.
    """
    from django.contrib.auth.models import Group, Permission

    group, _ = Group.objects.get_or_create(name=EDITORS_GROUP)
    permissions = Permission.objects.filter(content_type__app_label="events").exclude(
        content_type__model__startswith="historical"
    )
    group.permissions.add(*permissions)
