"""Read serializers for the API. Each list view prefetches exactly what these need (see views.py)."""

import dataclasses
import datetime
import decimal
import re
from collections.abc import Mapping

from django.db import models
from django.http import QueryDict
from django.urls import reverse as django_reverse
from django_countries.serializers import CountryFieldMixin
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.authtoken.serializers import AuthTokenSerializer

from ..dates import DatePrecision
from ..inputs import ActorInput, EventInput, PlaceInput, PledgeInput, SourceInput, StatementInput
from ..intake import upload_text
from ..models import (
    Actor,
    Citation,
    DeletedRecord,
    Event,
    EventParticipant,
    Place,
    Pledge,
    PledgeStatusChange,
    Source,
    Statement,
)
from ..validators import verbatim_messages
from .choices import SuggestingChoiceField
from .representation import CompiledReadMixin

TIMESTAMPS = ("version", "created_at", "updated_at")
DATE_FIELDS = ("date", "date_precision", "date_end", "date_note")


# Choice sets that several serializers share, each named once in the schema (ENUM_NAME_OVERRIDES).
VERSION_TYPES = ("created", "changed", "deleted")
CHANGE_TYPES = (*VERSION_TYPES, "loaded")
CITED_KINDS = ("actor", "event", "pledge", "statement")
TIMELINE_TYPES = ("event", "pledge", "statement")


class ApiUrlField(serializers.HyperlinkedIdentityField):
    """The record's canonical API URL, without the query string (a `?format=csv` export links to the JSON)."""

    def get_url(self, obj, view_name, request, format):
        return api_url(view_name, obj.slug, request)


def api_url(view_name: str, slug: str, request) -> str:
    path = django_reverse(view_name, kwargs={"slug": slug})
    return request.build_absolute_uri(path) if request is not None else path


class StrictText:
    """A text field that takes text only. DRF's CharField turns a number into its digits (`0.25` stored as "0.25");
    the schema says string, and a number where text belongs is a client's mistake to report, not to guess at."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class TrueOrFalse(serializers.BooleanField):
    """true or false, as the schema says. DRF's BooleanField also reads 0, 1, "yes", "off"…; those spellings are
    kept for form bodies (a multipart upload's `force=true`), where every value is text."""

    def to_internal_value(self, data):
        if not isinstance(data, bool) and not isinstance(getattr(self.root, "initial_data", None), QueryDict):
            self.fail("invalid", input=data)
        return super().to_internal_value(data)


class StrictCharField(StrictText, serializers.CharField):
    pass


class StrictSlugField(StrictText, serializers.SlugField):
    pass


class StrictURLField(StrictText, serializers.URLField):
    pass


class ReadSerializer(CompiledReadMixin, serializers.ModelSerializer):
    """A read-only representation, compiled into a plain function (see representation.py)."""


def _api_url(view_name: str) -> ApiUrlField:
    return ApiUrlField(view_name=view_name, lookup_field="slug", help_text="URL of this record in the API.")


def _slugs(help_text: str) -> serializers.SlugRelatedField:
    return serializers.SlugRelatedField(slug_field="slug", many=True, read_only=True, help_text=help_text)


def _slug(help_text: str) -> serializers.SlugRelatedField:
    return serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True, help_text=help_text)


class ActorSummarySerializer(ReadSerializer):
    api_url = _api_url("actor-detail")

    class Meta:
        model = Actor
        fields = ("slug", "name", "kind", "api_url")


class CitationSerializer(ReadSerializer):
    source = serializers.SlugRelatedField(
        slug_field="slug", read_only=True, help_text="Slug of the cited source (see /api/v1/sources/{slug}/)."
    )

    class Meta:
        model = Citation
        fields = ("source", "excerpt")


class CitedSerializer(ReadSerializer):
    citations = CitationSerializer(
        many=True, read_only=True, help_text="Evidence: excerpts that stand verbatim in their sources' texts."
    )


class SourceSerializer(ReadSerializer):
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


class PlaceSummarySerializer(CountryFieldMixin, ReadSerializer):
    api_url = _api_url("place-detail")
    latitude = serializers.FloatField(read_only=True, help_text="WGS 84 latitude in degrees.")
    longitude = serializers.FloatField(read_only=True, help_text="WGS 84 longitude in degrees.")

    class Meta:
        model = Place
        fields = ("slug", "name", "country", "latitude", "longitude", "precision", "geonames_id", "api_url")
        # The same bounds on every database (Django's own come from the backend, and differ on PostgreSQL).
        extra_kwargs = {"geonames_id": {"min_value": 1, "max_value": 2_147_483_647}}


class PlaceSerializer(PlaceSummarySerializer):
    class Meta(PlaceSummarySerializer.Meta):
        fields = (*PlaceSummarySerializer.Meta.fields, "note", *TIMESTAMPS)


def _place(help_text: str) -> PlaceSummarySerializer:
    return PlaceSummarySerializer(read_only=True, allow_null=True, help_text=help_text)


@extend_schema_field(PlaceSummarySerializer(allow_null=True))
class EffectivePlaceField(serializers.Field):
    """Where a statement or pledge is: its own place where the text gives one, else its event's (null if neither)."""

    def __init__(self, **kwargs):
        super().__init__(source="*", read_only=True, **kwargs)

    @staticmethod
    def place_of(record: Statement | Pledge) -> Place | None:
        # Both places come with the record (select_related in the views), so this adds no query.
        place = record.place if record.place_id is not None else None
        if place is None and record.event_id is not None:
            place = record.event.place if record.event.place_id is not None else None
        return place

    def to_representation(self, record: Statement | Pledge) -> dict | None:
        place = self.place_of(record)
        return None if place is None else PlaceSummarySerializer(place, context=self.context).data

    def per_response(self, urls):
        """For compiled serializers (representation.py): the place's summary with this response's URLs."""
        from .representation import compile_serializer

        summary = compile_serializer(PlaceSummarySerializer(), urls)

        def represent(record: Statement | Pledge) -> dict | None:
            place = self.place_of(record)
            return None if place is None else summary(place)

        return represent


def _effective_place() -> EffectivePlaceField:
    return EffectivePlaceField(
        help_text="Where it is, for maps and the `bbox` and `near` filters: its own `place` where the text gives "
        "one, else its event's place; null when neither is known."
    )


class PlaceSuggestionSerializer(serializers.Serializer):
    """A city the gazetteer knows by the name asked for: a candidate for the editor, never assigned by itself."""

    geonames_id = serializers.IntegerField(help_text="The city's GeoNames id.")
    name = serializers.CharField(help_text="Its name in the gazetteer.")
    matched = serializers.CharField(help_text="The name or alternate name the query matched, e.g. “Bruxelles”.")
    country = serializers.CharField(help_text="ISO 3166-1 alpha-2 code of its country.")
    latitude = serializers.FloatField(help_text="WGS 84 latitude in degrees.")
    longitude = serializers.FloatField(help_text="WGS 84 longitude in degrees.")
    population = serializers.IntegerField(help_text="Its population in the gazetteer, by which candidates are ranked.")
    precision = serializers.CharField(help_text="Always `city`: the gazetteer holds cities.")
    place = serializers.SlugField(
        allow_null=True, help_text="Slug of the stored place with this GeoNames id, if there is one: use it."
    )
    body = serializers.DictField(
        allow_null=True,
        help_text="What to POST to /api/v1/places/ to store it (null when it is stored already); correct it first "
        "if need be.",
    )


class ParticipantSerializer(ReadSerializer):
    actor = ActorSummarySerializer(read_only=True, help_text="The participating actor.")

    class Meta:
        model = EventParticipant
        fields = ("actor", "role")


class EventSerializer(CountryFieldMixin, CitedSerializer):
    api_url = _api_url("event-detail")
    participants = ParticipantSerializer(many=True, read_only=True, help_text="Actors taking part, with roles.")
    statements = _slugs("Slugs of statements made at or belonging to this event.")
    pledges = _slugs("Slugs of pledges made at this event.")
    place = _place("Where it happened, with coordinates; null when the sources do not say.")

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
            "place",
            "participants",
            "statements",
            "pledges",
            "coding_note",
            "citations",
            *TIMESTAMPS,
        )


@extend_schema_field(CitationSerializer(allow_null=True))
class FirstAppearanceField(serializers.Field):
    """A statement's citation from the earliest-published source (null without citations)."""

    def __init__(self, **kwargs):
        super().__init__(source="*", read_only=True, **kwargs)

    def to_representation(self, statement: Statement) -> dict | None:
        # Sorted in Python over the prefetched citations, so this adds no query.
        dated = sorted(
            statement.citations.all(),
            key=lambda c: (c.source.date or datetime.date.max, c.source.slug, c.pk),
        )
        return CitationSerializer(dated[0]).data if dated else None


class StatementSerializer(CitedSerializer):
    api_url = _api_url("statement-detail")
    speaker = ActorSummarySerializer(read_only=True, help_text="Who said it.")
    about = ActorSummarySerializer(many=True, read_only=True, help_text="Actors the statement is about.")
    reported_by = ActorSummarySerializer(
        many=True, read_only=True, help_text="News outlets that relayed the statement."
    )
    stance_target = ActorSummarySerializer(
        read_only=True, allow_null=True, help_text="The actor the stance is towards."
    )
    event = _slug("Slug of the event where it was said or to which it belongs.")
    place = _place("Where it was said, where the text says so (null otherwise: see `effective_place`).")
    effective_place = _effective_place()
    announced_pledges = _slugs("Slugs of the pledges this statement announced.")
    first_appearance = FirstAppearanceField(
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
            "place",
            "effective_place",
            "announced_pledges",
            "reported_by",
            "coding_note",
            "citations",
            "first_appearance",
            *TIMESTAMPS,
        )


class StatusChangeSerializer(ReadSerializer):
    citation = CitationSerializer(read_only=True, allow_null=True, help_text="The evidence for the change.")

    class Meta:
        model = PledgeStatusChange
        fields = ("status", "date", "quantity_delivered", "note", "citation", "created_at")


class PledgeSerializer(CitedSerializer):
    api_url = _api_url("pledge-detail")
    pledger = ActorSummarySerializer(read_only=True, help_text="Who makes the commitment.")
    beneficiary = ActorSummarySerializer(read_only=True, allow_null=True, help_text="To or for whom.")
    event = _slug("Slug of the event at which the pledge was made.")
    place = _place("Where the pledge was made, where the text says so (null otherwise: see `effective_place`).")
    effective_place = _effective_place()
    announced_by = _slug("Slug of the statement that announced the pledge.")
    overdue = serializers.BooleanField(
        read_only=True,
        help_text="Derived: the target date has passed (its last day is before today, UTC) while the status is "
        "announced, in_progress, partially_fulfilled or stalled. False without a target date.",
    )
    status_history = StatusChangeSerializer(
        source="status_changes",
        many=True,
        read_only=True,
        help_text="The pledge's dated status timeline, oldest first, each step with its evidence.",
    )

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
            "quantity_delivered",
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
            "overdue",
            "status_history",
            "event",
            "place",
            "effective_place",
            "announced_by",
            "coding_note",
            "citations",
            *TIMESTAMPS,
        )


class TombstoneHistoryField(serializers.URLField):
    """Where a deleted record's history is still read: its kind's history URL at its slug."""

    def __init__(self, **kwargs):
        super().__init__(source="*", read_only=True, **kwargs)

    def to_representation(self, tombstone: DeletedRecord) -> str:
        return api_url(f"{tombstone.kind}-history", tombstone.slug, self.context.get("request"))

    def per_response(self, urls):
        """For compiled serializers (representation.py): the URL with this response's host."""
        return lambda tombstone: api_url(f"{tombstone.kind}-history", tombstone.slug, urls.request)


class DeletedRecordSerializer(ReadSerializer):
    history_url = TombstoneHistoryField(help_text="The deleted record's history, still readable.")

    class Meta:
        model = DeletedRecord
        fields = ("kind", "slug", "deleted_at", "history_url")


class TimelineItemSerializer(serializers.Serializer):
    """One item of the timeline: an event, a pledge or a statement."""

    TYPES = TIMELINE_TYPES

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
    actor_slugs = serializers.ListField(
        child=serializers.SlugField(), help_text="Slugs of the same actors, in the same order as `actors`."
    )
    api_url = serializers.SerializerMethodField(help_text="URL of the full record in the API.")
    updated_at = serializers.DateTimeField(help_text="When the record was last changed (UTC).")

    def get_api_url(self, item: dict) -> str:
        return api_url(f"{item['type']}-detail", item["slug"], self.context.get("request"))


class PaginatedTimelineSerializer(serializers.Serializer):
    count = serializers.IntegerField(help_text="Total number of items across all pages.")
    undated_excluded = serializers.IntegerField(
        min_value=0,
        help_text="How many items matching every other filter date_after or date_before left out because their "
        "date is unknown; include_undated=true lists them, last. 0 without a date filter.",
    )
    next = serializers.URLField(allow_null=True, help_text="URL of the next page, or null on the last page.")
    previous = serializers.URLField(allow_null=True, help_text="URL of the previous page, or null on the first.")
    results = TimelineItemSerializer(many=True, help_text="The items on this page, in date order.")


class PledgeSummarySerializer(ReadSerializer):
    api_url = _api_url("pledge-detail")
    pledger = ActorSummarySerializer(read_only=True, help_text="Who makes the commitment.")
    beneficiary = ActorSummarySerializer(read_only=True, allow_null=True, help_text="To or for whom.")

    class Meta:
        model = Pledge
        fields = ("slug", "api_url", "title", "category", "status", "pledger", "beneficiary")


class StanceStatementSerializer(ReadSerializer):
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


# Writes ------------------------------------------------------------------------------------------------------
# Write serializers only parse and check shapes; the rules (verbatim excerpts, de-duplication, versions) live in
# services.py, which the views call with the validated data.

MAX_RELATED = 100


class SlugListField(serializers.ListField):
    """A list of slugs of one model, resolved in one query after its length is checked."""

    def __init__(self, *, model, **kwargs):
        self.model = model
        super().__init__(child=serializers.SlugField(), **kwargs)

    def to_internal_value(self, data):
        if isinstance(data, list) and self.max_length is not None and len(data) > self.max_length:
            self.fail("max_length", max_length=self.max_length)
        slugs = super().to_internal_value(data)
        found = self.model.objects.in_bulk(set(slugs), field_name="slug")
        missing = sorted(set(slugs) - found.keys())
        if missing:
            raise serializers.ValidationError(f"Unknown {self.model._meta.verbose_name}: {', '.join(missing)}.")
        return [found[slug] for slug in dict.fromkeys(slugs)]


class SlugRefField(serializers.SlugRelatedField):
    """A reference by slug that checks the slug's shape before any query (a NUL byte never reaches the database)."""

    default_error_messages = {"not_a_slug": "Not a slug: use letters, digits, hyphens and underscores."}

    def run_validation(self, data=serializers.empty):
        # DRF turns "" into null for relations; "no reference" is spelled null, and "" is an invalid slug.
        if data == "":
            self.fail("not_a_slug")
        return super().run_validation(data)

    def to_internal_value(self, data):
        if not isinstance(data, str) or not SLUG_PATTERN.fullmatch(data):
            self.fail("not_a_slug")
        return super().to_internal_value(data)


SLUG_PATTERN = re.compile(r"[-a-zA-Z0-9_]+")


def _ref(model, help_text: str, **kwargs) -> SlugRefField:
    return SlugRefField(slug_field="slug", queryset=model.objects.all(), help_text=help_text, **kwargs)


class OnlyDeclaredFields:
    """A field the body does not declare is a 400 naming it, never silently dropped (as WriteSerializer does for
    records): a misspelt field would otherwise lose what it carried."""

    def to_internal_value(self, data):
        if isinstance(data, Mapping):
            unknown = sorted(str(name) for name in set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError(
                    {name: [f"There is no field “{name}” here; check its spelling."] for name in unknown}
                )
        return super().to_internal_value(data)


class CitationWriteSerializer(OnlyDeclaredFields, serializers.Serializer):
    source = _ref(Source, "Slug of the cited source.")
    excerpt = StrictCharField(
        max_length=1000,
        trim_whitespace=False,
        help_text="Words copied exactly from the source's text (curly quotes, dashes and all).",
    )

    def validate(self, attrs: dict) -> dict:
        # The model's rule and explanation (events.validators), checked here too so that the error names the
        # citation's place in the body (citations.0.excerpt); the article's version is offered beside it.
        messages, version = verbatim_messages(
            source_text=attrs["source"].text, excerpt=attrs["excerpt"], source_label=attrs["source"].slug
        )
        if messages:
            raise serializers.ValidationError(
                {"excerpt": messages, **({"suggested_excerpt": [version]} if version is not None else {})}
            )
        return attrs


class ParticipantWriteSerializer(OnlyDeclaredFields, serializers.Serializer):
    actor = _ref(Actor, "Slug of the participating actor.")
    role = SuggestingChoiceField(choices=EventParticipant.Role.choices, help_text="The actor's role.")


def _citations_field() -> CitationWriteSerializer:
    return CitationWriteSerializer(
        many=True,
        allow_empty=False,
        max_length=MAX_RELATED,
        help_text=CITATIONS_HELP,
    )


CITATIONS_HELP = f"Evidence, at least one and at most {MAX_RELATED}: each excerpt verbatim in its source."


def writable(record_input: type, *extra: str, without: tuple[str, ...] = ()) -> tuple[str, ...]:
    """The fields a write takes: the record's input (events/inputs.py), where they are declared once, as the API
    names them (``country``), with the write's own options (``force``)."""
    names = ("country" if f.name == "country_code" else f.name for f in dataclasses.fields(record_input))
    return (*(name for name in names if name not in without), *extra)


class WriteSerializer(serializers.ModelSerializer):
    """Slugs are chosen once, on creation; a record's URL never changes. A field the record does not have is a
    400 that names it, not silently dropped (a misspelt `descripton` would otherwise lose the edit); fields of the
    record that a client may not write (its version, timestamps, links: what a GET returns) are ignored, so that
    what was read can be sent back."""

    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.CharField: StrictCharField,
        models.TextField: StrictCharField,
        models.SlugField: StrictSlugField,
        models.URLField: StrictURLField,
        models.BooleanField: TrueOrFalse,
    }
    # A wrong choice names the valid ones and suggests the closest (events/api/choices.py).
    serializer_choice_field = SuggestingChoiceField

    def to_internal_value(self, data):
        if isinstance(data, Mapping):
            model = self.Meta.model
            known = (
                set(self.fields) | {f.name for f in model._meta.get_fields()} | set(self.context.get("read_fields", ()))
            )
            unknown = sorted(str(name) for name in set(data) - known)
            if unknown:
                raise serializers.ValidationError(
                    {
                        name: [f"A {model._meta.verbose_name} has no field “{name}”; check its spelling."]
                        for name in unknown
                    }
                )
        return super().to_internal_value(data)

    def validate_slug(self, value: str) -> str:
        if self.instance is not None and value != self.instance.slug:
            raise serializers.ValidationError("A slug cannot change; create a new record instead.")
        return value

    def get_fields(self):
        fields = super().get_fields()
        if "slug" in fields:
            # Left out on creation, the services make one from the title or name (services.slug_new).
            fields["slug"].required = False
            if self.instance is None:
                fields["slug"].help_text = (
                    f"{fields['slug'].help_text} Left out: made from the title or name (a statement's from its "
                    "speaker and first words), unique, and kept for good."
                )
        for name in ("date_precision", "target_date_precision"):
            if name in fields:
                fields[name].help_text = f"{fields[name].help_text} Left out: `day` with a date, `unknown` without."
        return fields


def _force_field(what: str) -> serializers.BooleanField:
    return TrueOrFalse(
        required=False,
        default=False,
        write_only=True,
        help_text=f"Save it even though it resembles {what} (a 409 `near_duplicate` names them, with their "
        "similarity): the editor has looked and it is another.",
    )


class SourceWriteSerializer(WriteSerializer):
    force = _force_field(
        "an existing source: their texts share at least half of the shorter one's five-word sequences. The same "
        "text (sha256) or URL as an existing source is refused whatever this says"
    )

    class Meta:
        model = Source
        fields = writable(SourceInput, "force", without=("seed_file",))
        extra_kwargs = {"text": {"trim_whitespace": False}}


class SourceUploadSerializer(SourceWriteSerializer):
    """A source whose article comes as a file (multipart/form-data), its metadata as form fields: the text needs
    no JSON escaping. The file is read by events.intake.upload_text, which refuses anything but UTF-8 plain text
    with a 415."""

    file = serializers.FileField(
        write_only=True,
        allow_empty_file=False,
        help_text="The article: UTF-8 plain text (`text/plain`, or a `.txt` file). Line endings are stored as LF.",
    )

    class Meta(SourceWriteSerializer.Meta):
        fields = (*(f for f in SourceWriteSerializer.Meta.fields if f != "text"), "file")

    def to_internal_value(self, data):
        if isinstance(data, Mapping) and "text" in data:
            raise serializers.ValidationError(
                {"text": ["Send the article once: as the file, or as `text` in a JSON body, not both."]}
            )
        return super().to_internal_value(data)

    def validate(self, attrs: dict) -> dict:
        upload = attrs.pop("file")
        attrs["text"] = upload_text(
            upload.read(), content_type=upload.content_type, charset=upload.charset, name=upload.name
        )
        return attrs


class ActorWriteSerializer(CountryFieldMixin, WriteSerializer):
    aliases = serializers.ListField(
        child=StrictCharField(max_length=200),
        max_length=MAX_RELATED,
        required=False,
        help_text="Other names for the actor (replaces the list on update).",
    )
    parent = _ref(Actor, "Slug of the actor this one belongs to.", required=False, allow_null=True)
    force = TrueOrFalse(
        required=False,
        default=False,
        write_only=True,
        help_text="Save the actor even though its name resembles an existing actor's (a 409 `near_duplicate` names "
        "them with their similarity: accents, case, punctuation and a person's title set aside, “Jean-Noel "
        "Barrot”, “EU foreign policy chief Kaja Kallas”). It does not override a name or alias that reads the "
        "same as another actor's (case, runs of spaces, invisible characters and look-alike letters aside), which "
        "is always refused with 409 naming that actor: a different actor of the same name needs a distinguishing "
        "name, e.g. “Ali Hassan (Egyptian FM)”.",
    )

    citations = CitationWriteSerializer(
        many=True,
        required=False,
        max_length=MAX_RELATED,
        help_text=f"Evidence about the actor, at most {MAX_RELATED}: each excerpt verbatim in its source (replaces the "
        "list on update).",
    )

    class Meta:
        model = Actor
        fields = writable(ActorInput, "force")


def _place_ref(what: str) -> SlugRefField:
    return _ref(
        Place,
        f"Slug of the place where {what} (see /api/v1/places/; /api/v1/places/suggest/ looks a city up in the "
        "gazetteer).",
        required=False,
        allow_null=True,
    )


class PlaceWriteSerializer(CountryFieldMixin, WriteSerializer):
    class Meta:
        model = Place
        fields = writable(PlaceInput)
        # The bounds of the database's check constraints, as field errors (and in the schema) rather than a
        # constraint's name.
        extra_kwargs = {
            "latitude": {"min_value": decimal.Decimal(-90), "max_value": decimal.Decimal(90)},
            "longitude": {"min_value": decimal.Decimal(-180), "max_value": decimal.Decimal(180)},
            **PlaceSummarySerializer.Meta.extra_kwargs,
        }


class EventWriteSerializer(CountryFieldMixin, WriteSerializer):
    participants = ParticipantWriteSerializer(
        many=True, required=False, max_length=MAX_RELATED, help_text="Actors taking part, with roles."
    )
    place = _place_ref("it happened")
    citations = _citations_field()

    class Meta:
        model = Event
        fields = writable(EventInput)


class StatementWriteSerializer(WriteSerializer):
    speaker = _ref(Actor, "Slug of who said it.")
    about = SlugListField(
        model=Actor,
        required=False,
        max_length=MAX_RELATED,
        help_text=f"Slugs of the actors it is about (at most {MAX_RELATED}).",
    )
    stance_target = _ref(Actor, "Slug of the actor the stance is towards.", required=False, allow_null=True)
    event = _ref(Event, "Slug of the event where it was said.", required=False, allow_null=True)
    place = _place_ref("it was said, where the text gives one (else it is at its event's place)")
    reported_by = SlugListField(
        model=Actor,
        required=False,
        max_length=MAX_RELATED,
        help_text="Slugs of the news outlets (actors of kind media) that relayed it.",
    )
    citations = _citations_field()
    force = _force_field("a statement of the same speaker whose excerpt or text overlaps this one's")

    class Meta:
        model = Statement
        fields = writable(StatementInput, "force")


class PledgeWriteSerializer(WriteSerializer):
    pledger = _ref(Actor, "Slug of who makes the commitment.")
    beneficiary = _ref(Actor, "Slug of to whom or for whom.", required=False, allow_null=True)
    event = _ref(Event, "Slug of the event where it was made.", required=False, allow_null=True)
    place = _place_ref("it was made, where the text gives one (else it is at its event's place)")
    announced_by = _ref(Statement, "Slug of the statement that announced it.", required=False, allow_null=True)
    citations = _citations_field()
    force = TrueOrFalse(
        required=False,
        default=False,
        write_only=True,
        help_text="Record a separate pledge even though it matches an existing one (same pledger, beneficiary, "
        "category, quantity and unit, or title) or resembles one (same pledger and quantity in another unit of the "
        "same kind, e.g. officers and gendarmes). Without it, the new citations are added to a matching pledge, "
        "and a resembling one is a 409 `near_duplicate` naming it.",
    )

    class Meta:
        model = Pledge
        fields = writable(PledgeInput, "force")

    def validate(self, attrs: dict) -> dict:
        if self.instance is not None:
            moved = [f for f in ("status", "status_date") if f in attrs and attrs[f] != getattr(self.instance, f)]
            if moved:
                raise serializers.ValidationError(
                    {
                        f: ["A status changes with a date and a citation: POST to this pledge's status/ endpoint."]
                        for f in moved
                    }
                )
        return attrs


class StatusChangeWriteSerializer(OnlyDeclaredFields, serializers.Serializer):
    status = SuggestingChoiceField(choices=Pledge.Status.choices, help_text="The new status.")
    date = serializers.DateField(help_text="When the status changed, as the source reports it.")
    source = _ref(Source, "Slug of the source reporting the change.")
    excerpt = StrictCharField(max_length=1000, trim_whitespace=False, help_text="Verbatim evidence.")
    note = StrictCharField(required=False, allow_blank=True, default="", help_text="Why it changed.")
    quantity_delivered = serializers.IntegerField(
        required=False, allow_null=True, min_value=0, max_value=2**63 - 1, help_text="Delivered so far, if reported."
    )

    def validate(self, attrs: dict) -> dict:
        CitationWriteSerializer().validate({"source": attrs["source"], "excerpt": attrs["excerpt"]})
        return attrs


class CitationDetailSerializer(ReadSerializer):
    source = serializers.SlugRelatedField(slug_field="slug", read_only=True, help_text="Slug of the cited source.")

    class Meta:
        model = Citation
        fields = ("id", "source", "excerpt", "created_at")
        extra_kwargs = {"id": {"help_text": "The citation's id, for removing it (DELETE …/citations/{id}/)."}}


class CitationRowSerializer(serializers.Serializer):
    """One citation of one record: a row of a citations export."""

    resource = serializers.ChoiceField(choices=CITED_KINDS, help_text="What kind of record the citation supports.")
    record = serializers.SlugField(help_text="The slug of the record it supports.")
    position = serializers.IntegerField(
        min_value=1, help_text="Its place among the record's citations (1, 2…), in the order the record lists them."
    )
    source = serializers.SlugField(help_text="The slug of the cited source.")
    excerpt = serializers.CharField(help_text="The words it quotes, verbatim in the source's text.")
    id = serializers.IntegerField(help_text="The citation's id, as in the record's `citations/`.")


class HistoryChangeSerializer(serializers.Serializer):
    field = serializers.CharField(help_text="The field or relation that changed (`citations`, `aliases`, …).")
    old = serializers.JSONField(help_text="Its value before; a reference as the record's slug.")
    new = serializers.JSONField(help_text="Its value after; a reference as the record's slug.")
    added = serializers.JSONField(
        required=False, help_text="For a relation: the items this version added (a citation as source and excerpt)."
    )
    removed = serializers.JSONField(required=False, help_text="For a relation: the items this version removed.")


class HistoryEntrySerializer(serializers.Serializer):
    history_id = serializers.IntegerField(help_text="Identifier of this version.")
    history_date = serializers.DateTimeField(help_text="When the change was made (UTC).")
    history_type = serializers.ChoiceField(choices=VERSION_TYPES, help_text="What happened.")
    history_user = serializers.CharField(
        allow_null=True,
        help_text="Who made it: the username for signed-in readers; for anyone else the editor's full name, or null.",
    )
    history_change_reason = serializers.CharField(
        allow_null=True, help_text="Where it came from: the API, the admin, or a management command."
    )
    version = serializers.IntegerField(help_text="The record's version after the change.")
    changes = HistoryChangeSerializer(many=True, help_text="Fields that changed compared with the version before.")


class TokenRequestSerializer(OnlyDeclaredFields, AuthTokenSerializer):
    username = serializers.CharField(write_only=True, help_text="The account's username.")
    password = serializers.CharField(
        write_only=True, trim_whitespace=False, style={"input_type": "password"}, help_text="The account's password."
    )
    token = serializers.CharField(read_only=True, help_text="The API token.")


class TokenResponseSerializer(serializers.Serializer):
    token = serializers.CharField(
        help_text="Send as `Authorization: Token <token>` (or `Bearer <token>`) on writes. It is shown only here: "
        "the server keeps a digest of it."
    )
    expiry = serializers.DateTimeField(help_text="When the token stops working (UTC); then ask for a new one.")


class ChangedRecordSerializer(serializers.Serializer):
    resource = serializers.ChoiceField(choices=DeletedRecord.Kind.choices, help_text="What kind of record.")
    slug = serializers.SlugField(help_text="Its slug at that version.")
    type = serializers.ChoiceField(choices=("created", "changed", "deleted"), help_text="What the load did to it.")
    version = serializers.IntegerField(help_text="Its version after the load (its history's `version`).")


class ChangeEntrySerializer(serializers.Serializer):
    """One entry of the change feed: a version of one record, or a bulk load."""

    sequence = serializers.IntegerField(
        help_text="The entry's place in the feed: increases with every change; resume after it with `since_id`."
    )
    time = serializers.DateTimeField(help_text="When the change was made (UTC); for a load, when it ended.")
    type = serializers.ChoiceField(
        choices=CHANGE_TYPES,
        help_text="`loaded`: a bulk load (`manage.py load_story`), with every record it wrote in `records`.",
    )
    resource = serializers.ChoiceField(
        choices=DeletedRecord.Kind.choices, allow_null=True, help_text="What kind of record; null for a load."
    )
    slug = serializers.SlugField(allow_null=True, help_text="The record's slug at that version; null for a load.")
    version = serializers.IntegerField(allow_null=True, help_text="The record's version; null for a load.")
    user = serializers.CharField(
        allow_null=True,
        help_text="Who made it, as the record's `/history/` says: editors see usernames, everyone else the "
        "editor's full name or nothing.",
    )
    origin = serializers.CharField(
        allow_null=True,
        help_text="Through which door: the API, the admin or a command (the account that ran a command only for "
        "editors).",
    )
    changes = HistoryChangeSerializer(
        many=True, help_text="The fields that changed compared with the record's version before, as in `/history/`."
    )
    records = ChangedRecordSerializer(many=True, help_text="For a load, each record it wrote; empty otherwise.")


class ChangesPageSerializer(serializers.Serializer):
    results = ChangeEntrySerializer(many=True, help_text="The entries, in sequence order.")
    next = serializers.URLField(
        help_text="Where to continue: this query after the last entry (`since_id`). Always given, so that a client "
        "polls it for what comes next."
    )
    has_more = serializers.BooleanField(help_text="Whether more entries were waiting: follow `next` at once.")
    settled_until = serializers.DateTimeField(
        help_text="Entries written before this time are all here or before; later ones wait for the settle window."
    )


class ChangesQuerySerializer(serializers.Serializer):
    """The change feed's query: where to start, and how many entries."""

    since = serializers.DateTimeField(required=False)
    since_id = serializers.IntegerField(required=False, min_value=0, max_value=2**63 - 1)
    page_size = serializers.IntegerField(required=False, min_value=1, max_value=100)

    def validate(self, attrs):
        if "since" in attrs and "since_id" in attrs:
            raise serializers.ValidationError({"since_id": ["Give since or since_id, not both."]})
        return attrs
