"""What a tool builder does with a Python client that openapi-python-client generated from /api/schema/, unedited.

Run with the generated package `tracker_api_client` importable:

    TRACKER_URL=http://127.0.0.1:8000 TRACKER_USERNAME=… TRACKER_PASSWORD=… python python_script.py

It prints one JSON object describing what it read and wrote; tests/test_clients.py checks it against the fixtures.
Reads go through an anonymous `Client` (reads are open); writes through an `AuthenticatedClient` holding a token
from POST /api/v1/auth/token/, sent as `Authorization: Bearer <token>`.
"""

import datetime
import json
import os
import sys
from urllib.parse import parse_qs, urlsplit

from tracker_api_client import AuthenticatedClient, Client
from tracker_api_client.api.auth import auth_token_create
from tracker_api_client.api.events import events_list
from tracker_api_client.api.pledges import pledges_list, pledges_retrieve
from tracker_api_client.api.statements import (
    statements_citations_create,
    statements_create,
    statements_export,
    statements_history_list,
    statements_list,
    statements_retrieve,
    statements_update,
)
from tracker_api_client.models import (
    CitationWriteRequest,
    PledgesListStatusItem,
    QuoteTypeEnum,
    StatementsExportFormat,
    StatementWriteRequest,
    TokenRequestRequest,
)
from tracker_api_client.types import UNSET

ACTOR = "united-states"
DATE_AFTER = datetime.date(2025, 11, 1)
DATE_BEFORE = datetime.date(2025, 11, 15)
STATUSES = [PledgesListStatusItem.ANNOUNCED, PledgesListStatusItem.IN_PROGRESS]
NEW_SLUG = "python-client-statement"


def ok(response, status: int = 200):
    """The parsed body of an expected answer; anything else stops the script with what the server said."""
    if response.status_code != status:
        sys.exit(f"{response.status_code} instead of {status}: {response.content[:500]!r}")
    return response.parsed


def walk_statements(client: Client) -> list:
    """Every statement, page after page, following each page's `next` link by its cursor."""
    statements, cursor = [], UNSET
    while True:
        page = ok(statements_list.sync_detailed(client=client, page_size=10, cursor=cursor))
        statements += page.results
        if not page.next_:
            return statements
        cursor = parse_qs(urlsplit(page.next_).query)["cursor"][0]


def main() -> None:
    url = os.environ["TRACKER_URL"]
    reader = Client(base_url=url, raise_on_unexpected_status=True)
    out: dict = {"asked": {"actor": ACTOR, "date_after": str(DATE_AFTER), "date_before": str(DATE_BEFORE)}}

    statements = walk_statements(reader)
    out["statements"] = [s.slug for s in statements]

    events = ok(
        events_list.sync_detailed(
            client=reader, actor=[ACTOR], date_after=DATE_AFTER, date_before=DATE_BEFORE, page_size=100
        )
    )
    out["events"] = {"count": events.count, "slugs": [e.slug for e in events.results]}

    pledges = ok(pledges_list.sync_detailed(client=reader, status=STATUSES, page_size=100))
    out["asked"]["statuses"] = [s.value for s in STATUSES]
    out["pledges"] = {"count": pledges.count, "slugs": [p.slug for p in pledges.results]}

    out["csv"] = {"text": ok(statements_export.sync_detailed(client=reader, format_=StatementsExportFormat.CSV))}

    pledge = ok(pledges_retrieve.sync_detailed(pledges.results[0].slug, client=reader))
    out["status_history"] = {
        "pledge": pledge.slug,
        "steps": [{"status": step.status.value, "note": step.note} for step in pledge.status_history],
    }

    # Writes, with a token. The evidence is taken from what was read: two citations of existing statements.
    login = TokenRequestRequest(username=os.environ["TRACKER_USERNAME"], password=os.environ["TRACKER_PASSWORD"])
    token = ok(auth_token_create.sync_detailed(client=reader, body=login)).token
    writer = AuthenticatedClient(base_url=url, token=token, raise_on_unexpected_status=True)
    first, second = statements[0].citations[0], statements[1].citations[0]
    body = StatementWriteRequest(
        slug=NEW_SLUG,
        speaker=statements[0].speaker.slug,
        text="A paraphrase written by a generated client.",
        quote_type=QuoteTypeEnum.REPORTED,
        citations=[CitationWriteRequest(source=first.source, excerpt=first.excerpt)],
        # The same speaker on the same excerpt as a recorded statement: a near-duplicate, which force confirms.
        force=True,
    )
    created = statements_create.sync_detailed(client=writer, body=body)
    ok(created, 201)
    body.speaker_role = "as updated by a generated client"
    updated = statements_update.sync_detailed(NEW_SLUG, client=writer, body=body, if_match=created.headers["ETag"])
    ok(updated)
    cited = ok(
        statements_citations_create.sync_detailed(
            NEW_SLUG, client=writer, body=CitationWriteRequest(source=second.source, excerpt=second.excerpt)
        ),
        201,
    )
    final = ok(statements_retrieve.sync_detailed(NEW_SLUG, client=reader))
    history = ok(statements_history_list.sync_detailed(NEW_SLUG, client=reader))
    out["written"] = {
        "etags": [created.headers["ETag"], updated.headers["ETag"]],
        "speaker_role": final.speaker_role,
        "citation": {"source": cited.source, "excerpt": cited.excerpt},
        "citations": [{"source": c.source, "excerpt": c.excerpt} for c in final.citations],
        "history": [{"type": h.history_type.value, "version": h.version} for h in history.results],
        "expected_citations": [{"source": c.source, "excerpt": c.excerpt} for c in (first, second)],
    }
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
