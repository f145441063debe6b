"""Every unknown path under /api/ is a JSON 404 in the one error shape, in every settings module."""

import json
import os
import subprocess
import sys

import pytest
from django.conf import settings

from .test_settings import PRODUCTION_ENV

UNKNOWN = (
    "/api/nope/",
    "/api/v2/events/",
    "/api/v1/pledge/",
    "/api/v1/actors/france/nothing/",
    "/api/schema/x/",
    "/api/docs/x/y/",
)

SCRIPT = """
import django, json, sys; django.setup()
from django.test import Client
from django.test.utils import setup_test_environment
setup_test_environment()
client = Client(headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
out = {}
for path in json.loads(sys.argv[1]):
    response = client.get(path, secure=True, HTTP_HOST="tracker.example.org", follow=True)
    body = response.json() if response["Content-Type"] == "application/problem+json" else None
    out[path] = [response.status_code, response["Content-Type"], body, [url for url, _ in response.redirect_chain]]
print(json.dumps(out))
"""


@pytest.mark.parametrize("module", ["local", "test", "production"])
def test_unknown_api_paths_are_json_404s_in_every_settings_module(module):
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env |= {"DJANGO_SETTINGS_MODULE": f"tracker.settings.{module}", "DJANGO_ALLOWED_HOSTS": "tracker.example.org"}
    if module == "production":
        env |= {**PRODUCTION_ENV, "CACHE_URL": "locmemcache://"}
    paths = [*UNKNOWN, "/api/v1/pledge"]
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, json.dumps(paths)],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    answers = json.loads(result.stdout)
    for path in UNKNOWN:
        status, content_type, body, redirects = answers[path]
        assert (status, content_type, redirects) == (404, "application/problem+json", []), path
        assert body == {
            "type": "about:blank",
            "title": "Not Found",
            "status": 404,
            "code": "not_found",
            "detail": f"No resource at {path}.",
            "errors": {},
        }
    # A path without its slash is APPEND_SLASH's: redirected to the slashed path, which is the same 404.
    status, content_type, body, redirects = answers["/api/v1/pledge"]
    assert (status, content_type, body["code"]) == (404, "application/problem+json", "not_found")
    # (Production's follow-up request may pass its HTTPS redirect first.)
    assert redirects
    assert all(url.endswith("/api/v1/pledge/") for url in redirects), redirects
