"""Compiled read serializers (events/api/representation.py) answer byte for byte what DRF's own would."""

import contextlib

import pytest
from rest_framework import serializers

from conftest import EventFactory
from events.api import rows, views
from events.api.representation import CompiledListSerializer, CompiledReadMixin, compile_serializer
from events.api.serializers import EventSerializer, StatementSerializer
from events.models import Actor, Event, Pledge, Source, Statement

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
            url = f"/api/v1/{resource}/export/?format={fmt}"
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


VIEWSETS = (views.ActorViewSet, views.EventViewSet, views.StatementViewSet, views.PledgeViewSet)


def _project(instance, columns: dict) -> dict:
    """The attributes a relation's rows declare, read from ``instance`` (a row, or a model instance)."""
    projected = {}
    for name, spec in columns.items():
        value = getattr(instance, name)
        if isinstance(spec, rows.Nested):
            value = None if value is None else _project(value, spec.columns)
        projected[name] = value
    return projected


def _rows_match_the_orm() -> int:
    compared = 0
    for viewset in VIEWSETS:
        model = viewset.serializer_class.Meta.model
        records = rows.load(model.objects.all(), viewset.related_rows)
        for record in records:
            fresh = model.objects.get(pk=record.pk)
            for relation in viewset.related_rows:
                loaded = [_project(row, relation.columns) for row in record._prefetched_objects_cache[relation.name]]
                expected = [_project(row, relation.columns) for row in getattr(fresh, relation.name).all()]
                assert loaded == expected, (model.__name__, record.slug, relation.name)
                compared += len(expected)
    return compared


def test_related_rows_are_what_the_orm_reads_for_the_story(story):
    """rows.py reads each relation of every record of the story with the same values, in the same order, as the
    relation's own manager (the model's default ordering)."""
    assert _rows_match_the_orm() > 300


def test_related_rows_are_what_the_orm_reads_for_the_world(world):
    """The same for the hand-built world: undated records, parents and children, aliases, and a status history
    with and without evidence."""
    assert _rows_match_the_orm() > 10


@pytest.mark.parametrize("resource", ["actors", "events", "statements", "pledges"])
def test_a_listed_record_equals_the_record_read_alone(api_client, story, resource):
    """A list page (cursor-paged, rows for a page) and a record's own page answer the same record."""
    listed, url = [], f"/api/v1/{resource}/?page_size=100"
    while url:
        body = api_client.get(url).json()
        listed += body["results"]
        url = body["next"]
    assert len(listed) == RESOURCES[resource].objects.count()
    for record in listed:
        assert api_client.get(f"/api/v1/{resource}/{record['slug']}/").json() == record


def test_fields_that_need_the_request_take_each_responses(api_client, story, settings):
    """A compiled plan is built once per class, from the first serializer asked: a field that builds URLs from the
    request (a pledge's effective place, a tombstone's history) must use each response's host, not the first's."""
    settings.ALLOWED_HOSTS = ["testserver", "mirror.example"]
    EventFactory(slug="fleeting").delete()  # a tombstone
    pledge = "/api/v1/pledges/france-100-gendarmes-palestinian-police-training/"
    for host in ("mirror.example", "testserver"):
        place = api_client.get(pledge, HTTP_HOST=host).json()["effective_place"]
        assert place["api_url"].startswith(f"http://{host}/"), place
        (tombstone,) = api_client.get("/api/v1/deleted/", HTTP_HOST=host).json()["results"]
        assert tombstone["history_url"].startswith(f"http://{host}/"), tombstone
