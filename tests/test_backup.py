"""Backup and restore: a dumpdata/loaddata round trip of the whole tracker, history included, serves the same API."""

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from rest_framework.test import APIClient

from events.models import Actor, Event, SourceShingle
from tests.tokens import token_for

RESOURCES = ("sources", "actors", "events", "pledges", "statements", "deleted")


def _everything(client: APIClient) -> dict:
    snapshot = {}
    for resource in RESOURCES:
        url, rows = f"/api/v1/{resource}/?page_size=100", []
        while url:
            page = client.get(url).json()
            rows += page["results"]
            url = page["next"]
        snapshot[resource] = rows
    snapshot["timeline"] = client.get("/api/v1/timeline/?page_size=100").json()
    for slug in ("hakan-fidan", "france", "united-states"):
        snapshot[f"history:{slug}"] = client.get(f"/api/v1/actors/{slug}/history/").json()
    snapshot["history:pledge"] = client.get("/api/v1/pledges/turkey-offer-to-send-forces-to-gaza/history/").json()
    # The change feed, in the same sequence (its `settled_until` is the time of asking, so only the entries).
    url, entries = "/api/v1/changes/?page_size=100", []
    while url:
        page = client.get(url).json()
        entries += page["results"]
        url = page["next"] if page["has_more"] else None
    snapshot["changes"] = entries
    return snapshot


@pytest.mark.django_db(transaction=True)
def test_backup_and_restore_serves_identical_output(tmp_path):
    """After backup_tracker, an emptied database and restore_tracker, every list, the timeline and the history
    read the same, and the accounts and their tokens still work."""
    call_command("load_story", verbosity=0)
    user = User.objects.create_user("maria", password="pw-maria-1")
    user.groups.add(Group.objects.get(name="editors"))
    editor = APIClient()
    token = token_for(user)
    editor.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    created = editor.post(
        "/api/v1/actors/", {"slug": "hakan-fidan", "name": "Hakan Fidan", "kind": "person"}, format="json"
    )
    editor.patch(
        "/api/v1/actors/hakan-fidan/", {"title": "Foreign Minister"}, format="json", HTTP_IF_MATCH=created["ETag"]
    )
    editor.post(
        "/api/v1/pledges/turkey-offer-to-send-forces-to-gaza/status/",
        {
            "status": "withdrawn",
            "date": "2025-11-30",
            "source": "isf-deploy-very-soon-trump",
            "excerpt": "Israel rejects Turkish troops under Trump’s 20-point peace plan",
        },
        format="json",
        HTTP_IF_MATCH='"1"',
    )
    lone = Event.objects.get(slug="gaza-humanitarian-crisis")
    editor.delete("/api/v1/events/gaza-humanitarian-crisis/", HTTP_IF_MATCH=f'"{lone.version}"')
    reader = APIClient()
    before = _everything(reader)
    assert before["history:hakan-fidan"]["count"] == 2
    assert [d["slug"] for d in before["deleted"]] == ["gaza-humanitarian-crisis"]

    shingles = sorted(SourceShingle.objects.values_list("source__slug", "hash"))
    assert shingles
    dump = tmp_path / "tracker.xml"
    call_command("backup_tracker", dump, verbosity=0)
    call_command("flush", "--noinput")
    assert not Actor.objects.exists()
    call_command("restore_tracker", dump, verbosity=0)

    after = _everything(reader)
    assert sorted(SourceShingle.objects.values_list("source__slug", "hash")) == shingles
    for key in before:
        assert after[key] == before[key], key
    restored = APIClient()
    restored.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert restored.get("/api/v1/actors/hakan-fidan/")["ETag"] == '"2"'
    # The feed's sequence carries on after the restored entries.
    assert before["changes"]
    response = restored.patch("/api/v1/actors/hakan-fidan/", {"title": "Minister"}, format="json", HTTP_IF_MATCH='"2"')
    assert response.status_code == 200, response.content
    last = before["changes"][-1]["sequence"]
    (entry,) = reader.get(f"/api/v1/changes/?since_id={last}").json()["results"]
    assert (entry["slug"], entry["version"]) == ("hakan-fidan", 3)


@pytest.mark.django_db
def test_restore_refuses_a_database_with_records(tmp_path, source):
    """Restoring over existing records is refused rather than mixed in."""
    from django.core.management.base import CommandError

    dump = tmp_path / "tracker.xml"
    call_command("backup_tracker", dump, verbosity=0)
    with pytest.raises(CommandError, match="restore into an empty one"):
        call_command("restore_tracker", dump, verbosity=0)
