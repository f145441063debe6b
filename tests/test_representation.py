"""Compiled read serializers (events/representation.py) answer byte for byte what DRF's own would."""

import contextlib

import pytest
from rest_framework import serializers

from conftest import EventFactory
from events.models import Actor, Event, Pledge, Source, Statement
from events.representation import CompiledListSerializer, CompiledReadMixin, compile_serializer
from events.serializers import EventSerializer, StatementSerializer

RESOURCES = {"sources": Source, "actors": Actor, "events": Event, "statements": Statement, "pledges": Pledge}


@contextlib.contextmanager
def drf_serialization():
    """Serialize as plain DRF does, field by field, for a reference to compare with."""
    compiled_one, compiled_many = CompiledReadMixin.to_representation, CompiledListSerializer.to_representation
    CompiledReadMixin.to_representation = lambda self, instance: serializers.Serializer.to_representation(
        self, instance
    )
    CompiledListSerializer.to_representation = serializers.ListSerializer.to_representation
    try:
        yield
    finally:
        CompiledReadMixin.to_representation = compiled_one
        CompiledListSerializer.to_representation = compiled_many


def _responses(api_client) -> dict[str, bytes]:
    bodies = {}
    for resource, model in RESOURCES.items():
        for page in (1, 2):
            url = f"/api/v1/{resource}/?page_size=50&page={page}"
            response = api_client.get(url)
            if response.status_code == 404:
                break
            bodies[url] = response.content
        for fmt in ("csv", "ndjson"):
            url = f"/api/v1/{resource}/?format={fmt}"
            bodies[url] = b"".join(api_client.get(url).streaming_content)
        for slug in model.objects.values_list("slug", flat=True):
            url = f"/api/v1/{resource}/{slug}/"
            bodies[url] = api_client.get(url).content
    for slug in Actor.objects.values_list("slug", flat=True):
        url = f"/api/v1/actors/{slug}/relations/"
        bodies[url] = api_client.get(url).content
    bodies["deleted"] = api_client.get("/api/v1/deleted/").content
    return bodies


def test_every_response_of_the_story_is_what_drf_would_answer(api_client, story):
    """Every list page, export and record of the real data set, compiled, equals DRF's field-by-field output."""
    EventFactory(slug="fleeting").delete()  # a tombstone
    compiled = _responses(api_client)
    with drf_serialization():
        reference = _responses(api_client)
    assert len(compiled) > 150
    mismatched = [url for url in reference if compiled[url] != reference[url]]
    assert mismatched == []


def test_the_synthetic_world_is_what_drf_would_answer(api_client, world):
    """The hand-built world (undated records, parents, aliases, pledges with status history) as well."""
    compiled = _responses(api_client)
    with drf_serialization():
        reference = _responses(api_client)
    assert compiled == reference


def test_a_serializer_that_overrides_to_representation_keeps_it(db):
    """A nested serializer with its own to_representation is called, not compiled past."""

    class Shouting(serializers.Serializer):
        slug = serializers.CharField()

        def to_representation(self, instance):
            return {"slug": instance.slug.upper()}

    class Outer(serializers.Serializer):
        inner = Shouting(source="*")
        many = Shouting(source="items", many=True)

    class Row:
        slug = "quiet"
        items = [type("Item", (), {"slug": "a"})()]

    assert compile_serializer(Outer())(Row()) == {"inner": {"slug": "QUIET"}, "many": [{"slug": "A"}]}


def test_null_relations_and_dates_are_null(db):
    """An event with no date and no country represents them as null, as DRF does."""
    event = Event.objects.create(slug="undated", title="Undated", event_type="other", date_precision="unknown")
    compiled = EventSerializer(event, context={"request": None}).data
    with drf_serialization():
        reference = EventSerializer(event, context={"request": None}).data
    assert compiled == reference
    assert compiled["date"] is None
    assert compiled["date_end"] is None
    assert StatementSerializer.Meta.list_serializer_class is CompiledListSerializer


@pytest.mark.parametrize("resource", ["actors", "events", "statements", "pledges"])
def test_list_rows_equal_the_records_read_one_by_one(api_client, story, resource):
    """A list reads its relations as rows (events/rows.py) and a single record through prefetch_related: every
    record of the story is the same either way, related rows in the same order."""
    listed, url = [], f"/api/v1/{resource}/?page_size=100"
    while url:
        body = api_client.get(url).json()
        listed += body["results"]
        url = body["next"]
    assert len(listed) == RESOURCES[resource].objects.count()
    for record in listed:
        assert api_client.get(f"/api/v1/{resource}/{record['slug']}/").json() == record


@pytest.mark.parametrize("resource", ["actors", "events", "statements", "pledges"])
def test_list_rows_equal_the_records_in_the_world(api_client, world, resource):
    """The same for the hand-built world: undated records, parents and children, aliases, status history."""
    body = api_client.get(f"/api/v1/{resource}/?page_size=100").json()
    assert body["results"]
    for record in body["results"]:
        assert api_client.get(f"/api/v1/{resource}/{record['slug']}/").json() == record
