"""Enter one article of tests/data through the proposals API, as an editor who accepts every proposal, and count
what it took: requests, and characters of excerpt typed (the target is none). Not a timed test.

    .venv/bin/python bench/enter_article.py [ARTICLE] [--url http://127.0.0.1:8000 --token TOKEN]

Without --url it runs in-process against a fresh test database with the story loaded (the seeds and fixtures), so
that the article's corroborations (an existing pledge reported again) show. With --url it drives a running server
with an editor's token, and creates the source under a new slug.

The editor's steps: POST the article as a source; GET its proposals (every page); POST each `create` body to its
`url`, new actors first (the statements and pledges that name them `require` them); POST each `cite` body to its
`cite_on.url`. Nothing is typed: every excerpt is the proposal's, verbatim. What a real editor would still correct
(a reported statement's paraphrase, a category) is counted as fields to review, not as typing.
"""

import argparse
import json
import os
import sys
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DATA = ROOT / "tests" / "data"


class Remote:
    """The API over HTTP, with an editor's token."""

    def __init__(self, url: str, token: str):
        self.url, self.token = url.rstrip("/"), token

    def request(self, method: str, url: str, body: dict | None = None) -> tuple[int, dict]:
        if url.startswith("/"):
            url = self.url + url
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(url, data=data, method=method)
        request.add_header("Authorization", f"Token {self.token}")
        request.add_header("Accept", "application/json")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request) as response:
                return response.status, json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"{}")


class InProcess:
    """The API through Django's test client, on a fresh test database with the story loaded."""

    def __init__(self):
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tracker.settings.test")
        import django

        django.setup()
        from django.conf import settings
        from django.contrib.auth.models import Group, User
        from django.db import connection
        from django.test.utils import setup_test_environment
        from knox.models import AuthToken
        from rest_framework.test import APIClient

        from events.loading import story_load

        setup_test_environment()
        self.name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
        story_load(seeds_dir=settings.TRACKER_SEEDS_DIR, fixtures_dir=settings.TRACKER_FIXTURES_DIR)
        user = User.objects.create_user("bench-editor", password="pw-bench-editor-1")
        user.groups.add(Group.objects.get(name="editors"))
        self.client = APIClient()
        self.client.credentials(HTTP_AUTHORIZATION=f"Token {AuthToken.objects.create(user=user)[1]}")

    def request(self, method: str, url: str, body: dict | None = None) -> tuple[int, dict]:
        response = (
            getattr(self.client, method.lower())(url, body, format="json")
            if body is not None
            else (getattr(self.client, method.lower())(url))
        )
        return response.status_code, (response.json() if response.content else {})

    def close(self) -> None:
        from django.db import connection

        connection.creation.destroy_test_db(self.name, verbosity=0)


def enter(api, article: str, slug: str) -> dict:
    gold = json.loads((DATA / article.replace(".txt", ".gold.json")).read_text(encoding="utf-8"))
    text = (DATA / article).read_text(encoding="utf-8")
    requests = 0
    typed = 0
    outcomes: dict[str, int] = {}

    def call(method: str, url: str, body: dict | None = None) -> tuple[int, dict]:
        nonlocal requests
        requests += 1
        return api.request(method, url, body)

    status, _ = call("POST", "/api/v1/sources/", gold["source"] | {"slug": slug, "text": text})
    assert status == 201, status
    proposals, url = [], f"/api/v1/sources/{slug}/proposals/?page_size=100"
    while url:
        status, page = call("GET", url)
        assert status == 200, (status, page)
        proposals += page["results"]
        url = page["next"]
    by_id = {p["id"]: p for p in proposals}
    accepted = set()
    review = 0

    def accept(proposal: dict) -> None:
        nonlocal typed, review
        if proposal["id"] in accepted:
            return
        for needed in proposal["requires"]:
            accept(by_id[needed])
        accepted.add(proposal["id"])
        if proposal["action"] == "create":
            target, body = proposal["url"], proposal["body"]
            excerpts = [c["excerpt"] for c in body.get("citations", ())]
            if proposal["kind"] == "statement" and body.get("quote_type") == "reported":
                review += 1  # its text is the sentence as written, to be paraphrased
        else:
            target, body = proposal["cite_on"]["url"], proposal["cite_on"]["body"]
            excerpts = [body["excerpt"]]
        # Every excerpt sent is a proposal's own, verbatim: anything else would have been typed.
        typed += sum(len(e) for e in excerpts if e != proposal["excerpt"])
        status, answer = call("POST", target, body)
        key = f"{proposal['kind']} {proposal['action']} → {status}"
        outcomes[key] = outcomes.get(key, 0) + 1

    for proposal in sorted(proposals, key=lambda p: p["kind"] != "actor"):
        if proposal["action"] in ("create", "cite"):
            accept(proposal)
    kinds: dict[str, int] = {}
    for proposal in proposals:
        kinds[f"{proposal['kind']} {proposal['action']}"] = kinds.get(f"{proposal['kind']} {proposal['action']}", 0) + 1
    return {
        "article": article,
        "requests": requests,
        "typed_excerpt_characters": typed,
        "proposals": kinds,
        "outcomes": outcomes,
        "reported_statements_to_paraphrase": review,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("article", nargs="?", default="followup_france_officers.txt")
    parser.add_argument("--url", help="a running server, e.g. http://127.0.0.1:8000")
    parser.add_argument("--token", help="an editor's API token (with --url)")
    parser.add_argument("--slug", default="bench-entered-article")
    args = parser.parse_args()
    api = Remote(args.url, args.token) if args.url else InProcess()
    try:
        report = enter(api, args.article, args.slug)
    finally:
        if isinstance(api, InProcess):
            api.close()
    print(json.dumps(report, indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()
