from rest_framework.exceptions import ValidationError
from rest_framework.negotiation import DefaultContentNegotiation


class TrackerContentNegotiation(DefaultContentNegotiation):
    """An unknown ?format= is a 400 naming the parameter (DRF's default is a bare 404)."""

    def filter_renderers(self, renderers, format):
        matching = [renderer for renderer in renderers if renderer.format == format]
        if not matching:
            known = ", ".join(sorted({r.format for r in renderers if r.format != "api"}))
            raise ValidationError({"format": [f"Unknown format. Known formats: {known}."]})
        return matching

    def select_renderer(self, request, renderers, format_suffix=None):
        # DRF treats `?format=` (empty) as no format at all; a parameter that is sent is validated like any other.
        value = request.query_params.get(self.settings.URL_FORMAT_OVERRIDE)
        if value is not None and not value.strip():
            raise ValidationError({"format": ["Give a format, or leave the parameter out."]})
        return super().select_renderer(request, renderers, format_suffix)
