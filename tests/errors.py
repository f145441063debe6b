"""One helper for asserting on an API error, so that a change of the error format is made in one place."""

import json
from collections.abc import Iterable
from http import HTTPStatus


def assert_error(
    response,
    status: int,
    *,
    fields: Iterable[str] = (),
    code: str | None = None,
    contains: str | None = None,
) -> dict:
    """Assert that ``response`` is a problem details error (RFC 9457) with this status, naming ``fields`` (each
    must carry a message), with ``code`` if given, and ``contains`` somewhere in its detail or messages. Returns the error body."""
    assert response.status_code == status, (response.status_code, getattr(response, "content", b"")[:2000])
    assert response["Content-Type"].split(";")[0].strip() == "application/problem+json", response["Content-Type"]
    body = json.loads(b"".join(response.streaming_content) if response.streaming else response.content)
    # RFC 9457 problem details, with the API's own code and errors map.
    assert body["type"] == "about:blank", body
    assert body["title"] == HTTPStatus(status).phrase, body
    assert body["status"] == status, body
    assert isinstance(body.get("code"), str), body
    assert isinstance(body.get("errors"), dict), body
    assert isinstance(body.get("detail"), str), body
    assert body["detail"], body
    errors = body.get("errors", {})
    for field in fields:
        assert errors.get(field), (field, body)
    if code is not None:
        assert body.get("code") == code, body
    if contains is not None:
        text = " ".join([body["detail"], *(str(m) for messages in errors.values() for m in messages)])
        assert contains in text, (contains, body)
    return body


def error_fields(response, status: int) -> dict:
    """The error's own fields (status, code, detail, errors) after assert_error checked the problem details, for
    tests that compare them exactly."""
    body = assert_error(response, status)
    return {key: value for key, value in body.items() if key not in ("type", "title")}
