from django.contrib import admin
from django.urls import include, path, re_path
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView

from events.admin import AutocompleteView
from events.api.exceptions import not_found
from events.codebook import codebook

# The split view serves Swagger UI's start-up script as a file of its own (?script), not inline, so that the
# Content-Security-Policy needs no inline script for it.
urlpatterns = [
    path("api/v1/", include("events.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="swagger-ui"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="schema"), name="redoc"),
    # Before the admin's own: the same autocomplete, with options labelled by kind and parent, or date.
    path("admin/autocomplete/", admin.site.admin_view(AutocompleteView.as_view(admin_site=admin.site))),
    path("admin/", admin.site.urls),
    path("codebook/", codebook, name="codebook"),
    # /api/ itself, and any other path under it (a mistyped resource, another version, a path below a schema
    # page) is a 404 in the API's error format, in every settings module: with DEBUG on, Django's handler404 is not used and its
    # debug page would list every route. Paths with a trailing slash only, after every real route, so that
    # APPEND_SLASH still sends /api/v1/statements to /api/v1/statements/ (and /api/v1/pledge on to this 404).
    # It writes nothing, so no CSRF check: a PUT to a path with no route is a 404, not Django's HTML 403.
    re_path(r"^api/(.*/)?$", csrf_exempt(not_found), name="api-not-found"),
]

handler400 = "events.api.exceptions.bad_request"
handler404 = "events.api.exceptions.not_found"
handler500 = "events.api.exceptions.server_error"
