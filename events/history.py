"""Where a change came from (the API, the admin or a management command), written on every history row.

django-simple-history records who and when; this adds through which door, as the row's change reason.
"""

import contextlib
import contextvars
import getpass
from collections.abc import Iterator

from django.dispatch import receiver
from simple_history.signals import pre_create_historical_record

_origin: contextvars.ContextVar[str | None] = contextvars.ContextVar("tracker_change_origin", default=None)


@contextlib.contextmanager
def change_origin(origin: str) -> Iterator[None]:
    token = _origin.set(origin)
    try:
        yield
    finally:
        _origin.reset(token)


def command_origin(name: str) -> str:
    return f"command {name} (by {getpass.getuser()})"


@receiver(pre_create_historical_record)
def stamp_origin(sender, instance, history_instance, **kwargs) -> None:
    origin = _origin.get()
    if origin and not history_instance.history_change_reason:
        history_instance.history_change_reason = origin
