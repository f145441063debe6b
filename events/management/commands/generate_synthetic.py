"""Deterministic synthetic data at realistic proportions, for load tests: ``manage.py generate_synthetic``.

Everything is drawn from one ``random.Random(seed)`` in a fixed order, with fixed base timestamps, so two runs with
the same arguments on empty databases write identical rows. Rows are written in bulk: PostgreSQL COPY through
psycopg, or ``executemany`` on other databases (SQLite in the tests). Model ``save()``, signals and
django-simple-history are bypassed, so no history rows are written for synthetic records.

Every synthetic record's slug starts with ``syn-``; that is how ``--clear`` finds them again.
"""

from __future__ import annotations

import bisect
import datetime
import json
import random
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import accumulate

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.core.management.color import no_style
from django.db import connection, models, transaction
from django.db.models import Q
from tqdm import tqdm

from events.dates import DatePrecision, resolve_span
from events.generation import data_changed
from events.models import (
    Actor,
    ActorAlias,
    Citation,
    Event,
    EventParticipant,
    Pledge,
    PledgeStatusChange,
    Source,
    Statement,
)

PREFIX = "syn-"
# Fixed clock: every created_at/updated_at is an offset from this, never "now".
BASE_TIME = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
DATE_START = datetime.date(2016, 1, 1)
DATE_DAYS = (datetime.date(2025, 12, 31) - DATE_START).days + 1  # about ten years

DEFAULT_ACTORS = 10_000
EVENTS_PER_SOURCE = 50
STATEMENTS_PER_EVENT = 2
PLEDGES_PER_EVENT = 1

StatementAbout = Statement.about.through

# Columns written for each model, in COPY order. Checked against the model at start-up, so that a new column
# fails loudly here instead of being silently left to a default.
COLUMNS: dict[type[models.Model], tuple[str, ...]] = {
    Actor: (
        "id", "created_at", "updated_at", "version", "search_text", "slug", "name", "kind", "country", "title",
        "parent_id", "description",
    ),
    ActorAlias: ("id", "actor_id", "name"),
    Source: (
        "id", "created_at", "updated_at", "version", "date", "date_precision", "date_end", "date_note",
        "search_text", "slug", "title", "publisher", "byline", "url", "seed_file", "text", "sha256",
    ),
    Event: (
        "id", "created_at", "updated_at", "version", "date", "date_precision", "date_end", "date_note",
        "search_text", "slug", "title", "description", "event_type", "status", "location", "country", "latitude",
        "longitude", "coding_note",
    ),
    EventParticipant: ("id", "event_id", "actor_id", "role", "event_date", "event_date_end"),
    Statement: (
        "id", "created_at", "updated_at", "version", "date", "date_precision", "date_end", "date_note",
        "search_text", "slug", "speaker_id", "speaker_role", "text", "quote_type", "medium", "stance",
        "stance_target_id", "stance_topic", "event_id", "coding_note",
    ),
    StatementAbout: ("id", "statement_id", "actor_id"),
    Pledge: (
        "id", "created_at", "updated_at", "version", "date", "date_precision", "date_end", "date_note",
        "search_text", "slug", "title", "description", "category", "pledger_id", "beneficiary_id", "quantity",
        "quantity_delivered", "quantity_approximate", "unit", "conditions", "target_date", "target_date_precision",
        "target_date_end", "target_date_note", "status", "status_date", "status_note", "event_id",
        "announced_by_id", "coding_note",
    ),
    Citation: (
        "id", "created_at", "updated_at", "source_id", "excerpt", "event_id", "pledge_id", "statement_id", "actor_id",
    ),
    PledgeStatusChange: (
        "id", "pledge_id", "status", "date", "quantity_delivered", "note", "citation_id", "created_at",
    ),
}  # fmt: skip

# Vocabulary ---------------------------------------------------------------------------------------------------

STEMS = (
    "Val", "Kor", "Mar", "Tal", "Ser", "Bel", "Dor", "Esk", "Fen", "Gal", "Hal", "Ist", "Jor", "Kal", "Lor", "Mir",
    "Nor", "Ost", "Par", "Quel", "Ros", "Sal", "Tor", "Ulm", "Ver", "Wes", "Xan", "Yar", "Zel", "Ard", "Brem", "Cas",
)  # fmt: skip
STATE_ENDINGS = ("oria", "avia", "istan", "enia", "ador", "uria", "onia", "ara", "esh", "ovia")
PLACE_ENDINGS = ("ton", "burg", "ville", "abad", "grad", "port", "haven", "ford", "dale", "mouth", "ia", "os")
PLACE_PREFIXES = ("", "", "", "Port ", "New ", "Upper ", "Lower ", "East ", "West ", "Saint ")
FIRST_NAMES = (
    "Amina", "Boris", "Carla", "Dmitri", "Elena", "Farid", "Greta", "Hassan", "Ines", "Jonas", "Karim", "Lena",
    "Mateo", "Nadia", "Omar", "Petra", "Rafael", "Sofia", "Tomas", "Ulla", "Viktor", "Yasmin", "Zoran", "Aylin",
    "Bruno", "Celine", "Dario", "Emre", "Fatima", "Goran", "Hana", "Ivan", "Jana", "Kemal", "Leila", "Marek",
    "Nora", "Oskar", "Pilar", "Rania", "Samir", "Tariq", "Vera", "Walid", "Ximena", "Yusuf", "Zeynep", "Anders",
    "Beatriz", "Cyril", "Daniela", "Elias", "Frida", "Gideon", "Helga", "Idris", "Julia", "Kofi", "Lucia", "Milan",
)  # fmt: skip
LAST_NAMES = (
    "Abadi", "Berger", "Castell", "Dragan", "Eriksen", "Faure", "Gashi", "Haddad", "Ivanov", "Jansen", "Kaya",
    "Larsen", "Moreau", "Nowak", "Okafor", "Petrov", "Quinn", "Rossi", "Saleh", "Torres", "Uysal", "Varga",
    "Weber", "Yilmaz", "Zaidi", "Almeida", "Brandt", "Cohen", "Dimitrov", "Esposito", "Fischer", "Garcia",
    "Horvat", "Iqbal", "Jovanovic", "Kowalski", "Lindqvist", "Mansour", "Novak", "Olsen", "Popescu", "Rahman",
    "Schmidt", "Tanaka", "Ueda", "Vidal", "Wojcik", "Xu", "Yamamoto", "Zapata", "Aziz", "Bakker", "Costa",
    "Duarte", "Engel", "Ferrari", "Greco", "Hakimi", "Ibrahim", "Jensen", "Khalil", "Lopez", "Meyer", "Nasser",
    "Ortiz", "Perez", "Qureshi", "Romano", "Santos", "Toivonen", "Urban", "Vogel", "Wagner", "Young", "Zimmer",
)  # fmt: skip
PORTFOLIOS = ("Foreign Affairs", "Defence", "Interior", "Justice", "Finance", "Development", "Health", "Energy")
TOPICS = (
    "border monitoring", "police training", "reconstruction funding", "humanitarian access", "prisoner exchange",
    "ceasefire terms", "troop contributions", "disarmament", "electricity supply", "water infrastructure",
    "refugee returns", "customs reform", "demining", "election monitoring", "judicial cooperation",
    "coast guard patrols", "civil administration", "food aid", "medical evacuations", "debt relief",
    "port security", "airspace control", "hostage negotiations", "sanctions relief", "peacekeeping mandate",
)  # fmt: skip
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
VERBS = ("discussed", "negotiated", "reviewed", "agreed on", "rejected", "welcomed", "criticised", "postponed")
QUOTES = (
    "We will not accept foreign troops on our soil",
    "This agreement is a first step, not the last",
    "Our forces stand ready to deploy within weeks",
    "There can be no lasting peace without accountability",
    "We are committed to the reconstruction of every town",
    "The talks were constructive but difficult",
    "Humanitarian access must be guaranteed at all times",
    "We expect the first contingent to arrive before the winter",
    "Nobody should doubt our resolve",
    "The ceasefire is holding, despite serious violations",
    "We will train the police, but we will not command them",
    "Sanctions will remain until the prisoners are released",
)  # fmt: skip
REPORTED = (
    "said {b} would take part in {topic}",
    "rejected any role for {b} in {topic}",
    "called for an international conference on {topic}",
    "said the plan for {topic} was not yet final",
    "described talks with {b} on {topic} as constructive",
    "warned that {topic} could collapse without funding",
)  # fmt: skip
EVENT_TITLES = {
    Event.Type.DIPLOMATIC_MEETING: "{a} and {b} ministers meet in {place}",
    Event.Type.NEGOTIATION: "Talks between {a} and {b} on {topic}",
    Event.Type.RESOLUTION_VOTE: "{a} votes on a resolution on {topic}",
    Event.Type.AGREEMENT: "{a} and {b} sign an agreement on {topic}",
    Event.Type.CEASEFIRE: "Ceasefire declared around {place}",
    Event.Type.CEASEFIRE_VIOLATION: "Ceasefire violation reported near {place}",
    Event.Type.MILITARY_OPERATION: "{a} launches an operation near {place}",
    Event.Type.ATTACK: "Attack on {place} attributed to {a}",
    Event.Type.DEPLOYMENT: "{a} deploys forces to {place}",
    Event.Type.WITHDRAWAL: "{a} withdraws forces from {place}",
    Event.Type.CAPTIVE_RELEASE: "Captives released in {place}",
    Event.Type.ANNOUNCEMENT: "{a} announces plans for {topic}",
    Event.Type.PRESS_CONFERENCE: "{a} holds a press conference on {topic}",
    Event.Type.ESTABLISHMENT: "{a} establishes a mission for {topic}",
    Event.Type.HUMANITARIAN: "Aid convoy reaches {place}",
    Event.Type.OTHER: "{a} and {b} on {topic}",
}
EVENT_TYPE_WEIGHTS = (12, 10, 3, 5, 3, 5, 6, 6, 5, 3, 2, 14, 8, 3, 8, 7)
EVENT_STATUS_WEIGHTS = {"occurred": 80, "ongoing": 5, "scheduled": 12, "cancelled": 3}
ROLES_SECONDARY = ("participant", "participant", "target", "mediator", "subject")
PLEDGE_STATUS_WEIGHTS = {
    "announced": 40, "in_progress": 20, "fulfilled": 10, "partially_fulfilled": 8, "stalled": 8, "broken": 5,
    "withdrawn": 5, "rejected": 4,
}  # fmt: skip
PLEDGE_UNITS = {
    "troops": ("troops", 50, 20_000),
    "police_training": ("police", 20, 3_000),
    "funding": ("usd", 100_000, 2_000_000_000),
    "reconstruction": ("eur", 1_000_000, 500_000_000),
    "humanitarian_aid": ("usd", 50_000, 100_000_000),
    "border_monitoring": ("personnel", 10, 800),
    "security": ("gendarmes", 20, 1_000),
}
MEDIUM_WEIGHTS = {
    "video_statement": 6, "press_conference": 15, "remarks_to_reporters": 15, "interview": 10,
    "written_statement": 12, "speech": 8, "social_media": 14, "meeting": 5, "news_report": 10, "unspecified": 5,
}  # fmt: skip
# kind: (share, parent kinds)
ACTOR_KINDS = {
    "state": 0.02,
    "igo": 0.03,
    "coalition": 0.01,
    "government": 0.15,
    "armed_force": 0.08,
    "armed_group": 0.05,
    "political_org": 0.08,
    "person": 0.45,
    "media": 0.08,
    "civilians": 0.03,
    "other": 0.02,
}


# Helpers ------------------------------------------------------------------------------------------------------


def _weights(mapping: dict[str, int]) -> tuple[list[str], list[float]]:
    return list(mapping), list(accumulate(mapping.values()))


def partial_date(rng: random.Random, *, start: datetime.date = DATE_START, days: int = DATE_DAYS):
    """A date with a realistic mix of precisions: (date, precision, date_end, note)."""
    day = start + datetime.timedelta(days=rng.randrange(days))
    roll = rng.random()
    if roll < 0.60:
        precision, end, note = DatePrecision.DAY, None, ""
    elif roll < 0.68:
        day -= datetime.timedelta(days=day.weekday())
        precision, end, note = DatePrecision.WEEK, None, f"Reported as 'last week' in an article of {day:%d %b %Y}."
    elif roll < 0.83:
        day = day.replace(day=1)
        precision, end, note = DatePrecision.MONTH, None, f"Reported as '{day:%B %Y}'."
    elif roll < 0.88:
        day = day.replace(month=1, day=1)
        precision, end, note = DatePrecision.YEAR, None, f"Reported as '{day:%Y}'."
    elif roll < 0.95:
        end = day + datetime.timedelta(days=rng.randrange(1, 90))
        precision, note = DatePrecision.APPROXIMATE, f"Reported as 'early {day:%B %Y}'."
    else:
        return None, DatePrecision.UNKNOWN, None, "The sources give no date."
    return day, precision.value, resolve_span(day, precision, end), note


def _search_text(*parts: str | None) -> str:
    # Exactly what services.search_text_refresh() writes: the non-empty parts, one per line.
    return "\n".join(part for part in parts if part)


@dataclass
class SourceDraft:
    id: int
    date: datetime.date
    paragraphs: list[list[str]]
    # (paragraph, sentence, quoted words, speaker id) for the sentences that quote someone directly
    quotes: list[tuple[int, int, str, int]] = field(default_factory=list)


@dataclass
class Ids:
    """Next free primary key per model, so that related rows can refer to each other before they are written."""

    next: dict[type[models.Model], int]

    def take(self, model: type[models.Model]) -> int:
        value = self.next[model]
        self.next[model] = value + 1
        return value


# Writers ------------------------------------------------------------------------------------------------------


class CopyWriter:
    """PostgreSQL: COPY FROM STDIN through psycopg."""

    def __init__(self, cursor):
        self.cursor = cursor.cursor  # the psycopg cursor under Django's wrapper

    def write(self, model: type[models.Model], rows: Iterable[tuple]) -> int:
        columns = COLUMNS[model]
        count = 0
        quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
        sql = f"COPY {connection.ops.quote_name(model._meta.db_table)} ({quoted}) FROM STDIN"
        with self.cursor.copy(sql) as copy:
            for row in rows:
                copy.write_row(row)
                count += 1
        return count


class InsertWriter:
    """Any other database (SQLite in the tests): executemany, values prepared by the model fields."""

    CONVERTED = (models.DateTimeField, models.DateField, models.DecimalField, models.BooleanField)

    def __init__(self, cursor):
        self.cursor = cursor

    def write(self, model: type[models.Model], rows: Iterable[tuple]) -> int:
        columns = COLUMNS[model]
        by_column = {f.column: f for f in model._meta.concrete_fields}
        converters = [(i, by_column[c]) for i, c in enumerate(columns) if isinstance(by_column[c], self.CONVERTED)]
        prepared = []
        for row in rows:
            row = list(row)
            for i, model_field in converters:
                if row[i] is not None:
                    row[i] = model_field.get_db_prep_save(row[i], connection)
            prepared.append(row)
        placeholders = ", ".join(["%s"] * len(columns))
        quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
        table = connection.ops.quote_name(model._meta.db_table)
        self.cursor.executemany(f"INSERT INTO {table} ({quoted}) VALUES ({placeholders})", prepared)
        return len(prepared)


# The generator ------------------------------------------------------------------------------------------------


class Generator:
    def __init__(self, *, seed: int, events: int, actors: int, sources: int, writer, batch: int, progress: bool):
        self.rng = random.Random(seed)
        self.n_events = events
        self.n_actors = actors
        self.n_sources = sources
        self.writer = writer
        self.batch = batch
        self.progress = progress
        self.counts: dict[str, int] = {}
        self.ids = Ids({model: _next_id(model) for model in COLUMNS})
        self.tick = 0  # seconds after BASE_TIME, one per record, so timestamps are distinct and fixed

    # small utilities

    def stamp(self) -> tuple[datetime.datetime, datetime.datetime]:
        self.tick += 1
        created = BASE_TIME + datetime.timedelta(seconds=self.tick)
        # One record in ten was edited later; the rest were never changed.
        if self.rng.random() < 0.1:
            return created, created + datetime.timedelta(days=self.rng.randrange(1, 60))
        return created, created

    def write(self, model: type[models.Model], rows: Iterable[tuple]) -> None:
        written = self.writer.write(model, rows)
        key = model._meta.model_name
        self.counts[key] = self.counts.get(key, 0) + written

    # actors

    def make_actors(self) -> None:
        rng = self.rng
        kinds = list(ACTOR_KINDS)
        quotas = {kind: max(1, round(self.n_actors * share)) for kind, share in ACTOR_KINDS.items()}
        quotas["person"] += self.n_actors - sum(quotas.values())
        country_codes = sorted(_country_codes())
        self.place_names = _unique_names(rng, 2000, lambda: rng.choice(PLACE_PREFIXES) + _word(rng, PLACE_ENDINGS))
        self.places = [
            (name, rng.choice(country_codes), round(rng.uniform(-60, 70), 5), round(rng.uniform(-170, 170), 5))
            for name in self.place_names
        ]
        actors: list[dict] = []
        by_kind: dict[str, list[dict]] = {kind: [] for kind in kinds}

        def add(kind: str, name: str, **extra) -> dict:
            actor = {
                "id": self.ids.take(Actor),
                "slug": f"{PREFIX}actor-{len(actors) + 1:05d}",
                "name": name,
                "kind": kind,
                "country": extra.get("country", ""),
                "title": extra.get("title", ""),
                "parent": extra.get("parent"),
                "description": extra.get("description", ""),
                "aliases": extra.get("aliases", []),
            }
            actors.append(actor)
            by_kind[kind].append(actor)
            return actor

        state_names = _unique_names(rng, quotas["state"], lambda: _word(rng, STATE_ENDINGS))
        for i, name in enumerate(state_names):
            aliases = [f"{name[:-2] if len(name) > 5 else name} City"] if rng.random() < 0.8 else []
            add(
                "state",
                name,
                country=country_codes[i % len(country_codes)],
                description=f"A state, synthetic for load testing, whose capital is {aliases[0] if aliases else name}.",
                aliases=aliases,
            )
        states = by_kind["state"]
        for i in range(quotas["igo"]):
            stem = _word(rng, ("ic", "an", "ean"))
            name = rng.choice((f"{stem} Union", f"{stem} Council", f"UN Mission in {rng.choice(states)['name']}"))
            acronym = "".join(w[0] for w in name.split() if w[0].isupper())
            add(
                "igo",
                f"{name} {i + 1}",
                aliases=[acronym + str(i + 1)] if rng.random() < 0.5 else [],
                description="An intergovernmental organisation.",
            )
        for i in range(quotas["coalition"]):
            add("coalition", f"{_word(rng, ('ic', 'an'))} Contact Group {i + 1}", description="A group of states.")
        for i in range(quotas["government"]):
            state = states[i % len(states)]
            portfolio = PORTFOLIOS[(i // len(states)) % len(PORTFOLIOS)]
            suffix = f" {i // (len(states) * len(PORTFOLIOS)) + 1}" if i >= len(states) * len(PORTFOLIOS) else ""
            add(
                "government",
                f"{state['name']} Ministry of {portfolio}{suffix}",
                country=state["country"],
                parent=state,
                description=f"The {portfolio.lower()} ministry of {state['name']}.",
            )
        armies: list[dict] = []
        for i in range(quotas["armed_force"]):
            # The first one per state is its army; the others are units below an army (depth 3 with the state).
            if i < len(states):
                state = states[i]
                armies.append(
                    add(
                        "armed_force",
                        f"{state['name']} Armed Forces",
                        country=state["country"],
                        parent=state,
                        description="A national army.",
                    )
                )
            else:
                army = rng.choice(armies)
                add(
                    "armed_force",
                    f"Brigade {i} of the {army['name']}",
                    country=army["country"],
                    parent=army,
                    description="A brigade.",
                )
        for i in range(quotas["armed_group"]):
            add(
                "armed_group",
                f"{_word(rng, ('ar', 'i'))} {rng.choice(('Brigades', 'Front', 'Movement'))} {i + 1}",
                description="A non-state armed group.",
            )
        parties = []
        for i in range(quotas["political_org"]):
            state = rng.choice(states)
            parties.append(
                add(
                    "political_org",
                    f"{_word(rng, ('ist', 'al'))} Party of {state['name']} {i + 1}",
                    country=state["country"],
                    description="A political party.",
                )
            )
        ministries = by_kind["government"]
        person_names = _unique_names(
            rng, quotas["person"], lambda: f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}", numbered=True
        )
        for name in person_names:
            roll = rng.random()
            if roll < 0.6 and ministries:
                # state -> ministry -> minister or spokesperson: three levels.
                parent = rng.choice(ministries)
                title = rng.choice(("Minister", "Deputy Minister", "Spokesperson", "Envoy")) + " at " + parent["name"]
            elif roll < 0.75 and parties:
                parent, title = rng.choice(parties), "Party leader"
            else:
                parent, title = None, rng.choice(("", "Analyst", "Commander", "Mediator"))
            last = name.split()[1]
            add(
                "person",
                name,
                country=parent["country"] if parent else "",
                title=title,
                parent=parent,
                aliases=[last] if rng.random() < 0.3 else [],
                description=f"{title or 'A person'}.",
            )
        for i in range(quotas["media"]):
            add(
                "media",
                f"The {_word(rng, ('on', 'ia'))} {rng.choice(('Times', 'Post', 'Herald', 'Wire'))} {i + 1}",
                description="A news outlet.",
            )
        for i in range(quotas["civilians"]):
            add("civilians", f"Residents of {rng.choice(self.place_names)} {i + 1}", description="A population.")
        for i in range(quotas["other"]):
            add("other", f"{_word(rng, ('co', 'tex'))} Foundation {i + 1}", description="Another kind of actor.")

        self.actors = actors
        self.actor_by_id = {actor["id"]: actor for actor in actors}
        # Popularity: a few actors take part in much of the news, most rarely (Zipf-like), as in real coverage.
        order = list(range(len(actors)))
        rng.shuffle(order)
        self.actor_weights = list(accumulate(1.0 / (rank + 5) ** 0.9 for rank in order))
        self.speakers = [a for a in actors if a["kind"] in ("person", "government", "igo", "armed_group", "state")]
        self.speaker_weights = list(accumulate(1.0 / (i + 5) ** 0.9 for i in range(len(self.speakers))))
        self.pledgers = [a for a in actors if a["kind"] in ("state", "igo", "government", "coalition")]
        self.pledger_weights = list(accumulate(1.0 / (i + 3) ** 0.9 for i in range(len(self.pledgers))))

    def pick_actor(self) -> dict:
        return self.rng.choices(self.actors, cum_weights=self.actor_weights)[0]

    # sources

    def make_sources(self) -> None:
        rng = self.rng
        self.sources: list[SourceDraft] = []
        step = DATE_DAYS / self.n_sources
        persons = [a for a in self.actors if a["kind"] == "person"] or self.actors
        for i in range(self.n_sources):
            day = DATE_START + datetime.timedelta(days=min(DATE_DAYS - 1, int(i * step + rng.random() * step)))
            draft = SourceDraft(id=self.ids.take(Source), date=day, paragraphs=[])
            for p in range(rng.randrange(6, 10)):
                sentences = []
                for s in range(rng.randrange(3, 6)):
                    if rng.random() < 0.3:
                        speaker = rng.choice(persons)
                        quote = rng.choice(QUOTES)
                        if rng.random() < 0.5:
                            quote += f" on {rng.choice(TOPICS)}"
                        sentences.append(f"“{quote},” {speaker['name']} said.")
                        draft.quotes.append((p, s, quote + ",", speaker["id"]))
                    else:
                        sentences.append(self.narrative_sentence())
                draft.paragraphs.append(sentences)
            self.sources.append(draft)
        self.source_dates = [s.date for s in self.sources]

    def narrative_sentence(self) -> str:
        rng = self.rng
        a, b = self.pick_actor()["name"], self.pick_actor()["name"]
        roll = rng.randrange(4)
        if roll == 0:
            return f"{a} and {b} {rng.choice(VERBS)} {rng.choice(TOPICS)} in {rng.choice(self.place_names)} on {rng.choice(WEEKDAYS)}."  # noqa: E501
        if roll == 1:
            return f"According to officials, {a} offered {rng.randrange(2, 900) * 10} personnel for {rng.choice(TOPICS)}, a proposal {b} has yet to accept."  # noqa: E501
        if roll == 2:
            return f"The meeting in {rng.choice(self.place_names)}, the third this year, ended without a joint statement from {a}."  # noqa: E501
        return f"{a} said it {rng.choice(VERBS)} the proposal on {rng.choice(TOPICS)}, while {b} asked for more time."

    def write_sources(self) -> None:
        def rows() -> Iterator[tuple]:
            for i, draft in enumerate(self.sources, 1):
                text = "\n\n".join(" ".join(p) for p in draft.paragraphs)
                created, updated = self.stamp()
                title = f"Synthetic report {i}: " + draft.paragraphs[0][0][:120]
                publisher = f"Synthetic Wire {i % 40 + 1}"
                byline = f"Staff reporter {i % 300 + 1}"
                precision, end = DatePrecision.DAY.value, draft.date
                if i % 10 == 0:
                    precision, end = DatePrecision.APPROXIMATE.value, draft.date + datetime.timedelta(days=6)
                yield (
                    draft.id, created, updated, 1, draft.date, precision, end, "",
                    _search_text(title, publisher, byline, text), f"{PREFIX}source-{i:06d}", title, publisher,
                    byline, f"https://example.org/synthetic/{i}", None, text, Source.digest(text),
                )  # fmt: skip

        self.write(Source, rows())

    def cite(self, day: datetime.date | None, *, avoid: int | None = None) -> tuple[SourceDraft, str]:
        """A source published on or soon after ``day``, and an excerpt cut from its text (so always verbatim)."""
        rng = self.rng
        if day is None:
            index = rng.randrange(len(self.sources))
        else:
            index = min(len(self.sources) - 1, bisect.bisect_left(self.source_dates, day) + rng.randrange(4))
        if avoid is not None and self.sources[index].id == avoid and len(self.sources) > 1:
            index = index - 1 if index else index + 1
        draft = self.sources[index]
        paragraph = rng.choice(draft.paragraphs)
        s = rng.randrange(len(paragraph))
        roll = rng.random()
        if roll < 0.7 or s + 1 >= len(paragraph):
            excerpt = paragraph[s]
        elif roll < 0.9:
            excerpt = paragraph[s] + " " + paragraph[s + 1]
        else:
            excerpt = paragraph[s].split(",")[0]  # a clause
        return draft, excerpt

    def citations(self, day, target: str, record_id: int, extra_share: float) -> list[tuple]:
        """One citation, sometimes two from different sources: rows ready for COPY."""
        rows = []
        draft, excerpt = self.cite(day)
        rows.append(self.citation_row(draft.id, excerpt, target, record_id))
        if self.rng.random() < extra_share:
            second, excerpt2 = self.cite(day, avoid=draft.id)
            if second.id != draft.id:
                rows.append(self.citation_row(second.id, excerpt2, target, record_id))
        return rows

    def citation_row(self, source_id: int, excerpt: str, target: str, record_id: int) -> tuple:
        created, updated = self.stamp()
        ids = {"event": None, "pledge": None, "statement": None, "actor": None, target: record_id}
        return (
            self.ids.take(Citation), created, created, source_id, excerpt,
            ids["event"], ids["pledge"], ids["statement"], ids["actor"],
        )  # fmt: skip

    def write_actors(self) -> None:
        citations: list[tuple] = []
        actor_rows, alias_rows = [], []
        for actor in self.actors:
            own = []
            if self.rng.random() < 0.25:
                own = self.citations(None, "actor", actor["id"], 0.0)
                citations += own
            aliases = sorted(dict.fromkeys(actor["aliases"]))  # the search document lists aliases by name
            for alias in aliases:
                alias_rows.append((self.ids.take(ActorAlias), actor["id"], alias))
            created, updated = self.stamp()
            parent = actor["parent"]
            actor_rows.append((
                actor["id"], created, updated, 1,
                _search_text(actor["name"], actor["title"], actor["description"], *aliases, *(c[4] for c in own)),
                actor["slug"], actor["name"], actor["kind"], actor["country"], actor["title"],
                parent["id"] if parent else None, actor["description"],
            ))  # fmt: skip
        self.write(Actor, actor_rows)
        self.write(ActorAlias, alias_rows)
        self.write(Citation, citations)

    # events, statements, pledges

    def write_records(self) -> None:
        types, type_weights = list(Event.Type.values), list(accumulate(EVENT_TYPE_WEIGHTS))
        statuses, status_weights = _weights(EVENT_STATUS_WEIGHTS)
        mediums, medium_weights = _weights(MEDIUM_WEIGHTS)
        pledge_statuses, pledge_status_weights = _weights(PLEDGE_STATUS_WEIGHTS)
        categories = list(Pledge.Category.values)
        bar = tqdm(total=self.n_events, unit="event", disable=not self.progress, desc="events", smoothing=0.05)
        done = 0
        while done < self.n_events:
            size = min(self.batch, self.n_events - done)
            chunk = self.chunk(
                done,
                size,
                types,
                type_weights,
                statuses,
                status_weights,
                mediums,
                medium_weights,
                pledge_statuses,
                pledge_status_weights,
                categories,
            )
            for model in (Event, EventParticipant, Statement, StatementAbout, Pledge, Citation, PledgeStatusChange):
                self.write(model, chunk[model])
            done += size
            bar.update(size)
        bar.close()

    def chunk(
        self,
        offset,
        size,
        types,
        type_weights,
        statuses,
        status_weights,
        mediums,
        medium_weights,
        pledge_statuses,
        pledge_status_weights,
        categories,
    ) -> dict:
        rng = self.rng
        out: dict[type[models.Model], list[tuple]] = {model: [] for model in COLUMNS}
        for n in range(offset + 1, offset + size + 1):
            event_id = self.ids.take(Event)
            day, precision, end, note = partial_date(rng)
            kind = rng.choices(types, cum_weights=type_weights)[0]
            wanted = rng.choice((2, 3, 3, 3, 4))
            involved: list[dict] = []
            for _ in range(wanted * 3):
                actor = self.pick_actor()
                if actor not in involved:
                    involved.append(actor)
                if len(involved) == wanted:
                    break
            a, b = involved[0]["name"], involved[-1]["name"]
            place, country, lat, lon = rng.choice(self.places)
            topic = rng.choice(TOPICS)
            title = EVENT_TITLES[kind].format(a=a, b=b, place=place, topic=topic)
            description = f"{a} and {len(involved) - 1} other actors were involved; the talks concerned {topic}."
            status = rng.choices(statuses, cum_weights=status_weights)[0]
            with_coordinates = rng.random() < 0.5
            location = place if rng.random() < 0.9 else ""
            for i, actor in enumerate(involved):
                role = (
                    ("initiator" if kind not in ("diplomatic_meeting", "negotiation") else "host")
                    if i == 0
                    else (rng.choice(ROLES_SECONDARY))
                )
                # The event's own span, as EventParticipant.save() would copy it.
                out[EventParticipant].append((self.ids.take(EventParticipant), event_id, actor["id"], role, day, end))
            cites = self.citations(day, "event", event_id, 0.3)
            out[Citation] += cites
            created, updated = self.stamp()
            out[Event].append(
                (
                    event_id,
                    created,
                    updated,
                    1,
                    day,
                    precision,
                    end,
                    note,
                    _search_text(title, description, location, *(c[4] for c in cites)),
                    f"{PREFIX}event-{n:07d}",
                    title,
                    description,
                    kind,
                    status,
                    location,
                    country if location else "",
                    Decimal(str(lat)) if with_coordinates else None,
                    Decimal(str(lon)) if with_coordinates else None,
                    "",
                )
            )

            statement_ids = []
            for k in range(STATEMENTS_PER_EVENT):
                statement_ids.append(self.statement(out, n, k, event_id, day, involved, topic, mediums, medium_weights))
            for k in range(PLEDGES_PER_EVENT):
                self.pledge(
                    out,
                    n,
                    k,
                    event_id,
                    day,
                    involved,
                    topic,
                    statement_ids,
                    categories,
                    pledge_statuses,
                    pledge_status_weights,
                )
        return out

    def statement(self, out, n, k, event_id, event_day, involved, topic, mediums, medium_weights) -> int:
        rng = self.rng
        statement_id = self.ids.take(Statement)
        day, precision, end, note = (
            (event_day, DatePrecision.DAY.value, event_day, "")
            if event_day is not None and rng.random() < 0.5
            else partial_date(rng)
        )
        direct = rng.random() < 0.4
        if direct:
            # A direct quotation: the words stand verbatim in the excerpt, and the speaker is who the source quotes.
            draft, _ = self.cite(day)
            if not draft.quotes:
                direct = False
        if direct:
            p, s, quote, speaker_id = rng.choice(draft.quotes)
            excerpt = draft.paragraphs[p][s]
            cites = [self.citation_row(draft.id, excerpt, "statement", statement_id)]
            text = quote
            speaker = self.actor_by_id[speaker_id]
        else:
            speaker = rng.choices(self.speakers, cum_weights=self.speaker_weights)[0]
            other = involved[-1]["name"]
            text = f"{speaker['name']} " + rng.choice(REPORTED).format(b=other, topic=topic) + "."
            cites = self.citations(day, "statement", statement_id, 0.15)
        out[Citation] += cites
        stance, target, stance_topic = "", None, ""
        if rng.random() < 0.4:
            stance = rng.choice(("supports", "opposes"))
            stance_topic = topic
            if rng.random() < 0.7:
                target = rng.choice(involved)["id"]
                if target == speaker["id"]:
                    target = None
        if rng.random() < 0.3:
            about = sorted({rng.choice(involved)["id"], self.pick_actor()["id"]})
            for actor_id in about:
                out[StatementAbout].append((self.ids.take(StatementAbout), statement_id, actor_id))
        speaker_role = speaker["title"] if rng.random() < 0.7 else ""
        created, updated = self.stamp()
        out[Statement].append((
            statement_id, created, updated, 1, day, precision, end, note,
            _search_text(text, speaker_role, stance_topic, *(c[4] for c in cites)),
            f"{PREFIX}statement-{n:07d}-{k}", speaker["id"], speaker_role, text,
            "direct" if direct else "reported", rng.choices(mediums, cum_weights=medium_weights)[0],
            stance, target, stance_topic, event_id if rng.random() < 0.8 else None, "",
        ))  # fmt: skip
        return statement_id

    def pledge(
        self, out, n, k, event_id, event_day, involved, topic, statement_ids, categories, statuses, status_weights
    ) -> None:
        rng = self.rng
        pledge_id = self.ids.take(Pledge)
        day, precision, end, note = (
            (event_day, DatePrecision.DAY.value, event_day, "") if event_day is not None else partial_date(rng)
        )
        category = rng.choice(categories)
        pledger = rng.choices(self.pledgers, cum_weights=self.pledger_weights)[0]
        beneficiary = rng.choice(involved)["id"] if rng.random() < 0.6 else None
        if beneficiary == pledger["id"]:
            beneficiary = None
        quantity = delivered = None
        unit, approximate = "", False
        if category in PLEDGE_UNITS and rng.random() < 0.8:
            unit, low, high = PLEDGE_UNITS[category]
            quantity = rng.randrange(low, high)
            approximate = rng.random() < 0.3
        status = rng.choices(statuses, cum_weights=status_weights)[0]
        if quantity is not None and status in ("in_progress", "partially_fulfilled", "fulfilled"):
            delivered = quantity if status == "fulfilled" else rng.randrange(0, quantity)
        target, target_precision, target_end, target_note = None, DatePrecision.UNKNOWN.value, None, ""
        if rng.random() < 0.5 and day is not None:
            target, target_precision, target_end, target_note = partial_date(rng, start=day, days=730)
        title = f"{pledger['name']} pledges support for {topic}"
        description = f"{pledger['name']} committed to {topic}" + (
            f" ({'about ' if approximate else ''}{quantity} {unit})." if quantity is not None else "."
        )
        conditions = f"Subject to progress on {rng.choice(TOPICS)}." if rng.random() < 0.3 else ""
        status_day = None
        if status != "announced" and day is not None:
            status_day = day + datetime.timedelta(days=rng.randrange(1, 400))
        cites = self.citations(day, "pledge", pledge_id, 0.2)
        out[Citation] += cites
        if status_day is not None:
            out[PledgeStatusChange].append((
                self.ids.take(PledgeStatusChange), pledge_id, status, status_day, delivered,
                f"Reported as {status.replace('_', ' ')}.", cites[0][0], BASE_TIME + datetime.timedelta(seconds=self.tick),
            ))  # fmt: skip
        created, updated = self.stamp()
        out[Pledge].append((
            pledge_id, created, updated, 1, day, precision, end, note,
            _search_text(title, description, conditions, *(c[4] for c in cites)),
            f"{PREFIX}pledge-{n:07d}-{k}", title, description, category, pledger["id"], beneficiary, quantity,
            delivered, approximate, unit, conditions, target, target_precision, target_end, target_note, status,
            status_day, f"Status as reported on {status_day:%d %b %Y}." if status_day else "",
            event_id if rng.random() < 0.7 else None,
            rng.choice(statement_ids) if rng.random() < 0.3 else None, "",
        ))  # fmt: skip


def _word(rng: random.Random, endings: Sequence[str]) -> str:
    return rng.choice(STEMS) + rng.choice(("", "a", "e", "i", "o", "u", "an", "er")) + rng.choice(endings)


def _unique_names(rng: random.Random, count: int, make, *, numbered: bool = False) -> list[str]:
    """``count`` distinct names; once the vocabulary runs short, a number keeps them distinct."""
    names: dict[str, None] = {}
    attempts = 0
    while len(names) < count:
        name = make()
        attempts += 1
        if name in names:
            if not numbered and attempts < count * 20:
                continue
            name = f"{name} {len(names) + 1}"
        names[name] = None
    return list(names)


def _country_codes() -> list[str]:
    from django_countries import countries

    return [code for code, _ in countries]


def _next_id(model: type[models.Model]) -> int:
    return (model.objects.aggregate(top=models.Max("id"))["top"] or 0) + 1


def _check_columns() -> None:
    for model, columns in COLUMNS.items():
        expected = {f.column for f in model._meta.concrete_fields if not getattr(f, "generated", False)}
        if set(columns) != expected:
            raise CommandError(
                f"generate_synthetic is out of date for {model.__name__}: it writes {sorted(set(columns))} but the "
                f"table has {sorted(expected)}. Update COLUMNS and the generator."
            )


# PostgreSQL bulk-load helpers: drop secondary indexes and foreign keys, COPY, then rebuild them in one pass. All in
# the command's transaction, so a failure leaves the schema (and the data) exactly as before.

LOADED_TABLES = tuple(model._meta.db_table for model in COLUMNS)


def _pg_defer_indexes(cursor) -> list[str]:
    tables = list(LOADED_TABLES)
    cursor.execute(
        """
        SELECT format('ALTER TABLE %%I ADD CONSTRAINT %%I %%s', c.conrelid::regclass::text, c.conname,
                      pg_get_constraintdef(c.oid)),
               format('ALTER TABLE %%I DROP CONSTRAINT %%I', c.conrelid::regclass::text, c.conname)
        FROM pg_constraint c
        WHERE c.conrelid::regclass::text = ANY(%s) AND c.contype IN ('f', 'u')
        ORDER BY c.contype DESC, c.conname
        """,
        [tables],
    )
    constraints = cursor.fetchall()
    cursor.execute(
        """
        SELECT i.indexdef, format('DROP INDEX %%I', i.indexname)
        FROM pg_indexes i
        WHERE i.schemaname = current_schema() AND i.tablename = ANY(%s)
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = (quote_ident(i.indexname))::regclass)
        ORDER BY i.indexname
        """,
        [tables],
    )
    indexes = cursor.fetchall()
    # ALTER TABLE is refused while deferred checks of earlier writes in this transaction are pending: run them now.
    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    # Foreign keys first (they depend on nothing we drop), then unique constraints, then plain indexes.
    for _, drop in constraints:
        cursor.execute(drop)
    for _, drop in indexes:
        cursor.execute(drop)
    # Rebuild: indexes and unique constraints first, foreign keys last (validated in one join each).
    unique = [create for create, drop in constraints if " UNIQUE " in create]
    foreign = [create for create, drop in constraints if " FOREIGN KEY " in create]
    return [create for create, _ in indexes] + unique + foreign


# The command --------------------------------------------------------------------------------------------------


class Command(BaseCommand):
    help = (
        "Generate deterministic synthetic data for load tests: about 10k actors (with aliases and parents up to "
        "three levels), N events with about 3 participants each, 2 statements and 1 pledge per event, sources "
        "whose texts every citation's excerpt is cut from (so each is verbatim), with search_text, date_end, "
        "version=1, fixed timestamps and sha256 filled as the services would. The same --seed gives the same rows. "
        "Written with PostgreSQL COPY (bulk INSERT elsewhere): no model save(), no signals, and no "
        "django-simple-history rows for synthetic records. On PostgreSQL the loaded tables' secondary indexes and "
        "foreign keys are dropped and rebuilt inside the same transaction (the tables are locked meanwhile). "
        "Refuses to run on a database holding the real article fixtures (a source with a seed_file, or the slugs "
        "in seeds/sources.json) unless --force. Synthetic slugs start with 'syn-'; --clear deletes those rows."
    )

    def add_arguments(self, parser):
        parser.add_argument("--events", type=int, help="Number of events to generate (required unless --clear).")
        parser.add_argument("--seed", type=int, default=1, help="Random seed; the same seed gives the same rows.")
        parser.add_argument("--actors", type=int, default=DEFAULT_ACTORS, help="Number of actors (default 10000).")
        parser.add_argument(
            "--sources", type=int, help=f"Number of sources (default: one per {EVENTS_PER_SOURCE} events, 20 at least)."
        )
        parser.add_argument("--batch-size", type=int, default=10_000, help="Events written per COPY batch.")
        parser.add_argument(
            "--force", action="store_true", help="Run even on a database that holds the real article fixtures."
        )
        parser.add_argument(
            "--clear", action="store_true", help="First delete every synthetic row (slugs starting with 'syn-')."
        )
        parser.add_argument("--no-progress", action="store_true", help="Do not show a progress bar.")
        parser.add_argument(
            "--keep-indexes",
            action="store_true",
            help="PostgreSQL: keep indexes and foreign keys in place during the load (slower for large loads).",
        )
        parser.add_argument("--no-vacuum", action="store_true", help="PostgreSQL: skip VACUUM ANALYZE after loading.")

    def handle(self, *args, **options):
        events = options["events"]
        if events is None and not options["clear"]:
            raise CommandError("Give --events N (or --clear alone to delete the synthetic rows).")
        if events is not None and events < 1:
            raise CommandError("--events must be at least 1.")
        if options["actors"] < 20:
            raise CommandError("--actors must be at least 20.")
        if events is not None:
            self.refuse_real_data(force=options["force"])
        _check_columns()
        started = time.monotonic()
        if options["clear"]:
            deleted = clear_synthetic()
            data_changed()  # plain SQL sends no signal: cached counts must not outlive the rows
            self.stdout.write(f"Deleted {deleted} synthetic rows in {time.monotonic() - started:.1f}s.")
            if events is None:
                return
        if (
            Event.objects.filter(slug__startswith=PREFIX).exists()
            or Actor.objects.filter(slug__startswith=PREFIX).exists()
        ):
            raise CommandError("This database already holds synthetic rows; add --clear to replace them.")
        sources = options["sources"] or max(20, events // EVENTS_PER_SOURCE)
        postgres = connection.vendor == "postgresql"
        started = time.monotonic()
        with transaction.atomic(), connection.cursor() as cursor:
            rebuild: list[str] = []
            if postgres:
                cursor.execute("SET LOCAL synchronous_commit = off")
                cursor.execute("SET LOCAL maintenance_work_mem = '1GB'")
                if not options["keep_indexes"]:
                    rebuild = _pg_defer_indexes(cursor)
            writer = CopyWriter(cursor) if postgres else InsertWriter(cursor)
            generator = Generator(
                seed=options["seed"],
                events=events,
                actors=options["actors"],
                sources=sources,
                writer=writer,
                batch=options["batch_size"],
                progress=not options["no_progress"],
            )
            generator.make_actors()
            generator.make_sources()
            generator.write_sources()
            generator.write_actors()
            generator.write_records()
            loaded = time.monotonic()
            if rebuild:
                steps = tqdm(rebuild, desc="indexes", unit="index", disable=options["no_progress"])
                for statement in steps:
                    cursor.execute(statement)
            for statement in connection.ops.sequence_reset_sql(no_style(), list(COLUMNS)):
                cursor.execute(statement)
            indexed = time.monotonic()
        if postgres and not options["no_vacuum"]:
            # Fresh statistics and visibility map for the planner; VACUUM cannot run inside a transaction (e.g. a
            # test's), where a plain ANALYZE does.
            command = "ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)"
            with connection.cursor() as cursor:
                for table in LOADED_TABLES:
                    cursor.execute(f'{command} "{table}"')
        data_changed()  # COPY sends no signal: cached counts (in the shared cache) must not outlive the load
        finished = time.monotonic()
        summary = ", ".join(f"{count} {name}" for name, count in generator.counts.items())
        self.stdout.write(f"Generated {summary}.")
        self.stdout.write(
            f"Timings: rows {loaded - started:.1f}s, indexes and constraints {indexed - loaded:.1f}s, "
            f"vacuum/analyze {finished - indexed:.1f}s, total {finished - started:.1f}s."
        )

    def refuse_real_data(self, *, force: bool) -> None:
        real_slugs = _real_source_slugs()
        real = Source.objects.filter(Q(seed_file__isnull=False) | Q(slug__in=real_slugs))
        if real.exists() and not force:
            raise CommandError(
                "Refusing to generate synthetic data: this database holds the real article fixtures "
                f"(e.g. source “{real.first().slug}”). Use a separate database, or add --force to mix them."
            )


def _real_source_slugs() -> list[str]:
    path = settings.TRACKER_SEEDS_DIR / "sources.json"
    try:
        return [item["slug"] for item in json.loads(path.read_text(encoding="utf-8"))]
    except (OSError, ValueError, KeyError):
        return []


def clear_synthetic() -> int:
    """Delete every synthetic row with plain SQL (no signals, so no tombstones), children first."""
    like = PREFIX + "%"
    table = {model: connection.ops.quote_name(model._meta.db_table) for model in COLUMNS}
    syn = {
        model: f"(SELECT id FROM {table[model]} WHERE slug LIKE %s)"
        for model in (Actor, Source, Event, Statement, Pledge)
    }  # noqa: E501
    steps = [
        (f"DELETE FROM {table[PledgeStatusChange]} WHERE pledge_id IN {syn[Pledge]}", 1),
        (
            f"DELETE FROM {table[Citation]} WHERE source_id IN {syn[Source]} OR event_id IN {syn[Event]} "
            f"OR pledge_id IN {syn[Pledge]} OR statement_id IN {syn[Statement]} OR actor_id IN {syn[Actor]}",
            5,
        ),
        (f"DELETE FROM {table[StatementAbout]} WHERE statement_id IN {syn[Statement]}", 1),
        (f"DELETE FROM {table[EventParticipant]} WHERE event_id IN {syn[Event]}", 1),
        (f"DELETE FROM {table[Pledge]} WHERE slug LIKE %s", 1),
        (f"DELETE FROM {table[Statement]} WHERE slug LIKE %s", 1),
        (f"DELETE FROM {table[Event]} WHERE slug LIKE %s", 1),
        (f"DELETE FROM {table[ActorAlias]} WHERE actor_id IN {syn[Actor]}", 1),
        (f"DELETE FROM {table[Actor]} WHERE slug LIKE %s", 1),
        (f"DELETE FROM {table[Source]} WHERE slug LIKE %s", 1),
    ]
    deleted = 0
    with transaction.atomic(), connection.cursor() as cursor:
        for sql, params in steps:
            cursor.execute(sql, [like] * params)
            deleted += max(cursor.rowcount, 0)
    return deleted
