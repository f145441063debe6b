"""One error format for the whole API: RFC 9457 problem details (``application/problem+json``).

Every error is ``{"type", "title", "status", "detail", "code", "errors"}``: ``type`` is ``about:blank`` (the
status and ``code`` say what happened), ``title`` the status's name, ``detail`` a human sentence, ``code`` a stable
machine-readable word, and ``errors`` maps each offending field or query parameter to a list of messages (empty
when none applies).
"""

import logging
from http import HTTPStatus

from django.core.exceptions import NON_FIELD_ERRORS, RequestDataTooBig
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError, IntegrityError, InterfaceError, OperationalError
from django.db.models import ProtectedError, RestrictedError
from django.http import Http404, JsonResponse
from django.views import defaults
from rest_framework import exceptions, status
from rest_framework.views import exception_handler as drf_exception_handler

from tracker import replicas

from .parsers import RequestTooLarge

logger = logging.getLogger(__name__)


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The request conflicts with the current state of the data."
    default_code = "conflict"


class PreconditionRequired(exceptions.APIException):
    status_code = 428
    default_detail = "This write needs an If-Match header with the record's current ETag (from a GET)."
    default_code = "precondition_required"


class PreconditionFailed(exceptions.APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = "The record has changed since you read it; fetch it again and reapply your change."
    default_code = "precondition_failed"


class TooLongToRead(exceptions.APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_detail = "The source's text is longer than proposals are read from."
    default_code = "too_long_to_read"


class DatabaseUnavailable(exceptions.APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "The database is unavailable; try again shortly."
    default_code = "database_unavailable"


class Duplicate(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "duplicate"


class UnsupportedText(exceptions.UnsupportedMediaType):
    def __init__(self, detail: str):
        exceptions.APIException.__init__(self, detail, "unsupported_media_type")


def near_duplicate_problem(exc) -> dict:
    """A 409 that names the records the new one resembles, how much and from what threshold, and how to insist."""
    body = problem(
        409,
        "near_duplicate",
        str(exc),
        {
            "existing": [f"{type(c.record).__name__.lower()}:{c.record.slug}" for c in exc.candidates],
            "force": ["If it is a different record, send the same request with force set to true."],
        },
    )
    body["candidates"] = [
        {
            "type": type(c.record).__name__.lower(),
            "slug": c.record.slug,
            "label": str(c.record),
            "similarity": c.similarity,
            "threshold": c.threshold,
            "reason": c.reason,
        }
        for c in exc.candidates
    ]
    return body


def exception_handler(exc, context):
    from ..evidence import as_validation_error
    from ..intake import UnreadableText
    from ..services import AlreadyExists, DependentRecords, DuplicateRecord, NearDuplicate, StaleVersion

    if isinstance(exc, UnreadableText):
        field, exc = exc.field, UnsupportedText(str(exc))
        response = drf_exception_handler(exc, context)
        response.data = problem(415, "unsupported_media_type", str(exc.detail), {field: [str(exc.detail)]})
        response.content_type = PROBLEM_TYPE
        return response
    if isinstance(exc, NearDuplicate):
        response = drf_exception_handler(Duplicate(str(exc)), context)
        response.data = near_duplicate_problem(exc)
        response.content_type = PROBLEM_TYPE
        return response
    if isinstance(exc, StaleVersion):
        exc = PreconditionFailed(str(exc))
    elif isinstance(exc, AlreadyExists | DependentRecords):
        exc = Conflict(str(exc))
    elif isinstance(exc, DuplicateRecord):
        name = type(exc.existing).__name__.lower()
        response = drf_exception_handler(Duplicate(str(exc)), context)
        response.data = problem(409, "duplicate", str(exc), {"existing": [f"{name}:{exc.existing.slug}"]})
        response.content_type = PROBLEM_TYPE
        return response
    elif isinstance(exc, RequestDataTooBig):
        exc = RequestTooLarge()
    elif isinstance(exc, DataError):
        # A value the database cannot hold or compare (validation should have caught it first): a client error.
        logger.warning("Database refused a value: %s", exc)
        exc = exceptions.ValidationError({"non_field_errors": ["A value could not be stored or compared."]})
    elif isinstance(exc, OperationalError | InterfaceError):
        # The server is down or the connection broke. Django discards the broken connection at the end of the
        # request (CONN_HEALTH_CHECKS too), so service resumes by itself once the database is back. A read replica
        # that failed is marked down, and tracker.replicas.ReplicaMiddleware answers the request from the primary.
        if not replicas.fail_over():
            logger.warning("Database unavailable: %s", exc)
        exc = DatabaseUnavailable()
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound(*exc.args)
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(*exc.args)
    elif isinstance(exc, DjangoValidationError):
        messages = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        # Django's "__all__" is DRF's non_field_errors: one key for errors that concern no single field.
        exc = exceptions.ValidationError(
            {("non_field_errors" if key == NON_FIELD_ERRORS else key): value for key, value in messages.items()}
        )
    elif isinstance(exc, ProtectedError | RestrictedError):
        dependants = exc.protected_objects if isinstance(exc, ProtectedError) else exc.restricted_objects
        blockers = sorted({f"{obj._meta.verbose_name} “{obj}”" for obj in dependants})
        exc = Conflict(f"Refused: other records depend on this one ({'; '.join(blockers[:20])}).")
    elif (refused := as_validation_error(exc)) is not None:
        # The database's evidence triggers refused an excerpt or a text: the client's data, so a 400 naming it.
        exc = exceptions.ValidationError(refused.message_dict)
    elif isinstance(exc, IntegrityError):
        exc = Conflict("The change conflicts with an existing record (a uniqueness or integrity rule).")
    if isinstance(exc, exceptions.ValidationError) and _only(exc.get_codes(), "unique"):
        # A slug (or other unique value) already taken is a conflict with what is stored, as it is when a
        # concurrent write takes it between the check and the insert (AlreadyExists): 409 either way.
        response = drf_exception_handler(exc, context)
        response.status_code = status.HTTP_409_CONFLICT
        response.data = problem(409, "duplicate", "A record with this value exists already.", field_errors(exc.detail))
        response.content_type = PROBLEM_TYPE
        return response
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    response.data = error_body(exc, response.status_code)
    response.content_type = PROBLEM_TYPE
    return response


PROBLEM_TYPE = "application/problem+json"


def _only(codes, code: str) -> bool:
    """Whether every error code in DRF's nested codes is ``code``."""
    if isinstance(codes, dict):
        return bool(codes) and all(_only(value, code) for value in codes.values())
    if isinstance(codes, list):
        return bool(codes) and all(_only(value, code) for value in codes)
    return codes == code


def problem(status_code: int, code: str, detail: str, errors: dict[str, list[str]] | None = None) -> dict:
    return {
        "type": "about:blank",
        "title": HTTPStatus(status_code).phrase,
        "status": status_code,
        "detail": detail,
        "code": code,
        "errors": errors or {},
    }


def error_body(exc: exceptions.APIException, status_code: int) -> dict:
    if isinstance(exc, exceptions.ValidationError):
        return problem(status_code, "invalid", "The request has invalid values; see errors.", field_errors(exc.detail))
    codes = exc.get_codes()
    return problem(status_code, codes if isinstance(codes, str) else "error", str(exc.detail))


def field_errors(detail, prefix: str = "") -> dict[str, list[str]]:
    """Flatten nested validation errors to dotted paths: {"citations.0.excerpt": ["…"]}."""
    errors: dict[str, list[str]] = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            errors.update(field_errors(value, f"{prefix}.{key}" if prefix else str(key)))
    elif isinstance(detail, list) and any(isinstance(item, dict | list) for item in detail):
        for index, item in enumerate(detail):
            if item:
                errors.update(field_errors(item, f"{prefix}.{index}" if prefix else str(index)))
    else:
        items = detail if isinstance(detail, list) else [detail]
        errors.setdefault(prefix or "non_field_errors", []).extend(str(item) for item in items)
    return errors


def not_found(request, exception=None):
    """404 in the API's error format under /api/, Django's page elsewhere."""
    if not request.path.startswith("/api/"):
        return defaults.page_not_found(request, exception)
    return JsonResponse(
        problem(404, "not_found", f"No resource at {request.path}."), status=404, content_type=PROBLEM_TYPE
    )


def bad_request(request, exception=None):
    """400 raised outside DRF (e.g. a malformed request Django itself refuses), in the API's error format."""
    if not request.path.startswith("/api/"):
        return defaults.bad_request(request, exception)
    return JsonResponse(
        problem(400, "bad_request", "The request could not be understood."), status=400, content_type=PROBLEM_TYPE
    )


def server_error(request):
    """500 without a stack trace, in the API's error format."""
    return JsonResponse(problem(500, "server_error", "Internal server error."), status=500, content_type=PROBLEM_TYPE)
