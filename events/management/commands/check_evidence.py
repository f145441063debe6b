"""The final evidence check: every citation the API serves stands verbatim in the text the API serves for its source.

It reads what a client reads, through the API, so it checks the whole path (database, triggers, serializers,
pagination) rather than the tables alone. By default the requests are made in-process against the configured
database, which works on a production host without a running server; ``--url`` checks a running server over HTTP.
"""

import json
import time
import urllib.error
import urllib.request
from collections import Counter
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.test import Client

# Every record that carries citations, by its list in the API.
RESOURCES = {"events": "event", "pledges": "pledge", "statements": "statement", "actors": "actor"}
API = "/api/v1"
PAGE_SIZE = 100
# A throttled request (429) is retried after the server's Retry-After, at most this many times in a row.
MAX_RETRIES = 5


@dataclass(frozen=True)
class Cited:
    kind: str
    slug: str
    source: str
    excerpt: str

    def __str__(self) -> str:
        return f"{self.kind} {self.slug}: source “{self.source}”: “{self.excerpt}”"


class InProcess:
    """Requests through Django's own request handling, as a server would make them, without a server."""

    def __init__(self) -> None:
        # no-cache: the check reads past the shared response cache, to see a change made outside the services.
        self.client = Client(HTTP_HOST=_a_served_host(), HTTP_ACCEPT="application/json", HTTP_CACHE_CONTROL="no-cache")

    def get(self, url: str) -> tuple[int, dict, float]:
        parts = urlsplit(url)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        # secure: production redirects plain HTTP to HTTPS.
        response = self.client.get(path, secure=True)
        body = json.loads(response.content) if response.status_code in (200, 404) else {}
        return response.status_code, body, float(response.headers.get("Retry-After") or 1)


class OverHttp:
    def __init__(self, base: str) -> None:
        self.base = base.rstrip("/")

    def get(self, url: str) -> tuple[int, dict, float]:
        if url.startswith("/"):
            url = self.base + url
        request = urllib.request.Request(url, headers={"Accept": "application/json", "Cache-Control": "no-cache"})
        try:
            with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 - the operator's own URL
                return response.status, json.load(response), 0
        except urllib.error.HTTPError as error:
            body = json.load(error) if error.code == 404 else {}
            return error.code, body, float(error.headers.get("Retry-After") or 1)


def _a_served_host() -> str:
    """A host name the site answers to (ALLOWED_HOSTS), so that production's host check lets the request in."""
    for host in settings.ALLOWED_HOSTS:
        if host != "*":
            return host.lstrip(".")
    return "localhost"


class Command(BaseCommand):
    help = (
        "Read every citation of every event, pledge, statement and actor through the API, and the full text of "
        "every cited source, and check that each excerpt stands verbatim in its source's text. Prints a summary "
        "and every broken citation; exits non-zero if there is any. In-process against the configured database "
        "by default (usable in production), or over HTTP against a running server with --url."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--url", help="Check a running server instead, e.g. http://127.0.0.1:8000 (its /api/v1/ is read)."
        )

    def handle(self, *args, url: str | None = None, **options):
        api = OverHttp(url) if url else InProcess()
        records: Counter[str] = Counter()
        cited: list[Cited] = []
        for resource, kind in RESOURCES.items():
            for record in self._walk(api, f"{API}/{resource}/?page_size={PAGE_SIZE}"):
                records[kind] += 1
                cited += [Cited(kind, record["slug"], c["source"], c["excerpt"]) for c in record["citations"]]
        texts = {slug: self._source_text(api, slug) for slug in sorted({c.source for c in cited})}
        broken = [c for c in cited if texts[c.source] is None or c.excerpt not in texts[c.source]]
        for citation in broken:
            reason = "its source is missing" if texts[citation.source] is None else "not verbatim"
            self.stdout.write(f"BROKEN ({reason}) {citation}")
        summary = (
            f"{len(cited)} citations of {', '.join(f'{n} {kind}s' for kind, n in records.items())}, "
            f"in {len(texts)} sources"
        )
        if broken:
            raise CommandError(f"{len(broken)} of {summary} are not verbatim in their source's text.")
        self.stdout.write(f"Checked {summary}: every excerpt stands verbatim in its source's text.")

    def _walk(self, api, url: str):
        while url:
            page = self._get(api, url)
            yield from page["results"]
            url = page["next"]

    def _source_text(self, api, slug: str) -> str | None:
        return self._get(api, f"{API}/sources/{quote(slug)}/", missing_ok=True).get("text")

    def _get(self, api, url: str, *, missing_ok: bool = False) -> dict:
        for _ in range(MAX_RETRIES + 1):
            status, body, retry_after = api.get(url)
            if status == 429:
                time.sleep(retry_after)
                continue
            if status == 200 or (status == 404 and missing_ok):
                return body
            raise CommandError(f"GET {url} answered {status}; the check cannot go on.")
        raise CommandError(f"GET {url} was still throttled after {MAX_RETRIES} retries.")
