"""API viewsets. Each get_queryset() loads exactly what its serializer needs, in a fixed number of queries; filtering
lives in filters.py, cross-model reads in selectors.py, exports in renderers.py."""

import django_filters
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Prefetch, QuerySet
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.generics import GenericAPIView
from rest_framework.renderers import BrowsableAPIRenderer, JSONRenderer
from rest_framework.response import Response

from . import filters, selectors, serializers
from .filters import StrictBooleanField
from .models import Actor, Citation, DeletedRecord, Event, EventParticipant, Pledge, Source, Statement
from .renderers import EXPORT_RENDERERS, export_response, serialized

RENDERERS = (JSONRenderer, BrowsableAPIRenderer, *EXPORT_RENDERERS)
FORMAT_PARAMETER = OpenApiParameter(
    "format",
    str,
    enum=["json", "csv", "ndjson"],
    description="Response format. `csv` (or `Accept: text/csv`) and `ndjson` (or `Accept: application/x-ndjson`) "
    "stream every matching record, unpaginated, with the same filters; CSV has flat columns (actor names joined "
    "with `; `, the first citation's source and excerpt).",
)
EXPORT_RESPONSES = {
    (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="Every matching record as CSV."),
    (200, "application/x-ndjson"): OpenApiResponse(OpenApiTypes.STR, description="One JSON record per line."),
}


def _listing(summary: str, description: str, serializer) -> dict:
    return extend_schema(
        summary=summary,
        description=description,
        parameters=[FORMAT_PARAMETER],
        responses={(200, "application/json"): serializer(many=True), **EXPORT_RESPONSES},
    )


def _slug_parameter() -> OpenApiParameter:
    return OpenApiParameter(
        "slug", str, OpenApiParameter.PATH, description="The record's slug, as given in lists and links."
    )


FORMAT_DETAIL_PARAMETER = OpenApiParameter(
    "format",
    str,
    enum=["json", "csv", "ndjson"],
    description="Response format: JSON (default), one flat CSV row with a header, or one NDJSON line.",
)


def _by_slug(summary: str, description: str = "") -> dict:
    return extend_schema(
        summary=summary, description=description, parameters=[_slug_parameter(), FORMAT_DETAIL_PARAMETER]
    )


def filter_parameters(filterset_class, *, exclude=frozenset(), include=None) -> list[OpenApiParameter]:
    """Document a FilterSet's parameters on a view that applies it by hand."""
    parameters = []
    for name, declared in filterset_class.base_filters.items():
        if name in exclude or (include is not None and name not in include):
            continue
        if isinstance(declared, django_filters.IsoDateTimeFilter):
            kind = OpenApiTypes.DATETIME
        elif isinstance(declared, django_filters.DateFilter):
            kind = OpenApiTypes.DATE
        elif declared.field_class is StrictBooleanField:
            kind = OpenApiTypes.BOOL
        else:
            kind = OpenApiTypes.STR
        parameters.append(OpenApiParameter(name, kind, description=str(declared.extra.get("help_text", name))))
    return parameters


def _citations() -> Prefetch:
    # Serves `citations` (and `first_appearance`); a source's full text is never needed to list its citations.
    return Prefetch("citations", queryset=Citation.objects.select_related("source").defer("source__text"))


def _actor_summaries(lookup: str, *extra: str) -> Prefetch:
    return Prefetch(lookup, queryset=Actor.objects.only("slug", "name", "kind", *extra))


def _slugs(lookup: str, model) -> Prefetch:
    # Prefetching a reverse relation needs the foreign key columns to match rows back to their parent.
    fk_columns = tuple(f.attname for f in model._meta.concrete_fields if f.is_relation)
    return Prefetch(lookup, queryset=model.objects.only("slug", *fk_columns))


class ExportMixin:
    """Lists answer `?format=csv|ndjson` by streaming every matching record instead of a page."""

    renderer_classes = RENDERERS
    export_name = "export"

    def list(self, request, *args, **kwargs):
        fmt = getattr(request.accepted_renderer, "format", "json")
        if fmt not in ("csv", "ndjson"):
            return super().list(request, *args, **kwargs)
        queryset = self.filter_queryset(self.get_queryset())
        serializer_class = self.get_serializer_class()
        context = self.get_serializer_context()
        items = serialized(queryset, lambda batch: serializer_class(batch, many=True, context=context).data)
        return export_response(fmt=fmt, items=items, fields=serializer_class().fields, filename=self.export_name)


class TrackerViewSet(ExportMixin, viewsets.ReadOnlyModelViewSet):
    lookup_field = "slug"


@extend_schema_view(
    list=_listing("List sources", "News articles, without their full text.", serializers.SourceSerializer),
    retrieve=_by_slug("Get a source", "One article, with its full text and sha256."),
)
class SourceViewSet(TrackerViewSet):
    filterset_class = filters.SourceFilter
    export_name = "sources"

    def get_queryset(self) -> QuerySet[Source]:
        queryset = Source.objects.all()
        return queryset if self.action == "retrieve" else queryset.defer("text", "search_text")

    def get_serializer_class(self):
        return serializers.SourceDetailSerializer if self.action == "retrieve" else serializers.SourceSerializer


@extend_schema_view(
    list=_listing(
        "List actors", "States, organisations, forces, groups, people and outlets.", serializers.ActorSerializer
    ),
    retrieve=_by_slug("Get an actor"),
)
class ActorViewSet(TrackerViewSet):
    serializer_class = serializers.ActorSerializer
    filterset_class = filters.ActorFilter
    export_name = "actors"

    def get_queryset(self) -> QuerySet[Actor]:
        return Actor.objects.select_related("parent").prefetch_related(
            "aliases", _actor_summaries("children", "parent_id"), _citations()
        )

    @extend_schema(
        summary="An actor's timeline",
        description="Events, pledges and statements involving this actor (and, with include_children, its "
        "members), in date order. Takes the timeline's parameters except `actor`.",
        parameters=[_slug_parameter(), FORMAT_PARAMETER, *filter_parameters(filters.TimelineFilter, exclude={"actor"})],
        filters=False,
        responses={(200, "application/json"): serializers.PaginatedTimelineSerializer, **EXPORT_RESPONSES},
    )
    @action(detail=True, methods=["get"], filterset_class=None)
    def timeline(self, request, slug=None):
        actor = get_object_or_404(Actor.objects.only("slug"), slug=slug)
        params = request.query_params.copy()
        params["actor"] = actor.slug
        return TimelineView.respond(self, request, params, filename=f"{actor.slug}-timeline")

    @extend_schema(
        summary="Who an actor stands with and against",
        description="Who this actor supports or opposes and who supports or opposes it, according to which "
        "statements, and the pledges it made or received. include_children=true counts its members too.",
        parameters=[_slug_parameter(), *filter_parameters(filters.ActorFilter, include={"include_children"})],
        filters=False,
        responses=serializers.RelationsSerializer,
    )
    @action(detail=True, methods=["get"], filterset_class=None, pagination_class=None, renderer_classes=RENDERERS[:2])
    def relations(self, request, slug=None):
        filters.check_parameters(request.query_params, {"include_children"})
        actor = get_object_or_404(Actor, slug=slug)
        try:
            include_children = bool(
                StrictBooleanField(required=False).clean(request.query_params.get("include_children"))
            )
        except DjangoValidationError as error:
            raise ValidationError({"include_children": error.messages}) from error
        relations = selectors.actor_relations(actor=actor, include_children=include_children)
        return Response(serializers.RelationsSerializer(relations, context=self.get_serializer_context()).data)


@extend_schema_view(
    list=_listing(
        "List events", "What happened or is scheduled, ordered by date then slug.", serializers.EventSerializer
    ),
    retrieve=_by_slug("Get an event"),
)
class EventViewSet(TrackerViewSet):
    serializer_class = serializers.EventSerializer
    filterset_class = filters.EventFilter
    export_name = "events"

    def get_queryset(self) -> QuerySet[Event]:
        return Event.objects.defer("search_text").prefetch_related(
            Prefetch("participants", queryset=EventParticipant.objects.select_related("actor")),
            _slugs("statements", Statement),
            _slugs("pledges", Pledge),
            _citations(),
        )


@extend_schema_view(
    list=_listing("List statements", "What actors said, ordered by date then slug.", serializers.StatementSerializer),
    retrieve=_by_slug("Get a statement"),
)
class StatementViewSet(TrackerViewSet):
    serializer_class = serializers.StatementSerializer
    filterset_class = filters.StatementFilter
    export_name = "statements"

    def get_queryset(self) -> QuerySet[Statement]:
        return (
            Statement.objects.defer("search_text")
            .select_related("speaker", "stance_target", "event")
            .prefetch_related(_actor_summaries("about"), _slugs("announced_pledges", Pledge), _citations())
        )


@extend_schema_view(
    list=_listing(
        "List pledges", "Commitments and their status, ordered by date then slug.", serializers.PledgeSerializer
    ),
    retrieve=_by_slug("Get a pledge"),
)
class PledgeViewSet(TrackerViewSet):
    serializer_class = serializers.PledgeSerializer
    filterset_class = filters.PledgeFilter
    export_name = "pledges"

    def get_queryset(self) -> QuerySet[Pledge]:
        return (
            Pledge.objects.defer("search_text")
            .select_related("pledger", "beneficiary", "event", "announced_by")
            .prefetch_related(_citations())
        )


@extend_schema_view(
    list=_listing(
        "List deleted records",
        "Tombstones of deleted sources, actors, events, pledges and statements, oldest first, so that a mirror "
        "can replay deletions. Pair with `updated_since` on the lists.",
        serializers.DeletedRecordSerializer,
    )
)
class DeletedRecordViewSet(ExportMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    queryset = DeletedRecord.objects.all()
    serializer_class = serializers.DeletedRecordSerializer
    filterset_class = filters.DeletedRecordFilter
    export_name = "deleted"


class TimelineView(GenericAPIView):
    """One chronological feed of events, pledges and statements."""

    filterset_class = filters.TimelineFilter
    serializer_class = serializers.TimelineItemSerializer
    renderer_classes = RENDERERS

    @extend_schema(
        summary="Timeline",
        description="Events, pledges and statements in one feed, in date order (unknown dates last), then slug. "
        "Takes the same date, actor, source and search parameters as the lists; `type` picks the kinds.",
        parameters=[FORMAT_PARAMETER],
        responses={(200, "application/json"): serializers.TimelineItemSerializer(many=True), **EXPORT_RESPONSES},
    )
    def get(self, request):
        return self.respond(self, request, request.query_params, filename="timeline")

    def get_queryset(self):
        # Only for the schema and the filter backend's introspection; the feed itself comes from selectors.
        return Event.objects.none()

    def filter_queryset(self, queryset):
        return queryset

    @staticmethod
    def respond(view, request, params, *, filename: str) -> Response:
        filters.check_parameters(params, set(filters.TimelineFilter.base_filters))
        checked = selectors.timeline_filter(params)
        if not checked.is_valid():
            raise ValidationError(checked.errors)
        rows = selectors.timeline(params)
        fmt = getattr(request.accepted_renderer, "format", "json")
        fields = serializers.TimelineItemSerializer().fields
        if fmt in ("csv", "ndjson"):
            items = serialized(rows, lambda batch: _timeline_data(batch, request))
            return export_response(fmt=fmt, items=items, fields=fields, filename=filename)
        page = view.paginator.paginate_queryset(rows, request, view=view)
        return view.paginator.get_paginated_response(_timeline_data(page, request))


def _timeline_data(rows, request) -> list[dict]:
    return serializers.TimelineItemSerializer(
        selectors.timeline_items(rows), many=True, context={"request": request}
    ).data
