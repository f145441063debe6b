"""Tombstones for deleted records.

A signal rather than a service: a record can disappear through the admin, the API, a shell or a cascade, and
post_delete is the one hook all of them pass through.
"""

from django.db.models.signals import post_delete
from django.dispatch import receiver

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
