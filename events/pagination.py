from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination

MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 20


class TrackerPagination(PageNumberPagination):
    """Page-number pagination whose page size is chosen by the client, up to a documented maximum.

    An out-of-range or non-numeric page_size is a 400, not a silent clamp, so that a client never believes it got
    more rows per page than it did.
    """

    page_size = DEFAULT_PAGE_SIZE
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE
    page_query_description = "Page number, starting at 1."
    page_size_query_description = (
        f"Number of results per page, from 1 to {MAX_PAGE_SIZE} (default {DEFAULT_PAGE_SIZE})."
    )

    def get_page_size(self, request) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None or raw == "":
            return self.page_size
        try:
            size = int(raw)
        except ValueError:
            size = 0
        if not 1 <= size <= self.max_page_size:
            raise ValidationError(
                {self.page_size_query_param: [f"Must be a whole number from 1 to {self.max_page_size}."]}
            )
        return size

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"].update({"minimum": 1, "maximum": self.max_page_size, "default": self.page_size})
            elif parameter["name"] == self.page_query_param:
                parameter["schema"].update({"minimum": 1, "default": 1})
        return parameters

    def get_paginated_response_schema(self, schema: dict) -> dict:
        response = super().get_paginated_response_schema(schema)
        properties = response["properties"]
        properties["count"]["description"] = "Total number of results across all pages."
        properties["next"].update(
            description="URL of the next page, or null on the last page.",
            example="http://127.0.0.1:8000/api/v1/events/?page=3&page_size=20",
        )
        properties["previous"].update(
            description="URL of the previous page, or null on the first page.",
            example="http://127.0.0.1:8000/api/v1/events/?page=1&page_size=20",
        )
        properties["results"]["description"] = "The records on this page, in the list's documented order."
        return response
