"""Read serializers for the API. Each list view prefetches exactly what these need (see views.py)."""

import datetime

from django.urls import reverse as django_reverse
from django_countries.serializers import CountryFieldMixin
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from .dates import DatePrecision
from .models import Actor, Citation, DeletedRecord, Event, EventParticipant, Pledge, Source, Statement

TIMESTAMPS = ("created_at", "updated_at")
DATE_FIELDS = ("date", "date_precision", "date_end", "date_note")


class ApiUrlField(serializers.HyperlinkedIdentityField):
    """The record's canonical API URL, without the query string (a `?format=csv` export links to the JSON)."""

    def get_url(self, obj, view_name, request, format):
        return api_url(view_name, obj.slug, request)


def api_url(view_name: str, slug: str, request) -> str:
    path = django_reverse(view_name, kwargs={"slug": slug})
    return request.build_absolute_uri(path) if request is not None else path


def _api_url(view_name: str) -> ApiUrlField:
    return ApiUrlField(view_name=view_name, lookup_field="slug", help_text="URL of this record in the API.")


def _slugs(help_text: str) -> serializers.SlugRelatedField:
    return serializers.SlugRelatedField(slug_field="slug", many=True, read_only=True, help_text=help_text)


def _slug(help_text: str) -> serializers.SlugRelatedField:
    return serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True, help_text=help_text)


class ActorSummarySerializer(serializers.ModelSerializer):
    api_url = _api_url("actor-detail")

    class Meta:
        model = Actor
        fields = ("slug", "name", "kind", "api_url")


class CitationSerializer(serializers.ModelSerializer):
    source = serializers.SlugRelatedField(
        slug_field="slug", read_only=True, help_text="Slug of the cited source (see /api/v1/sources/{slug}/)."
    )

    class Meta:
        model = Citation
        fields = ("source", "excerpt")


class CitedSerializer(serializers.ModelSerializer):
    citations = CitationSerializer(
        many=True, read_only=True, help_text="Evidence: excerpts that stand verbatim in their sources' texts."
    )


class SourceSerializer(serializers.ModelSerializer):
    api_url = _api_url("source-detail")

    class Meta:
        model = Source
        fields = (
            "slug",
            "api_url",
            "title",
            "publisher",
            "byline",
            "url",
            "seed_file",
            *DATE_FIELDS,
            "sha256",
            *TIMESTAMPS,
        )


class SourceDetailSerializer(SourceSerializer):
    class Meta(SourceSerializer.Meta):
        fields = (*SourceSerializer.Meta.fields, "text")


class ActorSerializer(CountryFieldMixin, CitedSerializer):
    api_url = _api_url("actor-detail")
    aliases = serializers.SlugRelatedField(
        slug_field="name", many=True, read_only=True, help_text="Other names the sources use for this actor."
    )
    parent = ActorSummarySerializer(read_only=True, allow_null=True, help_text="What this actor belongs to.")
    children = ActorSummarySerializer(many=True, read_only=True, help_text="Actors that belong to this one.")

    class Meta:
        model = Actor
        fields = (
            "slug",
            "api_url",
            "name",
            "kind",
            "aliases",
            "country",
            "title",
            "parent",
            "children",
            "description",
            "citations",
            *TIMESTAMPS,
        )


class ParticipantSerializer(serializers.ModelSerializer):
    actor = ActorSummarySerializer(read_only=True, help_text="The participating actor.")

    class Meta:
        model = EventParticipant
        fields = ("actor", "role")


class EventSerializer(CountryFieldMixin, CitedSerializer):
    api_url = _api_url("event-detail")
    participants = ParticipantSerializer(many=True, read_only=True, help_text="Actors taking part, with roles.")
    statements = _slugs("Slugs of statements made at or belonging to this event.")
    pledges = _slugs("Slugs of pledges made at this event.")

    class Meta:
        model = Event
        fields = (
            "slug",
            "api_url",
            "title",
            "description",
            "event_type",
            "status",
            *DATE_FIELDS,
            "location",
            "country",
            "latitude",
            "longitude",
            "participants",
            "statements",
            "pledges",
            "citations",
            *TIMESTAMPS,
        )


class StatementSerializer(CitedSerializer):
    api_url = _api_url("statement-detail")
    speaker = ActorSummarySerializer(read_only=True, help_text="Who said it.")
    about = ActorSummarySerializer(many=True, read_only=True, help_text="Actors the statement is about.")
    stance_target = ActorSummarySerializer(
        read_only=True, allow_null=True, help_text="The actor the stance is towards."
    )
    event = _slug("Slug of the event where it was said or to which it belongs.")
    announced_pledges = _slugs("Slugs of the pledges this statement announced.")
    first_appearance = serializers.SerializerMethodField(
        help_text="The citation from the earliest-published source: where the statement first appeared."
    )

    class Meta:
        model = Statement
        fields = (
            "slug",
            "api_url",
            "speaker",
            "speaker_role",
            "text",
            "quote_type",
            "medium",
            *DATE_FIELDS,
            "about",
            "stance",
            "stance_target",
            "stance_topic",
            "event",
            "announced_pledges",
            "citations",
            "first_appearance",
            *TIMESTAMPS,
        )

    @extend_schema_field(CitationSerializer(allow_null=True))
    def get_first_appearance(self, statement: Statement) -> dict | None:
        # Sorted in Python over the prefetched citations, so this adds no query.
        dated = sorted(
            statement.citations.all(),
            key=lambda c: (c.source.date or datetime.date.max, c.source.slug, c.pk),
        )
        return CitationSerializer(dated[0]).data if dated else None


class PledgeSerializer(CitedSerializer):
    api_url = _api_url("pledge-detail")
    pledger = ActorSummarySerializer(read_only=True, help_text="Who makes the commitment.")
    beneficiary = ActorSummarySerializer(read_only=True, allow_null=True, help_text="To or for whom.")
    event = _slug("Slug of the event at which the pledge was made.")
    announced_by = _slug("Slug of the statement that announced the pledge.")

    class Meta:
        model = Pledge
        fields = (
            "slug",
            "api_url",
            "title",
            "description",
            "category",
            "pledger",
            "beneficiary",
            "quantity",
            "quantity_approximate",
            "unit",
            "conditions",
            *DATE_FIELDS,
            "target_date",
            "target_date_precision",
            "target_date_end",
            "target_date_note",
            "status",
            "status_date",
            "status_note",
            "event",
            "announced_by",
            "citations",
            *TIMESTAMPS,
        )


class DeletedRecordSerializer(serializers.ModelSerializer):
    class Meta:
        model = DeletedRecord
        fields = ("kind", "slug", "deleted_at")


class TimelineItemSerializer(serializers.Serializer):
    """One item of the timeline: an event, a pledge or a statement."""

    TYPES = ("event", "pledge", "statement")

    type = serializers.ChoiceField(choices=TYPES, help_text="What kind of record this is.")
    slug = serializers.SlugField(help_text="The record's slug.")
    date = serializers.DateField(allow_null=True, help_text="First day the record's date can denote.")
    date_precision = serializers.ChoiceField(choices=DatePrecision.choices, help_text="How precisely it is known.")
    date_end = serializers.DateField(allow_null=True, help_text="Last day the record's date can denote.")
    title = serializers.CharField(help_text="The event's or pledge's title; for a statement, speaker and text.")
    actors = serializers.ListField(
        child=serializers.CharField(),
        help_text="Names of the actors involved: participants, pledger and beneficiary, or speaker.",
    )
    api_url = serializers.SerializerMethodField(help_text="URL of the full record in the API.")
    updated_at = serializers.DateTimeField(help_text="When the record was last changed (UTC).")

    def get_api_url(self, item: dict) -> str:
        return api_url(f"{item['type']}-detail", item["slug"], self.context.get("request"))


class PaginatedTimelineSerializer(serializers.Serializer):
    count = serializers.IntegerField(help_text="Total number of items across all pages.")
    next = serializers.URLField(allow_null=True, help_text="URL of the next page, or null on the last page.")
    previous = serializers.URLField(allow_null=True, help_text="URL of the previous page, or null on the first.")
    results = TimelineItemSerializer(many=True, help_text="The items on this page, in date order.")


class PledgeSummarySerializer(serializers.ModelSerializer):
    api_url = _api_url("pledge-detail")
    pledger = ActorSummarySerializer(read_only=True, help_text="Who makes the commitment.")
    beneficiary = ActorSummarySerializer(read_only=True, allow_null=True, help_text="To or for whom.")

    class Meta:
        model = Pledge
        fields = ("slug", "api_url", "title", "category", "status", "pledger", "beneficiary")


class StanceStatementSerializer(serializers.ModelSerializer):
    api_url = _api_url("statement-detail")

    class Meta:
        model = Statement
        fields = ("slug", "api_url", "stance_topic", "date", "quote_type")


class StanceGroupSerializer(serializers.Serializer):
    actor = ActorSummarySerializer(help_text="The other actor.")
    statements = StanceStatementSerializer(many=True, help_text="The statements that take this stance.")


class RelationsSerializer(serializers.Serializer):
    actor = ActorSummarySerializer(help_text="The actor these relations are of.")
    supports = StanceGroupSerializer(many=True, help_text="Actors this actor supports, and where it said so.")
    opposes = StanceGroupSerializer(many=True, help_text="Actors this actor opposes, and where it said so.")
    supported_by = StanceGroupSerializer(many=True, help_text="Actors that support this actor.")
    opposed_by = StanceGroupSerializer(many=True, help_text="Actors that oppose this actor.")
    pledges_made = PledgeSummarySerializer(many=True, help_text="Pledges this actor made.")
    pledges_received = PledgeSummarySerializer(many=True, help_text="Pledges made to this actor.")
