"""Schemathesis against the API's own OpenAPI schema: every operation and method, writes authenticated as an
editor, with the checks listed below, on SQLite and PostgreSQL. Zero failures is the bar."""

import pytest
import schemathesis
from django.contrib.auth.models import Group, User
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis import checks

from tests.tokens import token_for

CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
    checks.response_headers_conformance,
    checks.negative_data_rejection,
    checks.missing_required_header,
    checks.unsupported_method,
    checks.ignored_auth,
]


@pytest.fixture(autouse=True)
def keep_test_connection():
    """Requests go through the real WSGI handler, which closes database connections at the end of each request;
    like Django's test client, keep the test's connection (and its transaction) open meanwhile."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def editor_headers(db) -> dict:
    user = User.objects.create_user("fuzz-editor", password="pw-fuzz-1")
    user.groups.add(Group.objects.get(name="editors"))
    return {"Authorization": f"Token {token_for(user)}"}


# Loading the schema needs no database: it is generated from the code.
schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", get_wsgi_application())


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
@pytest.mark.django_db
def test_api_conforms_to_its_schema(case, world, editor_headers):
    """No 5xx, documented status codes and content types, responses matching their schemas, invalid data
    rejected."""
    case.call_and_validate(headers=editor_headers, checks=CHECKS)
