"""API viewsets. Each get_queryset() loads a record and the records it refers to with only the columns its serializer
reads, and ``related_rows`` its to-many relations, one query each (rows.py); filtering lives in filters.py,
cross-model reads in selectors.py, exports in renderers.py."""

import dataclasses
from urllib.parse import urlencode

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpResponsePermanentRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from knox import views as knox_views
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, UnsupportedMediaType, ValidationError
from rest_framework.generics import GenericAPIView
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.settings import api_settings

from .. import changes, gazetteer, selectors, services
from ..models import (
    Actor,
    ActorAlias,
    Change,
    DeletedRecord,
    Event,
    EventParticipant,
    Place,
    Pledge,
    PledgeStatusChange,
    Source,
    Statement,
)
from . import conditional, filters, renderers, rows, serializers, sparse
from .aggregates import AggregateMixin, aggregate_schema
from .authentication import TokenAuthentication
from .exceptions import PreconditionFailed, PreconditionRequired
from .filters import StrictBooleanField
from .pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, DatedPagination, TrackerPagination
from .parsers import LimitedJSONParser, LimitedMultiPartParser
from .proposals import SourceProposalsMixin
from .renderers import (
    EXPORT_RENDERERS,
    WITHOUT_PLACE_HEADER,
    GeoJSONRenderer,
    export_response,
    geojson_response,
    serialized,
)
from .schema import PAGE_PARAMETERS, filter_parameters

# JSON, and the browsable HTML API where the settings offer it (local and test; production is JSON only).
PAGE_RENDERERS = tuple(api_settings.DEFAULT_RENDERER_CLASSES)
RENDERERS = (*PAGE_RENDERERS, *EXPORT_RENDERERS)
EXPORT_FORMAT_PARAMETER = OpenApiParameter(
    "format",
    str,
    enum=["csv", "ndjson"],
    description="`csv` (the default, or `Accept: text/csv`): flat columns (README, Exports, lists them), each actor "
    "name with its slug in the next column, lists joined with `; `, booleans as `true`/`false`. "
    "`ndjson` (or `Accept: application/x-ndjson`): one JSON record per line.",
)
BOM_PARAMETER = OpenApiParameter(
    "bom",
    OpenApiTypes.BOOL,
    description="`true` starts the CSV with a UTF-8 byte order mark, so that Excel reads its accents right. CSV "
    "only: with `format=ndjson` it is a 400.",
)
EXPORT_RESPONSES = {
    (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="Every matching record as CSV."),
    (200, "application/x-ndjson"): OpenApiResponse(OpenApiTypes.STR, description="One JSON record per line."),
}
UNDATED_HEADER = "X-Undated-Excluded"
EXPORT_DESCRIPTION = (
    "Streams every matching record, unpaginated, with the same filters as the list. `?format=csv` or "
    "`?format=ndjson` on the list answers 308 to this URL with the same query."
)


def _listing(summary: str, description: str, serializer) -> dict:
    return extend_schema(
        summary=summary, description=description, responses={(200, "application/json"): serializer(many=True)}
    )


def _export(what: str) -> dict:
    return extend_schema(
        summary=f"Export {what}",
        description=f"Every matching record. {EXPORT_DESCRIPTION}",
        parameters=[EXPORT_FORMAT_PARAMETER, BOM_PARAMETER],
        responses=EXPORT_RESPONSES,
    )


def _citations_export(what: str) -> dict:
    return extend_schema(
        summary=f"Export the citations of {what}",
        description=f"One row per citation of every {what[:-1]} the filters match (the same filters as the list, in "
        "the list's order): its resource, record, position among the record's citations, source, excerpt and id. "
        "A record's own export gives only the first citation of each record, and how many it has.",
        parameters=[EXPORT_FORMAT_PARAMETER, BOM_PARAMETER],
        responses=EXPORT_RESPONSES,
    )


ACTOR_TIMELINE_PARAMETERS = filter_parameters(filters.TimelineFilter, exclude={"actor"})


def _slug_parameter() -> OpenApiParameter:
    return OpenApiParameter(
        "slug", str, OpenApiParameter.PATH, description="The record's slug, as given in lists and links."
    )


def _by_slug(summary: str, description: str = "") -> dict:
    return extend_schema(summary=summary, description=description, parameters=[_slug_parameter()])


PLACE_SUMMARY = ("slug", "name", "country", "latitude", "longitude", "precision", "geonames_id")


def _columns(
    model, *, summaries: tuple[str, ...] = (), slugs: tuple[str, ...] = (), places: tuple[str, ...] = ()
) -> tuple[str, ...]:
    """A record's own columns but its search document, and of the records it refers to only what the serializer
    reads: slug, name and kind of an actor summary, the slug of a slug reference, a place summary's fields."""
    own = tuple(f.name for f in model._meta.concrete_fields if f.name != "search_text")
    related = [f"{name}__{field}" for name in summaries for field in ("slug", "name", "kind")]
    located = [f"{name}__{field}" for name in places for field in PLACE_SUMMARY]
    return (*own, *related, *(f"{name}__slug" for name in slugs), *located)


# A statement's or pledge's effective place is its own or its event's: both come with the record.
STATEMENT_COLUMNS = (
    *_columns(Statement, summaries=("speaker", "stance_target"), slugs=("event",), places=("place", "event__place")),
    "event__place",
)
PLEDGE_COLUMNS = (
    *_columns(
        Pledge, summaries=("pledger", "beneficiary"), slugs=("event", "announced_by"), places=("place", "event__place")
    ),
    "event__place",
)


class ExportMixin:
    """Lists answer a page of records; `export/` streams every matching record as CSV or NDJSON.

    Records' to-many relations are read as rows (``related_rows``, see rows.py), for a page, an export chunk or a
    single record alike: one query per relation, without building model instances, which was most of what a list
    page cost.
    """

    renderer_classes = RENDERERS
    export_name = "export"
    related_rows: tuple[rows.Relation, ...] = ()
    # Set by the filter backend on lists filtered by date: the records the date filters left out for having no
    # known date (filters.UndatedMixin.undated_excluded).
    undated_queryset = None
    # Lists filtered by date (their pages are DatedPagination's) report undated_excluded, and their exports the
    # X-Undated-Excluded header.
    reports_undated = False

    def get_renderers(self):
        # CSV and NDJSON on a list (or an actor's timeline) only send the client to its export (to_export). Every
        # other operation of the viewset (a record, its citations, history, relations, a write) answers JSON only,
        # as the schema says: a record in CSV would be a different file from the export's, with nothing declaring it.
        if self.action not in ("list", "timeline") and self.renderer_classes is RENDERERS:
            return [renderer() for renderer in PAGE_RENDERERS]
        return super().get_renderers()

    def list(self, request, *args, **kwargs):
        if exporting(request):
            return to_export(request)
        queryset = self.filter_queryset(self.get_queryset())
        context = self.get_serializer_context()
        page = rows.load(self.paginate_queryset(queryset), self.related_rows)
        if isinstance(self.paginator, DatedPagination):
            self.paginator.count_undated(self.undated_queryset)
        names = sparse.chosen(request.query_params)
        data = sparse.thin(self.get_serializer_class()(page, many=True, context=context).data, names)
        return sparse.mark(self.get_paginated_response(data), request, names)

    @action(detail=False, methods=["get"], renderer_classes=EXPORT_RENDERERS, pagination_class=None)
    def export(self, request, *args, **kwargs):
        refuse_paging(request)
        queryset = self.filter_queryset(self.get_queryset())
        serializer_class = self.get_serializer_class()
        context = self.get_serializer_context()
        names = sparse.chosen(request.query_params)
        items = serialized(
            queryset,
            lambda batch: sparse.thin(
                serializer_class(rows.load(batch, self.related_rows), many=True, context=context).data, names
            ),
        )
        columns = sparse.thin_columns(serializer_class().fields, names)
        response = export_response(
            fmt=request.accepted_renderer.format,
            items=items,
            fields=columns,
            filename=self.export_name,
            bom=wants_bom(request),
        )
        if self.reports_undated:
            # The list's pages say it in undated_excluded; a file, which has no envelope, in a header.
            undated = self.undated_queryset
            response[UNDATED_HEADER] = str(0 if undated is None else undated.count())
        return response


def exporting(request) -> bool:
    """Whether a JSON operation was asked for CSV or NDJSON (``?format=`` or Accept), which its export answers."""
    return getattr(request.accepted_renderer, "format", "json") in ("csv", "ndjson")


def to_export(request) -> HttpResponsePermanentRedirect:
    """308 to the export of the same list with the same query, so that links made before exports had their own
    operations keep working, and a client reading the 200 of a list as JSON never gets CSV. A page parameter goes
    along, to the export's 400 that explains it: the schema cannot say that `format` excludes `page`, so a 400 here
    would refuse a request it declares valid."""
    query = request.META.get("QUERY_STRING", "")
    url = request.build_absolute_uri(f"{request.path}export/") + (f"?{query}" if query else "")
    return HttpResponsePermanentRedirect(url, preserve_request=True)


def wants_bom(request) -> bool:
    """``bom=true``: a byte order mark before the CSV. It means nothing to NDJSON, so there it is a 400 rather than
    silently ignored."""
    try:
        bom = bool(StrictBooleanField(required=False).clean(request.query_params.get("bom")))
    except DjangoValidationError as error:
        raise ValidationError({"bom": error.messages}) from error
    if bom and request.accepted_renderer.format != "csv":
        raise ValidationError(
            {
                "bom": [
                    f"A byte order mark is for CSV only; leave bom out with format={request.accepted_renderer.format}."
                ]
            }
        )
    return bom


def refuse_paging(request) -> None:
    """An export is every matching record: a page parameter there would be silently ignored, so it is a 400."""
    paging = sorted({"page", "page_size", "cursor"} & set(request.query_params))
    if paging:
        message = "An export streams every matching record; leave out page, page_size and cursor."
        raise ValidationError({name: [message] for name in paging})


MAX_ID = 2**63 - 1


def etag(record) -> str:
    return f'"{record.version}"'


def if_match(request, record) -> int:
    """The version the client last saw, from If-Match: 428 without the header, 412 if it is not current."""
    header = request.headers.get("If-Match")
    if not header:
        raise PreconditionRequired()
    tags = {tag.strip() for tag in header.split(",")}
    if "*" not in tags and etag(record) not in tags:
        anonymous = [tag for tag in tags if conditional.is_generation_etag(tag)]
        if anonymous:
            # An anonymous read's tag names the data generation and the URL, not a version of this record.
            raise PreconditionFailed(
                f"{', '.join(sorted(anonymous))} is an anonymous reader's tag, not a version: read the record signed "
                f"in (with the token you write with) for its version, now {etag(record)}, and send that in If-Match."
            )
        raise PreconditionFailed(
            f"The record is at ETag {etag(record)}, not {header}; fetch it again and reapply your change."
        )
    if conditional.matches(request, etag(record), exists=True):
        # RFC 9110, 13.1.2: on a write, If-None-Match naming the current version, or "*" (the record exists), is
        # false, and the write is not made.
        raise PreconditionFailed(
            f"If-None-Match names the record's current version ({etag(record)}, or *): the change was asked for "
            "only if the record had changed, so nothing was written."
        )
    return record.version


def _multipart(request) -> bool:
    return (request.content_type or "").split(";")[0].strip().lower() == "multipart/form-data"


def service_kwargs(validated: dict) -> dict:
    """Validated write data as fields of the record's input: the serializers have found the records a slug names,
    and they are passed on as they are, not looked up again."""
    kwargs = {}
    for key, value in validated.items():
        if key == "force":
            continue
        if key == "citations":
            value = [services.CitationData(source=c["source"], excerpt=c["excerpt"]) for c in value]
        elif key == "participants":
            value = [services.ParticipantData(actor=p["actor"], role=p["role"]) for p in value]
        elif key == "country":
            key, value = "country_code", str(value or "")
        kwargs[key] = value
    return kwargs


class HistoryMixin:
    """`{slug}/history/` on a viewset of versioned records (``queryset_model``): the records' resources and places."""

    @extend_schema(
        summary="A record's history",
        description="Every version of the record, newest first: when, who, through which door (API, admin or a "
        "command), which fields changed (references by slug) and which citations, aliases, participants or `about` "
        "actors were added or removed. A deleted record's history stays readable here (see `/deleted/`).",
        parameters=[_slug_parameter()],
        responses=serializers.HistoryEntrySerializer(many=True),
        filters=False,
    )
    @action(detail=True, methods=["get"], filterset_class=None, pagination_class=TrackerPagination)
    def history(self, request, slug=None):
        filters.check_parameters(request.query_params, set())
        rows = selectors.history_rows(self.queryset_model, slug)
        if rows is None:
            raise NotFound(f"No {self.queryset_model._meta.verbose_name} has ever had the slug “{slug}”.")
        entries = selectors.record_history(rows, show_usernames=request.user.is_authenticated)
        page = self.paginate_queryset(entries)
        return self.get_paginated_response(serializers.HistoryEntrySerializer(page, many=True).data)


class TrackerViewSet(HistoryMixin, ExportMixin, viewsets.ModelViewSet):
    """Read for anyone; create, update and delete with the model's permission, If-Match and the services."""

    lookup_field = "slug"
    # Only what a slug can be: anything else (a NUL byte, a dot) is a 404 before any query runs.
    lookup_value_regex = r"[-a-zA-Z0-9_]+"
    write_serializer_class = None
    change_actions = ("citations", "citation_detail", "status")
    http_method_names = ["get", "post", "put", "patch", "delete", "head", "options"]

    def get_serializer_class(self):
        if self.action in ("create", "update", "partial_update"):
            return self.write_serializer_class
        return self.serializer_class

    def get_serializer_context(self):
        context = super().get_serializer_context()
        if self.action in ("create", "update", "partial_update"):
            # A write may send back what a GET returned: its read-only fields are known, and ignored. Only writes
            # need them: building a read serializer's fields on every list page is what compiled plans avoid.
            context["read_fields"] = set(self.record_serializer_class().fields)
        return context

    @property
    def record_serializer_class(self):
        """What a single record is answered with: on a GET of it and after a write."""
        return self.serializer_class

    def retrieve(self, request, *args, **kwargs):
        # Anything else would be silently ignored, and make a fresh cache entry each time; an empty item or a
        # repeated blank in `fields` is a 400 too, as on a list.
        fields = frozenset({sparse.PARAMETER})
        filters.check_parameters(request.query_params, fields, fields, always=filters.UNPAGED)
        known = request.headers.get("If-None-Match")
        if known and request.user.is_authenticated:
            # Answered from the version alone, before the record and its relations are read. Signed-in clients only:
            # an anonymous reader's tag is the data generation's (conditional.py), which also moves when a related
            # record the answer shows (an actor's name, a statement made at an event) changes.
            versions = self.queryset_model.objects.filter(slug=kwargs[self.lookup_field]).values_list("version")
            current = next((f'"{version}"' for (version,) in versions[:1]), None)
            if current is not None and conditional.matches(request, current, exists=True):
                return Response(status=status.HTTP_304_NOT_MODIFIED, headers={"ETag": current})
        # get_object() already loaded the record through get_queryset(): no need to load it again. Its filter
        # backend has checked `fields` against the resource's fields.
        response = self._record_response(self.get_object(), loaded=True)
        names = sparse.chosen(request.query_params)
        response.data = sparse.thin([response.data], names)[0]
        return sparse.mark(response, request, names)

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        record, created = self.create_record(service_kwargs(serializer.validated_data), serializer.validated_data)
        code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
        return self._record_response(record, status=code, location=True)

    def create_record(self, kwargs: dict, validated: dict):
        return services.record_create(data=services.input_for(self.queryset_model, **kwargs)), True

    def update(self, request, *args, **kwargs):
        record = self.get_object()
        expected = if_match(request, record)
        serializer = self.get_serializer(record, data=request.data, partial=kwargs.get("partial", False))
        serializer.is_valid(raise_exception=True)
        changes = service_kwargs(serializer.validated_data)
        self.check_update(record, changes, serializer.validated_data)
        record, _ = services.record_update(record=record, changes=changes, expected_version=expected)
        return self._record_response(record)

    def check_update(self, record, changes: dict, validated: dict) -> None:
        """Per-resource rules on an update, before it is applied."""

    def destroy(self, request, *args, **kwargs):
        record = self.get_object()
        services.record_delete(record=record, expected_version=if_match(request, record))
        return Response(status=status.HTTP_204_NO_CONTENT)

    @property
    def queryset_model(self):
        return self.get_queryset().model

    def handle_exception(self, exc):
        # Only once the record is not found, so that a detail read costs no extra query for the redirect.
        if isinstance(exc, Http404 | NotFound):
            redirect = self.canonical_redirect()
            if redirect is not None:
                return redirect
        return super().handle_exception(exc)

    def canonical_redirect(self) -> HttpResponsePermanentRedirect | None:
        """308 to the same URL (sub-path and query kept) with the canonical slug in place of a case variant (or,
        for actors, an alias), on GET and HEAD: a link stays a link. Other methods keep their 404: a write is
        never sent on to another record."""
        slug = self.kwargs.get(self.lookup_url_kwarg or self.lookup_field)
        if slug is None or self.request.method not in ("GET", "HEAD"):
            return None
        canonical = self.canonical_slug(slug)
        parts = self.request.path.split("/")
        # /api/v1/actors/{slug}/…: the slug's segment follows the list's path.
        index = len(reverse(f"{self.basename}-list").rstrip("/").split("/"))
        if canonical is None or canonical == slug or len(parts) <= index or parts[index] != slug:
            return None
        parts[index] = canonical
        query = self.request.META.get("QUERY_STRING", "")
        url = self.request.build_absolute_uri("/".join(parts)) + (f"?{query}" if query else "")
        return HttpResponsePermanentRedirect(url, preserve_request=True)

    def canonical_slug(self, slug: str) -> str | None:
        """The slug a record is known by, for a slug given in another case (slugs are lower-case)."""
        return self.queryset_model.objects.filter(slug=slug.lower()).values_list("slug", flat=True).first()

    def _record_response(self, record, *, status=status.HTTP_200_OK, location=False, loaded=False) -> Response:
        # After a write, reload through get_queryset() so that the new version is current. The related rows are read
        # here, on an instance that is only serialized: rows.py puts them where the relation's manager looks.
        fresh = record if loaded else self.get_queryset().get(pk=record.pk)
        rows.load([fresh], self.related_rows)
        data = self.record_serializer_class(fresh, context=self.get_serializer_context()).data
        headers = {"ETag": etag(fresh)}
        if location:
            # str(): DRF's Hyperlink is a str subclass, which WSGI servers refuse as a header value.
            headers["Location"] = str(data["api_url"])
        return Response(data, status=status, headers=headers)

    @action(
        detail=False,
        methods=["get"],
        url_path="citations/export",
        url_name="citations-export",
        renderer_classes=EXPORT_RENDERERS,
        pagination_class=None,
    )
    def citations_export(self, request, *args, **kwargs):
        """Every citation of the records the list's filters match, one row each (the decision of issue 14: a
        separate export rather than numbered columns, whose number would vary with the data)."""
        refuse_paging(request)
        bom = wants_bom(request)
        records = self.filter_queryset(self.get_queryset())
        response = export_response(
            fmt=request.accepted_renderer.format,
            items=selectors.citation_rows(
                self.queryset_model._meta.model_name, records, chunk_size=renderers.EXPORT_CHUNK_SIZE
            ),
            fields=serializers.CitationRowSerializer().fields,
            filename=f"{self.export_name}-citations",
            bom=bom,
        )
        if self.reports_undated:
            # As the records' own export: the citations of records a date filter left out are not in it either.
            undated = self.undated_queryset
            response[UNDATED_HEADER] = str(0 if undated is None else undated.count())
        return response

    @extend_schema(
        methods=["GET"],
        summary="List a record's citations",
        description="The record's citations with their ids.",
        parameters=[_slug_parameter()],
        responses=serializers.CitationDetailSerializer(many=True),
        filters=False,
    )
    @extend_schema(
        methods=["POST"],
        summary="Add a citation",
        description="Adds one citation ({source, excerpt}, the excerpt verbatim in the source) and answers it. "
        "If-Match is optional here and checked when sent. Needs the change permission.",
        parameters=[_slug_parameter()],
        request=serializers.CitationWriteSerializer,
        responses={201: serializers.CitationDetailSerializer},
        filters=False,
    )
    @action(detail=True, methods=["get", "post"], filterset_class=None, pagination_class=None)
    def citations(self, request, slug=None):
        record = get_object_or_404(self.queryset_model, slug=slug)
        if request.method == "POST":
            expected = if_match(request, record) if request.headers.get("If-Match") else None
            incoming = serializers.CitationWriteSerializer(data=request.data)
            incoming.is_valid(raise_exception=True)
            citation = services.citation_add(record=record, expected_version=expected, **incoming.validated_data)
            record.refresh_from_db(fields=["version"])
            data = serializers.CitationDetailSerializer(citation).data
            return Response(data, status=status.HTTP_201_CREATED, headers={"ETag": etag(record)})
        filters.check_parameters(request.query_params, set(), always=filters.UNPAGED)
        citations = record.citations.select_related("source").defer("source__text")
        return Response(serializers.CitationDetailSerializer(citations, many=True).data)

    @extend_schema(
        summary="Remove a citation",
        description="Removes one citation; needs If-Match with the record's ETag. An event, pledge or statement "
        "keeps at least one citation.",
        parameters=[
            _slug_parameter(),
            OpenApiParameter("citation_id", int, OpenApiParameter.PATH, description="The citation's id."),
        ],
        responses={204: None},
        filters=False,
    )
    @action(
        detail=True,
        methods=["delete"],
        url_path=r"citations/(?P<citation_id>[0-9]+)",
        filterset_class=None,
        pagination_class=None,
    )
    def citation_detail(self, request, slug=None, citation_id=None):
        record = get_object_or_404(self.queryset_model, slug=slug)
        if int(citation_id) > MAX_ID:
            raise NotFound("No such citation.")
        citation = get_object_or_404(record.citations, pk=citation_id)
        services.citation_remove(citation=citation, expected_version=if_match(request, record))
        record.refresh_from_db(fields=["version"])
        return Response(status=status.HTTP_204_NO_CONTENT, headers={"ETag": etag(record)})


SOURCE_JSON_ONLY = {"application/json": serializers.SourceWriteSerializer}


@extend_schema_view(
    list=_listing("List sources", "News articles, without their full text.", serializers.SourceSerializer),
    retrieve=_by_slug("Get a source", "One article, with its full text and sha256."),
    export=_export("sources"),
    create=extend_schema(
        description="Adds an article with its full text and metadata: as JSON with `text`, or as "
        "multipart/form-data with the article as the `file` part (UTF-8 plain text; anything else is a 415) and "
        "the metadata as fields. The slug, if left out, is made from the title. The same text (sha256) or URL "
        "(scheme, host case, trailing slash and tracking parameters aside) as an existing source is a 409 naming "
        "it; a text sharing at least half of its five-word sequences with an existing source is a 409 "
        "`near_duplicate` naming it with the share, saved only with `force`.",
        request={
            "application/json": serializers.SourceWriteSerializer,
            "multipart/form-data": serializers.SourceUploadSerializer,
        },
    ),
    update=extend_schema(request=SOURCE_JSON_ONLY),
    partial_update=extend_schema(request=SOURCE_JSON_ONLY),
)
class SourceViewSet(SourceProposalsMixin, TrackerViewSet):
    pagination_class = DatedPagination
    reports_undated = True
    serializer_class = serializers.SourceSerializer
    write_serializer_class = serializers.SourceWriteSerializer
    record_serializer_class = serializers.SourceDetailSerializer
    filterset_class = filters.SourceFilter
    export_name = "sources"
    # An article may come as a file; every other write, and every other resource, is JSON only.
    parser_classes = (LimitedJSONParser, LimitedMultiPartParser)
    # A source is cited, it does not cite: its citations belong to the records they support, and are added and
    # removed there (with that record's permission, version and history).
    citations = None
    citation_detail = None
    citations_export = None

    def get_serializer_class(self):
        if self.action == "create" and _multipart(self.request):
            return serializers.SourceUploadSerializer
        return super().get_serializer_class()

    def update(self, request, *args, **kwargs):
        if _multipart(request):
            raise UnsupportedMediaType(request.content_type, "A source is changed with a JSON body.")
        return super().update(request, *args, **kwargs)

    def create_record(self, kwargs: dict, validated: dict):
        data = services.input_for(Source, **kwargs)
        return services.source_create(data=data, force=validated.get("force", False)), True

    def get_queryset(self) -> QuerySet[Source]:
        queryset = Source.objects.all()
        # Lists never carry the full text; a single source always does.
        return queryset.defer("text", "search_text") if self.action in ("list", "export") else queryset


@extend_schema_view(
    list=_listing(
        "List actors", "States, organisations, forces, groups, people and outlets.", serializers.ActorSerializer
    ),
    retrieve=_by_slug("Get an actor"),
    export=_export("actors"),
    citations_export=_citations_export("actors"),
)
class ActorViewSet(TrackerViewSet):
    serializer_class = serializers.ActorSerializer
    write_serializer_class = serializers.ActorWriteSerializer
    filterset_class = filters.ActorFilter
    export_name = "actors"

    related_rows = (
        rows.Relation("aliases", ActorAlias.objects.all, "actor_id", {"name": "name"}),
        rows.Relation("children", Actor.objects.all, "parent_id", rows.actor_summary("").columns),
        rows.citations("actor_id"),
    )

    def get_queryset(self) -> QuerySet[Actor]:
        return Actor.objects.select_related("parent").defer("search_text", "parent__search_text")

    def canonical_slug(self, slug: str) -> str | None:
        """An actor is also found by a name or alias, as every actor filter finds it (`washington`, or
        `white-house` for "White House"), when no actor has the slug in any case."""
        found = super().canonical_slug(slug)
        if found is not None:
            return found
        matches = Actor.objects.ids_by_reference([slug, slug.replace("-", " ")])
        ids = set().union(*matches.values()) if matches else set()
        return Actor.objects.filter(pk=ids.pop()).values_list("slug", flat=True).first() if len(ids) == 1 else None

    def create_record(self, kwargs: dict, validated: dict):
        # force confirms a name that only resembles another actor's; a name that reads the same as another's is
        # refused whatever it says (409 naming the actor), on update too, since actor_upsert checks every write.
        data = services.input_for(Actor, **kwargs)
        return services.actor_create(data=data, force=validated.get("force", False)), True

    @extend_schema(
        summary="An actor's timeline",
        description="Events, pledges and statements involving this actor (and, with include_children, its "
        "members), in date order. Takes the timeline's parameters except `actor`.",
        parameters=[_slug_parameter(), *PAGE_PARAMETERS, *ACTOR_TIMELINE_PARAMETERS],
        filters=False,
        responses={(200, "application/json"): serializers.PaginatedTimelineSerializer},
    )
    @action(detail=True, methods=["get"], filterset_class=None, pagination_class=DatedPagination)
    def timeline(self, request, slug=None):
        return self._actor_timeline(request, slug, export=False)

    @extend_schema(
        summary="Export an actor's timeline",
        description=f"Every item of the actor's timeline. {EXPORT_DESCRIPTION}",
        parameters=[_slug_parameter(), EXPORT_FORMAT_PARAMETER, BOM_PARAMETER, *ACTOR_TIMELINE_PARAMETERS],
        filters=False,
        responses=EXPORT_RESPONSES,
    )
    @action(
        detail=True,
        methods=["get"],
        url_path="timeline/export",
        url_name="timeline-export",
        filterset_class=None,
        pagination_class=None,
        renderer_classes=EXPORT_RENDERERS,
    )
    def timeline_export(self, request, slug=None):
        return self._actor_timeline(request, slug, export=True)

    def _actor_timeline(self, request, slug: str, *, export: bool) -> Response:
        actor = get_object_or_404(Actor.objects.only("slug"), slug=slug)
        params = request.query_params.copy()
        params["actor"] = actor.slug
        return TimelineView.respond(self, request, params, filename=f"{actor.slug}-timeline", export=export)

    @extend_schema(
        summary="Who an actor stands with and against",
        description="Who this actor supports or opposes and who supports or opposes it, according to which "
        "statements, and the pledges it made or received. include_children=true counts its members too.",
        parameters=[_slug_parameter(), *filter_parameters(filters.ActorFilter, include={"include_children"})],
        filters=False,
        responses=serializers.RelationsSerializer,
    )
    @action(detail=True, methods=["get"], filterset_class=None, pagination_class=None, renderer_classes=PAGE_RENDERERS)
    def relations(self, request, slug=None):
        filters.check_parameters(request.query_params, {"include_children"}, always=filters.UNPAGED)
        actor = get_object_or_404(Actor, slug=slug)
        try:
            include_children = bool(
                StrictBooleanField(required=False).clean(request.query_params.get("include_children"))
            )
        except DjangoValidationError as error:
            raise ValidationError({"include_children": error.messages}) from error
        relations = selectors.actor_relations(actor=actor, include_children=include_children)
        return Response(serializers.RelationsSerializer(relations, context=self.get_serializer_context()).data)


EVENT_EXPORT_FORMAT_PARAMETER = OpenApiParameter(
    "format",
    str,
    enum=["csv", "ndjson", "geojson"],
    description=f"{EXPORT_FORMAT_PARAMETER.description} `geojson` (or `Accept: application/geo+json`): one "
    "FeatureCollection (RFC 7946), a Point feature per event that has a place; how many matching events have none "
    f"is said in the `{WITHOUT_PLACE_HEADER}` header and the collection's `without_place` member.",
)


@extend_schema_view(
    list=_listing(
        "List events", "What happened or is scheduled, ordered by date then slug.", serializers.EventSerializer
    ),
    retrieve=_by_slug("Get an event"),
    export=extend_schema(
        summary="Export events",
        description=f"Every matching record. {EXPORT_DESCRIPTION} As GeoJSON, events without a place are left "
        f"out and counted in `{WITHOUT_PLACE_HEADER}`.",
        parameters=[EVENT_EXPORT_FORMAT_PARAMETER, BOM_PARAMETER],
        responses={
            **EXPORT_RESPONSES,
            (200, "application/geo+json"): OpenApiResponse(
                OpenApiTypes.OBJECT,
                description="A GeoJSON FeatureCollection of the matching events that have a place.",
            ),
        },
    ),
    aggregate=aggregate_schema(Event, "events"),
    citations_export=_citations_export("events"),
)
class EventViewSet(AggregateMixin, TrackerViewSet):
    pagination_class = DatedPagination
    reports_undated = True
    serializer_class = serializers.EventSerializer
    write_serializer_class = serializers.EventWriteSerializer
    filterset_class = filters.EventFilter
    export_name = "events"

    # Events have places, so their export is also a map: GeoJSON beside CSV and NDJSON.
    @action(detail=False, methods=["get"], renderer_classes=(*EXPORT_RENDERERS, GeoJSONRenderer), pagination_class=None)
    def export(self, request, *args, **kwargs):
        if request.accepted_renderer.format != GeoJSONRenderer.format:
            return super().export(request, *args, **kwargs)
        refuse_paging(request)
        wants_bom(request)  # bom=true is a 400 here as with NDJSON: a map is not a spreadsheet
        queryset = self.filter_queryset(self.get_queryset())
        context = self.get_serializer_context()
        items = serialized(
            queryset.filter(place__isnull=False),
            lambda batch: self.serializer_class(rows.load(batch, self.related_rows), many=True, context=context).data,
        )
        without = queryset.filter(place__isnull=True).count()
        response = geojson_response(items=items, without_place=without, filename=self.export_name)
        undated = self.undated_queryset  # the map, as every export, says what a date filter left out
        response[UNDATED_HEADER] = str(0 if undated is None else undated.count())
        return response

    related_rows = (
        rows.Relation(
            "participants",
            EventParticipant.objects.all,
            "event_id",
            {"role": "role", "actor": rows.actor_summary("actor__")},
        ),
        rows.slugs("statements", Statement, "event_id"),
        rows.slugs("pledges", Pledge, "event_id"),
        rows.citations("event_id"),
    )

    def get_queryset(self) -> QuerySet[Event]:
        return Event.objects.defer("search_text").select_related("place")


@extend_schema_view(
    list=_listing("List statements", "What actors said, ordered by date then slug.", serializers.StatementSerializer),
    retrieve=_by_slug("Get a statement"),
    export=_export("statements"),
    aggregate=aggregate_schema(Statement, "statements"),
    citations_export=_citations_export("statements"),
)
class StatementViewSet(AggregateMixin, TrackerViewSet):
    pagination_class = DatedPagination
    reports_undated = True
    serializer_class = serializers.StatementSerializer
    write_serializer_class = serializers.StatementWriteSerializer
    filterset_class = filters.StatementFilter
    export_name = "statements"

    related_rows = (
        rows.Relation(
            "about",
            Statement.about.through.objects.all,
            "statement_id",
            rows.actor_summary("actor__").columns,
            order=("actor__slug",),
        ),
        rows.Relation(
            "reported_by",
            Statement.reported_by.through.objects.all,
            "statement_id",
            rows.actor_summary("actor__").columns,
            order=("actor__slug",),
        ),
        rows.slugs("announced_pledges", Pledge, "announced_by_id"),
        rows.citations("statement_id"),
    )

    def get_queryset(self) -> QuerySet[Statement]:
        return Statement.objects.select_related("speaker", "stance_target", "event", "place", "event__place").only(
            *STATEMENT_COLUMNS
        )

    def create_record(self, kwargs: dict, validated: dict):
        data = services.input_for(Statement, **kwargs)
        return services.statement_create(data=data, force=validated.get("force", False)), True


@extend_schema_view(
    list=_listing(
        "List pledges", "Commitments and their status, ordered by date then slug.", serializers.PledgeSerializer
    ),
    retrieve=_by_slug("Get a pledge"),
    export=_export("pledges"),
    aggregate=aggregate_schema(Pledge, "pledges"),
    citations_export=_citations_export("pledges"),
)
class PledgeViewSet(AggregateMixin, TrackerViewSet):
    pagination_class = DatedPagination
    reports_undated = True
    serializer_class = serializers.PledgeSerializer
    write_serializer_class = serializers.PledgeWriteSerializer
    filterset_class = filters.PledgeFilter
    export_name = "pledges"
    create_may_merge = True

    related_rows = (
        rows.citations("pledge_id"),
        rows.Relation(
            "status_changes",
            PledgeStatusChange.objects.all,
            "pledge_id",
            {
                "status": "status",
                "date": "date",
                "quantity_delivered": "quantity_delivered",
                "note": "note",
                "created_at": "created_at",
                "citation": rows.Nested(
                    {"source": rows.Nested({"slug": "citation__source__slug"}), "excerpt": "citation__excerpt"},
                    null_when="citation_id",
                ),
            },
        ),
    )

    def get_queryset(self) -> QuerySet[Pledge]:
        return Pledge.objects.select_related(
            "pledger", "beneficiary", "event", "announced_by", "place", "event__place"
        ).only(*PLEDGE_COLUMNS)

    def create_record(self, kwargs: dict, validated: dict):
        data = services.input_for(Pledge, **kwargs)
        pledge, outcome = services.pledge_create(data=data, force=validated.get("force", False))
        return pledge, outcome == "created"

    @extend_schema(
        summary="Change a pledge's status",
        description="Moves the pledge to a new status as of a date, on the evidence of a verbatim excerpt; the step "
        "joins the pledge's status_history. Needs If-Match with the pledge's ETag and the change permission.",
        parameters=[_slug_parameter()],
        request=serializers.StatusChangeWriteSerializer,
        responses={201: serializers.PledgeSerializer},
        filters=False,
    )
    @action(detail=True, methods=["post"], filterset_class=None, pagination_class=None)
    def status(self, request, slug=None):
        pledge = get_object_or_404(Pledge, slug=slug)
        expected = if_match(request, pledge)
        incoming = serializers.StatusChangeWriteSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        services.pledge_status_change(pledge=pledge, expected_version=expected, **incoming.validated_data)
        return self._record_response(pledge, status=status.HTTP_201_CREATED)


@extend_schema_view(
    list=_listing(
        "List places",
        "The places records refer to, by slug: cities from the gazetteer (with their GeoNames id) and regions or "
        "sites an editor entered with coordinates. `suggest/` looks a name up in the gazetteer.",
        serializers.PlaceSerializer,
    ),
    retrieve=_by_slug("Get a place"),
    create=extend_schema(
        summary="Add a place",
        description="Stores a place an editor chose: a gazetteer candidate's `body` from `suggest/`, or a region or "
        "site entered with coordinates and a `note` saying where they come from. One place per GeoNames id.",
    ),
)
class PlaceViewSet(
    HistoryMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Places: read by anyone; added by editors (the admin corrects them), always through the services."""

    queryset = Place.objects.all()
    queryset_model = Place
    serializer_class = serializers.PlaceSerializer
    record_serializer_class = serializers.PlaceSerializer
    filterset_class = filters.PlaceFilter
    renderer_classes = PAGE_RENDERERS
    lookup_field = "slug"
    lookup_value_regex = TrackerViewSet.lookup_value_regex
    http_method_names = ["get", "post", "head", "options"]

    def get_serializer_class(self):
        return serializers.PlaceWriteSerializer if self.action == "create" else self.serializer_class

    def get_serializer_context(self):
        context = super().get_serializer_context()
        if self.action == "create":
            context["read_fields"] = set(self.serializer_class().fields)
        return context

    def retrieve(self, request, *args, **kwargs):
        filters.check_parameters(request.query_params, set(), always=filters.UNPAGED)
        place = self.get_object()
        if request.user.is_authenticated and conditional.matches(request, etag(place), exists=True):
            return Response(status=status.HTTP_304_NOT_MODIFIED, headers={"ETag": etag(place)})
        return Response(self.get_serializer(place).data, headers={"ETag": etag(place)})

    def create(self, request, *args, **kwargs):
        incoming = self.get_serializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        place = services.place_create(data=services.input_for(Place, **service_kwargs(incoming.validated_data)))
        data = self.serializer_class(place, context=self.get_serializer_context()).data
        headers = {"ETag": etag(place), "Location": str(data["api_url"])}
        return Response(data, status=status.HTTP_201_CREATED, headers=headers)

    @extend_schema(
        summary="Suggest places from the gazetteer",
        description="Cities of GeoNames (15,000 people or more, shipped with the tracker, never fetched) whose name "
        "or an alternate name is `q`, accents and case aside, then those with a name beginning with it; most "
        f"populous first, at most {gazetteer.MAX_SUGGESTIONS}. A suggestion is only a candidate: its `place` names "
        "the stored place for it, else its `body` is what to POST to this list to store it. Regions and territories "
        "(the Gaza Strip, the West Bank) are not in the gazetteer: enter them with coordinates.",
        parameters=[
            OpenApiParameter(
                "q",
                {"type": "string", "minLength": gazetteer.MIN_QUERY_LENGTH, "maxLength": 200},
                required=True,
                description="The name to look up, e.g. `Brussels` or `Bruxelles`.",
            ),
            OpenApiParameter(
                "country",
                {"type": "string", "pattern": "^[A-Za-z]{2}$"},
                description="Only cities in this country (ISO 3166-1 alpha-2).",
            ),
        ],
        responses=serializers.PlaceSuggestionSerializer(many=True),
        filters=False,
    )
    @action(detail=False, methods=["get"], filterset_class=None, pagination_class=None)
    def suggest(self, request):
        filters.check_parameters(request.query_params, {"q", "country"})
        query, country = request.query_params.get("q", ""), request.query_params.get("country", "")
        # The suggestions are one short list, best first: a page parameter would be ignored, so it is refused.
        errors = {
            name: [f"The suggestions are not paged: at most {gazetteer.MAX_SUGGESTIONS} come, best first."]
            for name in sorted({"page", "page_size", "cursor"} & set(request.query_params))
        }
        if "\x00" in query:
            errors["q"] = ["Null characters are not allowed."]
        elif len(gazetteer.key(query)) < gazetteer.MIN_QUERY_LENGTH or len(query) > 200:
            errors["q"] = [f"Give a name of {gazetteer.MIN_QUERY_LENGTH} to 200 characters to look up."]
        if country and (len(country) != 2 or not country.isascii() or not country.isalpha()):
            errors["country"] = ["An ISO 3166-1 alpha-2 code, e.g. BE."]
        if errors:
            raise ValidationError(errors)
        candidates = gazetteer.suggest(query, country=country)
        stored = dict(
            Place.objects.filter(geonames_id__in=[c.geonames_id for c in candidates]).values_list("geonames_id", "slug")
        )
        suggestions = []
        for candidate in candidates:
            body = None
            if candidate.geonames_id not in stored:
                body = services.place_fields(services.place_from_gazetteer(geonames_id=candidate.geonames_id))
            suggestions.append(
                {
                    **dataclasses.asdict(candidate),
                    "precision": Place.Precision.CITY,
                    "place": stored.get(candidate.geonames_id),
                    "body": body,
                }
            )
        return Response(serializers.PlaceSuggestionSerializer(suggestions, many=True).data)


@extend_schema_view(
    list=_listing(
        "List deleted records",
        "Tombstones of deleted sources, actors, events, pledges and statements, oldest first, so that a mirror "
        "can replay deletions. Pair with `updated_since` on the lists.",
        serializers.DeletedRecordSerializer,
    ),
    export=_export("deleted records"),
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
    pagination_class = DatedPagination

    @extend_schema(
        summary="Timeline",
        description="Events, pledges and statements in one feed, in date order (unknown dates last), then slug. "
        "Takes the same date, actor, source and search parameters as the lists; `type` picks the kinds.",
        responses={(200, "application/json"): serializers.TimelineItemSerializer(many=True)},
    )
    def get(self, request):
        return self.respond(self, request, request.query_params, filename="timeline", export=False)

    def get_queryset(self):
        # Only for the schema and the filter backend's introspection; the feed itself comes from selectors.
        return Event.objects.none()

    def filter_queryset(self, queryset):
        return queryset

    @staticmethod
    def respond(view, request, params, *, filename: str, export: bool) -> Response:
        if not export and exporting(request):
            return to_export(request)
        several = filters.several_valued(filters.TimelineFilter)
        options = filters.EXPORT_OPTIONS if export else frozenset()
        filters.check_parameters(params, set(filters.TimelineFilter.base_filters) | options, several)
        params = filters.joined(params, several)
        checked = selectors.timeline_filter(params)
        if not checked.is_valid():
            raise ValidationError(checked.errors)
        timeline = selectors.timeline(params, checked=checked)
        undated = selectors.timeline_undated(params, checked=checked)
        names = sparse.chosen(params)
        if export:
            refuse_paging(request)
            bom = wants_bom(request)
            items = serialized(timeline, lambda batch: sparse.thin(_timeline_data(batch, request), names))
            fields = sparse.thin_columns(serializers.TimelineItemSerializer().fields, names)
            response = export_response(
                fmt=request.accepted_renderer.format, items=items, fields=fields, filename=filename, bom=bom
            )
            response[UNDATED_HEADER] = str(0 if undated is None else undated.count())
            return response
        page = view.paginator.paginate_queryset(timeline, request, view=view)
        view.paginator.count_undated(undated)
        data = sparse.thin(_timeline_data(page, request), names)
        return sparse.mark(view.paginator.get_paginated_response(data), request, names)


class TimelineExportView(TimelineView):
    """The timeline, every matching item, as CSV or NDJSON."""

    renderer_classes = EXPORT_RENDERERS
    pagination_class = None
    exports = True

    @extend_schema(
        summary="Export the timeline",
        description=f"Every matching item of the timeline. {EXPORT_DESCRIPTION}",
        parameters=[EXPORT_FORMAT_PARAMETER, BOM_PARAMETER],
        responses=EXPORT_RESPONSES,
    )
    def get(self, request):
        return self.respond(self, request, request.query_params, filename="timeline", export=True)


def _timeline_data(rows, request) -> list[dict]:
    return serializers.TimelineItemSerializer(
        selectors.timeline_items(rows), many=True, context={"request": request}
    ).data


CHANGES_PARAMETERS = [
    OpenApiParameter(
        "since",
        OpenApiTypes.DATETIME,
        description="Start with the first change made at or after this time (ISO 8601, e.g. `2025-11-21T00:00:00Z`; "
        "without a zone, UTC). A load still running then is included whole.",
    ),
    OpenApiParameter(
        "since_id",
        {"type": "integer", "minimum": 0, "maximum": MAX_ID},
        description="Start after the entry with this `sequence`: what `next` carries, for exact resumption. Not "
        "with `since`. Neither: from the first change.",
    ),
    OpenApiParameter(
        "page_size",
        {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE, "default": DEFAULT_PAGE_SIZE},
        description=f"Entries per page, from 1 to {MAX_PAGE_SIZE} (default {DEFAULT_PAGE_SIZE}).",
    ),
]
CHANGES_EXAMPLE = {
    "results": [
        {
            "sequence": 1,
            "time": "2025-11-21T09:00:00.000000Z",
            "type": "loaded",
            "resource": None,
            "slug": None,
            "version": None,
            "user": None,
            "origin": "command load_story",
            "changes": [],
            "records": [
                {"resource": "source", "slug": "isf-deploy-very-soon-trump", "type": "created", "version": 1},
                {"resource": "actor", "slug": "france", "type": "created", "version": 1},
            ],
        },
        {
            "sequence": 106,
            "time": "2025-11-21T10:12:31.204518Z",
            "type": "changed",
            "resource": "actor",
            "slug": "turkey",
            "version": 2,
            "user": "Maria Editor",
            "origin": "API",
            "changes": [{"field": "description", "old": "", "new": "A NATO member bordering Syria."}],
            "records": [],
        },
    ],
    "next": "http://127.0.0.1:8000/api/v1/changes/?since_id=106",
    "has_more": False,
    "settled_until": "2025-11-21T10:15:00.000000Z",
}


class ChangesView(GenericAPIView):
    """The change feed: every created, changed and deleted record, in one sequence (events/changes.py)."""

    renderer_classes = PAGE_RENDERERS
    pagination_class = None
    filter_backends = ()
    serializer_class = serializers.ChangesPageSerializer
    # For the permission class, which reads the model a view is about: the feed is read by anyone, as /history/.
    queryset = Change.objects.none()

    @extend_schema(
        summary="What changed",
        description="Every source, actor, event, statement and pledge created, changed or deleted, across "
        "resources, in the order the changes were made (a sequence, not timestamps), each with the fields that "
        "changed, as the record's `/history/` tells it (citations, aliases, participants and `about` as relations; "
        "a pledge's status steps as its status fields). A bulk load is one `loaded` entry listing the records it "
        "wrote. Only settled changes are served: those written at least `TRACKER_CHANGES_SETTLE_SECONDS` before the "
        "oldest write still in progress, so that following `next` never skips a change that commits late.",
        parameters=CHANGES_PARAMETERS,
        filters=False,
        responses={(200, "application/json"): serializers.ChangesPageSerializer},
        examples=[OpenApiExample("A load, then an edit", value=CHANGES_EXAMPLE, response_only=True)],
    )
    def get(self, request):
        params = request.query_params
        filters.check_parameters(params, {"since", "since_id", "page_size"})
        paging = sorted({"page", "cursor"} & set(params))
        if paging:
            raise ValidationError({name: ["The change feed continues with since_id (see next)."] for name in paging})
        checked = serializers.ChangesQuerySerializer(data=params)
        checked.is_valid(raise_exception=True)
        query = checked.validated_data
        settled = changes.horizon()
        if "since" in query:
            after = changes.start_after(query["since"], settled)
        else:
            after = query.get("since_id", 0)
        size = query.get("page_size", DEFAULT_PAGE_SIZE)
        page = changes.feed_page(after=after, size=size, show_usernames=request.user.is_authenticated, settled=settled)
        following = {"since_id": page.last, **({"page_size": size} if "page_size" in params else {})}
        data = {
            "results": page.entries,
            "next": request.build_absolute_uri(f"{request.path}?{urlencode(following)}"),
            "has_more": page.more,
            "settled_until": page.horizon,
        }
        return Response(serializers.ChangesPageSerializer(data).data)


@extend_schema(
    summary="Get an API token",
    description="POST a username and password (form or JSON) to receive a new token. Send it on writes as "
    "`Authorization: Token <key>` or `Authorization: Bearer <key>`. Each call issues a new token, which expires "
    "after the configured time (`expiry`); the server stores only its digest, so it cannot be shown again. Repeated "
    "failed logins lock the account out for a while from that address.",
    # The view also reads forms, but one media type per body keeps generated clients sound: with three sharing
    # one component, openapi-python-client 0.29.1 writes a token function that does not even import.
    request={"application/json": serializers.TokenRequestSerializer},
    responses=serializers.TokenResponseSerializer,
)
class TokenView(knox_views.LoginView):
    """knox's LoginView issues the token; the caller proves who it is here, by password, through Django's
    authenticate(), so that django-axes counts every failure and locks out repeated ones."""

    authentication_classes = ()
    permission_classes = ()
    renderer_classes = (JSONRenderer,)
    # The API's JSON parser (size limit, nesting depth), not DRF's plain one.
    parser_classes = (FormParser, MultiPartParser, LimitedJSONParser)

    def post(self, request, format=None):
        credentials = serializers.TokenRequestSerializer(data=request.data, context={"request": request})
        credentials.is_valid(raise_exception=True)
        request.user = credentials.validated_data["user"]
        return super().post(request, format=format)


@extend_schema(
    summary="Revoke the token",
    description="Revokes the token this request is authenticated with; other tokens of the account stay valid.",
    request=None,
    responses={204: None},
)
class TokenRevokeView(knox_views.LogoutView):
    authentication_classes = (TokenAuthentication,)
    renderer_classes = (JSONRenderer,)
