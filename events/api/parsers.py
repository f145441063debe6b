from django.conf import settings
from rest_framework import status
from rest_framework.exceptions import APIException, ParseError, ValidationError
from rest_framework.parsers import JSONParser, MultiPartParser


class RequestTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "request_too_large"

    def __init__(self):
        super().__init__(f"The request body is larger than {settings.DATA_UPLOAD_MAX_MEMORY_SIZE} bytes.")


def refuse_declared_length(parser_context, limit: int | None) -> None:
    """413 before reading a body whose declared length is over the limit."""
    request = (parser_context or {}).get("request")
    declared = request.META.get("CONTENT_LENGTH") if request is not None else None
    if limit is not None and declared and declared.isdigit() and int(declared) > limit:
        raise RequestTooLarge()


NESTED_TOO_DEEP = "JSON parse error - the document is nested too deeply."


class LimitedJSONParser(JSONParser):
    """JSON bodies up to DATA_UPLOAD_MAX_MEMORY_SIZE; anything larger is refused with 413 before it is parsed."""

    def parse(self, stream, media_type=None, parser_context=None):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        refuse_declared_length(parser_context, limit)
        try:
            return super().parse(_Capped(stream, limit) if limit is not None else stream, media_type, parser_context)
        except RecursionError:
            # Python's json module recurses once per level of nesting: a body of [[[[…]]]] a thousand deep
            # exhausts the stack. It is malformed input like any other, so a 400.
            raise ParseError(NESTED_TOO_DEEP) from None


class _Capped:
    """A stream that refuses to yield more than ``limit`` bytes (for bodies without a Content-Length)."""

    def __init__(self, stream, limit: int):
        self.stream, self.limit, self.read_so_far = stream, limit, 0

    def read(self, size: int = -1) -> bytes:
        chunk = self.stream.read(self.limit + 1 - self.read_so_far if size is None or size < 0 else size)
        self.read_so_far += len(chunk)
        if self.read_so_far > self.limit:
            raise RequestTooLarge()
        return chunk


class LimitedMultiPartParser(MultiPartParser):
    """Multipart bodies (an article uploaded as a file) up to DATA_UPLOAD_MAX_MEMORY_SIZE, like JSON: Django limits
    a multipart body's fields but not its files, so the declared length is checked first, and each file after."""

    def parse(self, stream, media_type=None, parser_context=None):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        refuse_declared_length(parser_context, limit)
        parsed = super().parse(stream, media_type, parser_context)
        if limit is not None and any(f.size > limit for f in parsed.files.values()):
            raise RequestTooLarge()
        _refuse_what_multipart_hides(parsed)
        return parsed


def _refuse_what_multipart_hides(parsed) -> None:
    """What Django's multipart parser passes over silently: a field whose bytes are not UTF-8 (decoded with
    replacement characters) and a part sent twice (the last would win)."""
    from ..intake import UnreadableText

    for name, values in (*parsed.data.lists(), *parsed.files.lists()):
        if len(values) > 1:
            raise ValidationError({name: [f"“{name}” was sent {len(values)} times; send it once."]})
    for name, value in parsed.data.items():
        if "\ufffd" in value:
            raise UnreadableText(
                f"The field “{name}” is not UTF-8 text (it holds bytes that do not decode, or U+FFFD where they "
                "were replaced). Send every field as UTF-8.",
                field=name,
            )
