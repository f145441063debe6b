"""One error format for the whole API.

Every error is a JSON object ``{"status", "code", "detail", "errors"}``: ``detail`` is a human sentence and
``errors`` maps each offending field or query parameter to a list of messages (empty when none applies).
"""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.db.models import ProtectedError, RestrictedError
from django.http import Http404, JsonResponse
from django.views import defaults
from rest_framework import exceptions, status
from rest_framework.views import exception_handler as drf_exception_handler


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The request conflicts with the current state of the data."
    default_code = "conflict"


def exception_handler(exc, context):
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(*exc.args)
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(*exc.args)
    elif isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
    elif isinstance(exc, ProtectedError | RestrictedError):
        dependants = exc.protected_objects if isinstance(exc, ProtectedError) else exc.restricted_objects
        blockers = sorted({f"{obj._meta.verbose_name} “{obj}”" for obj in dependants})
        exc = Conflict(f"Refused: other records depend on this one ({'; '.join(blockers[:20])}).")
    elif isinstance(exc, IntegrityError):
        exc = Conflict("The change conflicts with an existing record (a uniqueness or integrity rule).")
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    response.data = error_body(exc, response.status_code)
    return response


def error_body(exc: exceptions.APIException, status_code: int) -> dict:
    if isinstance(exc, exceptions.ValidationError):
        detail = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        return {
            "status": status_code,
            "code": "invalid",
            "detail": "The request has invalid values; see errors.",
            "errors": {field: _flatten(messages) for field, messages in detail.items()},
        }
    codes = exc.get_codes()
    return {
        "status": status_code,
        "code": codes if isinstance(codes, str) else "error",
        "detail": str(exc.detail),
        "errors": {},
    }


def _flatten(messages) -> list[str]:
    if isinstance(messages, dict):
        return [f"{key}: {msg}" for key, value in messages.items() for msg in _flatten(value)]
    if isinstance(messages, list):
        return [msg for item in messages for msg in _flatten(item)]
    return [str(messages)]


def not_found(request, exception=None):
    """404 in the API's error format under /api/, Django's page elsewhere."""
    if not request.path.startswith("/api/"):
        return defaults.page_not_found(request, exception)
    return JsonResponse(
        {"status": 404, "code": "not_found", "detail": f"No resource at {request.path}.", "errors": {}}, status=404
    )


def server_error(request):
    """500 without a stack trace, in the API's error format."""
    return JsonResponse(
        {"status": 500, "code": "server_error", "detail": "Internal server error.", "errors": {}}, status=500
    )
