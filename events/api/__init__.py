"""The HTTP API: viewsets, serializers, filters, pagination, renderers and the rest of the REST layer.

Nothing here owns a rule about the data: writes go through ``events.services``.
"""
