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
