from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView

from events.admin import AutocompleteView
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
]

handler400 = "events.api.exceptions.bad_request"
handler404 = "events.api.exceptions.not_found"
handler500 = "events.api.exceptions.server_error"
