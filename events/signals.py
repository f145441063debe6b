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
