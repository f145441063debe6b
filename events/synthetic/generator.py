"""The generator: one random.Random(seed), drawn in a fixed order, makes every synthetic record and relation."""

from __future__ import annotations

import bisect
import datetime
import random
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import accumulate

from django.db import models
from tqdm import tqdm

from events.dates import DatePrecision, resolve_span
from events.intake import url_key
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

from .tables import COLUMNS, StatementAbout, next_id
from .vocabulary import (
    ACTOR_KINDS,
    BASE_TIME,
    DATE_DAYS,
    DATE_START,
    EVENT_STATUS_WEIGHTS,
    EVENT_TITLES,
    EVENT_TYPE_WEIGHTS,
    FIRST_NAMES,
    LAST_NAMES,
    MEDIUM_WEIGHTS,
    PLACE_ENDINGS,
    PLACE_PREFIXES,
    PLEDGE_STATUS_WEIGHTS,
    PLEDGE_UNITS,
    PLEDGES_PER_EVENT,
    PORTFOLIOS,
    PREFIX,
    QUOTES,
    REPORTED,
    ROLES_SECONDARY,
    STATE_ENDINGS,
    STATEMENTS_PER_EVENT,
    STEMS,
    TOPICS,
    VERBS,
    WEEKDAYS,
)

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
        self.ids = Ids({model: next_id(model) for model in COLUMNS})
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
                    url_key(f"https://example.org/synthetic/{i}"),
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
            place, country, _lat, _lon = rng.choice(self.places)
            topic = rng.choice(TOPICS)
            title = EVENT_TITLES[kind].format(a=a, b=b, place=place, topic=topic)
            description = f"{a} and {len(involved) - 1} other actors were involved; the talks concerned {topic}."
            status = rng.choices(statuses, cum_weights=status_weights)[0]
            rng.random()  # once chose whether the event had coordinates; kept so that seeds give the same data
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
                    # No place: synthetic names are not in the gazetteer, and places are an editor's choice.
                    None,
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
            # No place of its own: a statement is where its event is (the random stream is unchanged).
            stance, target, stance_topic, event_id if rng.random() < 0.8 else None, None, "",
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
            event_id if rng.random() < 0.7 else None, None,
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
