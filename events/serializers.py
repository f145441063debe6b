"""Read serializers for the API. Each list view prefetches exactly what these need (see views.py)."""

import datetime

from django_countries.serializers import CountryFieldMixin
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from .models import Actor, Citation, Event, EventParticipant, Pledge, Source, Statement

TIMESTAMPS = ("created_at", "updated_at")
DATE_FIELDS = ("date", "date_precision", "date_end", "date_note")


def _api_url(view_name: str) -> serializers.HyperlinkedIdentityField:
    return serializers.HyperlinkedIdentityField(
        view_name=view_name, lookup_field="slug", help_text="URL of this record in the API."
    )


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
