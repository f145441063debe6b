"""URLs for the benchmark: the whole API (tracker.urls) plus the bare baseline view in bench/baseline.py."""

from django.urls import include, path

from bench.baseline import events_page

urlpatterns = [
    path("bench/baseline/events/", events_page, name="bench-baseline-events"),
    path("", include("tracker.urls")),
]

handler404 = "events.api.exceptions.not_found"
handler500 = "events.api.exceptions.server_error"
