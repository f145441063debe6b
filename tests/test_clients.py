"""Clients generated from the live /api/schema/ work unedited (issue 12): openapi-python-client, and
openapi-typescript with openapi-fetch under `tsc --noEmit`. Each client runs a committed script against a live
server holding the story: it walks every statement by `next`, filters events by an actor and a date range and
pledges by two statuses, exports CSV, reads a pledge's status history, and with a token creates a statement with a
citation, replaces it with If-Match, adds a second citation and reads its history. What the script prints is checked
against the fixture files.

The generators come from `make clients` (their own venv and npm's lock file), which `make test` runs first; the
commands here are the README's "Generate a client"."""

import calendar
import csv
import datetime
import io
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import Group, User

from events import services
from events.models import Pledge, Statement

ROOT = Path(__file__).resolve().parent.parent
CLIENTS_BIN = ROOT / ".clients" / "venv" / "bin"
TS = ROOT / "clients" / "ts"
NPM_BIN = TS / "node_modules" / ".bin"
USERNAME, PASSWORD = "client-editor", "client-editor-pw-1"

pytestmark = pytest.mark.django_db(transaction=True)


def _run(*command, cwd: Path, env: dict | None = None, timeout: int = 300) -> str:
    done = subprocess.run(
        [str(part) for part in command],
        cwd=cwd,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert done.returncode == 0, f"{' '.join(map(str, command))} failed:\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}"
    return done.stdout


def _installed(tool: Path) -> Path:
    if not tool.exists():
        pytest.fail(f"{tool.relative_to(ROOT)} is missing: run `make clients` (make test does)")
    return tool


@pytest.fixture(scope="session")
def python_client(live_server, tmp_path_factory, django_db_setup, django_db_blocker) -> Path:
    """A folder holding the package `tracker_api_client`, generated once per session from the live schema."""
    folder = tmp_path_factory.mktemp("python-client")
    # Set up before any test's database access is allowed; the server's answer may read the database.
    with django_db_blocker.unblock():
        _generate_python_client(live_server, folder)
    return folder


def _generate_python_client(live_server, folder: Path) -> None:
    _run(
        _installed(CLIENTS_BIN / "openapi-python-client"),
        "generate",
        "--url",
        f"{live_server.url}/api/schema/",
        "--config",
        ROOT / "clients" / "python" / "config.yaml",
        "--meta",
        "none",
        "--output-path",
        folder / "tracker_api_client",
        cwd=folder,
    )


@pytest.fixture(scope="session")
def typescript_client(live_server, tmp_path_factory, django_db_setup, django_db_blocker) -> Path:
    """A copy of clients/ts with api.d.ts generated once per session from the live schema, type-checked."""
    folder = tmp_path_factory.mktemp("typescript-client")
    for name in ("package.json", "tsconfig.json", "script.ts"):
        shutil.copy(TS / name, folder / name)
    (folder / "node_modules").symlink_to(_installed(TS / "node_modules"))
    with django_db_blocker.unblock():
        _run(NPM_BIN / "openapi-typescript", f"{live_server.url}/api/schema/", "-o", "api.d.ts", cwd=folder)
    return folder


@pytest.fixture
def editor(transactional_db):
    user = User.objects.create_user(USERNAME, password=PASSWORD)
    user.groups.add(Group.objects.get(name="editors"))
    return user


def _fixtures(name: str) -> list[dict]:
    return json.loads((Path(settings.TRACKER_FIXTURES_DIR) / f"{name}.json").read_text())


def _span(record: dict) -> tuple[datetime.date, datetime.date] | None:
    """The days a fixture's date can denote, as the codebook defines its precisions."""
    if record["date"] is None:
        return None
    start = datetime.date.fromisoformat(record["date"])
    if record.get("date_end"):
        return start, datetime.date.fromisoformat(record["date_end"])
    end = {
        "day": start,
        "week": start + datetime.timedelta(days=6),
        "month": start.replace(day=calendar.monthrange(start.year, start.month)[1]),
        "year": start.replace(month=12, day=31),
    }[record["date_precision"]]
    return start, end


@pytest.fixture
def a_pledge_in_progress(story) -> str:
    """The reviewed fixtures hold only announced pledges; moving the last one (in list order) to in_progress, through
    the service, gives the two-status filter a second status to find, and leaves the first pledge's timeline as
    the fixtures have it."""
    pledge = Pledge.objects.last()
    citation = pledge.citations.select_related("source").order_by("id").first()
    services.pledge_status_change(
        pledge=pledge,
        status="in_progress",
        date=citation.source.date_end,
        source=citation.source,
        excerpt=citation.excerpt,
        expected_version=pledge.version,
    )
    return pledge.slug


def _check_against_the_fixtures(out: dict, new_slug: str, in_progress: str) -> None:
    statements, events, pledges = _fixtures("statements"), _fixtures("events"), _fixtures("pledges")
    pledges = [{**p, "status": "in_progress"} if p["slug"] == in_progress else p for p in pledges]
    asked = out["asked"]

    # Every statement once, over more than one page.
    assert len(statements) > 10
    assert sorted(out["statements"]) == sorted(s["slug"] for s in statements)

    after, before = (datetime.date.fromisoformat(asked[k]) for k in ("date_after", "date_before"))
    expected_events = {
        e["slug"]
        for e in events
        if any(p["actor"] == asked["actor"] for p in e["participants"])
        and (span := _span(e))
        and span[0] <= before
        and span[1] >= after
    }
    assert expected_events
    assert out["events"]["count"] == len(expected_events)
    assert set(out["events"]["slugs"]) == expected_events

    expected_pledges = {p["slug"] for p in pledges if p["status"] in asked["statuses"]}
    # Each status alone finds fewer: a dropped value would show.
    assert all({p["slug"] for p in pledges if p["status"] == status} < expected_pledges for status in asked["statuses"])
    assert out["pledges"]["count"] == len(expected_pledges)
    assert set(out["pledges"]["slugs"]) == expected_pledges

    rows = list(csv.DictReader(io.StringIO(out["csv"]["text"])))
    assert sorted(row["slug"] for row in rows) == sorted(s["slug"] for s in statements)

    pledge = next(p for p in pledges if p["slug"] == out["status_history"]["pledge"])
    assert out["status_history"]["steps"] == [{"status": pledge["status"], "note": pledge["status_note"]}]

    written = out["written"]
    assert written["etags"] == ['"1"', '"2"']
    assert written["speaker_role"] == "as updated by a generated client"
    assert written["citation"] == written["expected_citations"][1]
    assert written["citations"] == written["expected_citations"]
    assert written["history"] == [
        {"type": "changed", "version": 3},
        {"type": "changed", "version": 2},
        {"type": "created", "version": 1},
    ]
    # And it is in the database, with both citations, made by the account the token belongs to.
    statement = Statement.objects.get(slug=new_slug)
    assert statement.citations.count() == 2
    assert statement.history.order_by("history_date").first().history_user.username == USERNAME


def _server_env(live_server) -> dict:
    return {"TRACKER_URL": live_server.url, "TRACKER_USERNAME": USERNAME, "TRACKER_PASSWORD": PASSWORD}


def test_a_generated_python_client_works_unedited(python_client, live_server, story, editor, a_pledge_in_progress):
    out = _run(
        CLIENTS_BIN / "python",
        ROOT / "tests" / "clients" / "python_script.py",
        cwd=python_client,
        env={**_server_env(live_server), "PYTHONPATH": str(python_client)},
    )
    _check_against_the_fixtures(json.loads(out), "python-client-statement", a_pledge_in_progress)


def test_a_generated_typescript_client_type_checks_and_works_unedited(
    typescript_client, live_server, story, editor, a_pledge_in_progress
):
    _run(NPM_BIN / "tsc", "--noEmit", cwd=typescript_client)
    _run(NPM_BIN / "tsc", "--outDir", "build", cwd=typescript_client)
    out = _run("node", "build/script.js", cwd=typescript_client, env=_server_env(live_server))
    _check_against_the_fixtures(json.loads(out), "typescript-client-statement", a_pledge_in_progress)
