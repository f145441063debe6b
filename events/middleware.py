from .history import change_origin


class ChangeOriginMiddleware:
    """Marks changes made during a request as coming from the admin or the API."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path.startswith("/admin/"):
            origin = "admin"
        elif request.path.startswith("/api/"):
            origin = f"api {request.method}"
        else:
            return self.get_response(request)
        with change_origin(origin):
            return self.get_response(request)
