"""WSGI entry point for gunicorn: `gunicorn tracker.wsgi`.

The application is wrapped so that the garbage collector stops walking the objects every worker keeps for its
whole life. A full (generation 2) collection visits every tracked object: Django, DRF and their modules, the URL
resolvers, compiled serializers and filter forms, some hundred thousand objects. Python runs one whenever enough
objects have survived younger collections, and the request it interrupts waits for the whole walk: that was the
tail of every list. ``gc.freeze()`` moves the objects that exist at a point into a generation the collector
never visits. It runs twice: once the application is loaded, and again once the worker has served its first
requests, by which time the structures Django and DRF build on first use (URL patterns, serializer plans, the
database connection) exist. Later garbage is collected as usual.
"""

import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tracker.settings.production")

# Enough for the endpoints a worker serves to have each been seen once in most deployments, and few enough that the
# second freeze lands in a load test's warm-up rather than in its measured run.
WARM_UP_REQUESTS = 100


class FreezeAfterWarmUp:
    """A WSGI application that freezes the collector's view of the heap after its first ``after`` requests."""

    def __init__(self, application, *, after: int):
        self.application = application
        self.after = after
        self.served = 0

    def __call__(self, environ, start_response):
        response = self.application(environ, start_response)
        if self.served < self.after:
            self.served += 1
            if self.served == self.after:
                freeze()
        return response


def freeze() -> None:
    gc.collect()
    gc.freeze()


application = FreezeAfterWarmUp(get_wsgi_application(), after=WARM_UP_REQUESTS)
freeze()
