"""One helper for asserting on an API error, so that a change of the error format is made in one place."""

from collections.abc import Iterable


def assert_error(
    response,
    status: int,
    *,
    fields: Iterable[str] = (),
    code: str | None = None,
    contains: str | None = None,
) -> dict:
    """Assert that ``response`` is a JSON error with this status, naming ``fields`` (each must carry a message),
    with ``code`` if given, and ``contains`` somewhere in its detail or messages. Returns the error body."""
    assert response.status_code == status, (response.status_code, getattr(response, "content", b"")[:2000])
    assert response["Content-Type"].split(";")[0].strip() in ("application/json", "application/problem+json"), response[
        "Content-Type"
    ]
    body = response.json()
    assert body["status"] == status, body
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
