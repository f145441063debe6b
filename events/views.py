"""Read-only API viewsets. Each get_queryset() loads exactly what its serializer needs, in a fixed number of queries."""

from django.db.models import Prefetch, QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import viewsets

from . import serializers
from .models import Actor, Citation, Event, EventParticipant, Pledge, Source, Statement


def _by_slug(summary: str, description: str = "") -> dict:
    slug = OpenApiParameter(
        "slug", str, OpenApiParameter.PATH, description="The record's slug, as given in lists and links."
    )
    return extend_schema(summary=summary, description=description, parameters=[slug])


def _citations() -> Prefetch:
    # Serves `citations` (and `first_appearance`); a source's full text is never needed to list its citations.
    return Prefetch("citations", queryset=Citation.objects.select_related("source").defer("source__text"))


def _actor_summaries(lookup: str, *extra: str) -> Prefetch:
    return Prefetch(lookup, queryset=Actor.objects.only("slug", "name", "kind", *extra))


def _slugs(lookup: str, model) -> Prefetch:
    return Prefetch(lookup, queryset=model.objects.only("slug", *_fk_columns(model)))


def _fk_columns(model) -> tuple[str, ...]:
    # Prefetching a reverse relation needs the foreign key column to match rows back to their parent.
    return tuple(f.attname for f in model._meta.concrete_fields if f.is_relation)


@extend_schema_view(
    list=extend_schema(summary="List sources", description="News articles, without their full text."),
    retrieve=_by_slug("Get a source", "One article, with its full text and sha256."),
)
class SourceViewSet(viewsets.ReadOnlyModelViewSet):
    lookup_field = "slug"

    def get_queryset(self) -> QuerySet[Source]:
        queryset = Source.objects.all()
        return queryset.defer("text") if self.action == "list" else queryset

    def get_serializer_class(self):
        return serializers.SourceDetailSerializer if self.action == "retrieve" else serializers.SourceSerializer


@extend_schema_view(
    list=extend_schema(summary="List actors", description="States, organisations, forces, groups, people, outlets."),
    retrieve=_by_slug("Get an actor"),
)
class ActorViewSet(viewsets.ReadOnlyModelViewSet):
    lookup_field = "slug"
    serializer_class = serializers.ActorSerializer

    def get_queryset(self) -> QuerySet[Actor]:
        return Actor.objects.select_related("parent").prefetch_related(
            "aliases", _actor_summaries("children", "parent_id"), _citations()
        )


@extend_schema_view(
    list=extend_schema(summary="List events", description="What happened or is scheduled, ordered by date then slug."),
    retrieve=_by_slug("Get an event"),
)
class EventViewSet(viewsets.ReadOnlyModelViewSet):
    lookup_field = "slug"
    serializer_class = serializers.EventSerializer

    def get_queryset(self) -> QuerySet[Event]:
        return Event.objects.prefetch_related(
            Prefetch("participants", queryset=EventParticipant.objects.select_related("actor")),
            _slugs("statements", Statement),
            _slugs("pledges", Pledge),
            _citations(),
        )


@extend_schema_view(
    list=extend_schema(summary="List statements", description="What actors said, ordered by date then slug."),
    retrieve=_by_slug("Get a statement"),
)
class StatementViewSet(viewsets.ReadOnlyModelViewSet):
    lookup_field = "slug"
    serializer_class = serializers.StatementSerializer

    def get_queryset(self) -> QuerySet[Statement]:
        return Statement.objects.select_related("speaker", "stance_target", "event").prefetch_related(
            _actor_summaries("about"), _slugs("announced_pledges", Pledge), _citations()
        )


@extend_schema_view(
    list=extend_schema(summary="List pledges", description="Commitments and their status, ordered by date then slug."),
    retrieve=_by_slug("Get a pledge"),
)
class PledgeViewSet(viewsets.ReadOnlyModelViewSet):
    lookup_field = "slug"
    serializer_class = serializers.PledgeSerializer

    def get_queryset(self) -> QuerySet[Pledge]:
        return Pledge.objects.select_related("pledger", "beneficiary", "event", "announced_by").prefetch_related(
            _citations()
        )
