"""Duplicate detection holds under concurrency: parallel identical creates make one record (PostgreSQL).

Each request runs in its own thread, so on its own database connection and in its own transaction, as behind a
server with several workers. On SQLite, write transactions are serialised as a whole, so these races are
PostgreSQL's.
"""

import threading
from collections import Counter

import pytest
from django.contrib.auth.models import Group, User
from django.db import connection, connections
from rest_framework.test import APIClient

from conftest import ActorFactory, SourceFactory
from events.models import Actor, ActorNameKey, Pledge

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent transactions need PostgreSQL"),
]

PARALLEL = 20


def _editor() -> User:
    user = User.objects.create_user("racer")
    user.groups.add(Group.objects.get_or_create(name="editors")[0])
    return user


def _race(user: User, bodies: list[dict], path: str) -> list:
    """POST each body at once from its own thread; return the responses."""
    barrier = threading.Barrier(len(bodies))
    responses: list = [None] * len(bodies)

    def post(index: int) -> None:
        client = APIClient()
        client.force_authenticate(user)
        try:
            barrier.wait(timeout=30)
            responses[index] = client.post(path, bodies[index], format="json")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=post, args=(i,)) for i in range(len(bodies))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert all(r is not None for r in responses), "a request did not finish"
    return responses


def test_parallel_creates_of_one_actor_under_different_slugs_make_one():
    """20 creates of one name under 20 slugs: one 201, nineteen 409 naming the winner, one actor, no 500."""
    user = _editor()
    bodies = [{"slug": f"france-{i}", "name": "France", "kind": "state"} for i in range(PARALLEL)]
    responses = _race(user, bodies, "/api/v1/actors/")
    assert Counter(r.status_code for r in responses) == {201: 1, 409: PARALLEL - 1}
    winner = Actor.objects.get()
    assert {tuple(r.json()["errors"]["existing"]) for r in responses if r.status_code == 409} == {
        (f"actor:{winner.slug}",)
    }
    assert list(ActorNameKey.objects.values_list("actor__slug", "key")) == [(winner.slug, "france")]


def test_parallel_look_alike_creates_make_one_actor():
    """The same race with spellings that differ only in case, invisible characters and look-alike letters."""
    user = _editor()
    spellings = ["France", "FRANCE", "Fra\u200bnce", "Fr\u0430nce", "\uff26\uff52\uff41\uff4e\uff43\uff45"]
    bodies = [{"slug": f"france-{i}", "name": spellings[i % len(spellings)], "kind": "state"} for i in range(PARALLEL)]
    responses = _race(user, bodies, "/api/v1/actors/")
    assert Counter(r.status_code for r in responses) == {201: 1, 409: PARALLEL - 1}
    assert Actor.objects.count() == 1


@pytest.mark.parametrize("same_slug", [True, False], ids=["identical", "other-slugs"])
def test_parallel_identical_pledge_creates_make_one_pledge(same_slug):
    """20 creates of one commitment: one 201; the others merge into it (200, the existing pledge's slug)."""
    user = _editor()
    source = SourceFactory(slug="source-article")
    ActorFactory(slug="france", name="France")
    body = {
        "title": "France offers gendarmes",
        "category": "police_training",
        "pledger": "france",
        "quantity": 100,
        "unit": "gendarmes",
        "date": "2025-11-20",
        "citations": [{"source": source.slug, "excerpt": "France stands ready to deploy approximately 100 gendarmes."}],
    }
    bodies = [{**body, "slug": "france-gendarmes" if same_slug else f"france-gendarmes-{i}"} for i in range(PARALLEL)]
    responses = _race(user, bodies, "/api/v1/pledges/")
    assert Counter(r.status_code for r in responses) == {201: 1, 200: PARALLEL - 1}
    pledge = Pledge.objects.get()
    assert {r.json()["slug"] for r in responses} == {pledge.slug}
    assert pledge.citations.count() == 1
