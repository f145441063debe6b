"""What the engine reads besides the text: the source's own fields and the records already stored, as plain
values (the database layer in ``load.py`` builds them), so that the rules are pure functions."""

import datetime
from dataclasses import dataclass, field


@dataclass(frozen=True)
class SourceDoc:
    slug: str
    text: str
    date: datetime.date | None
    date_precision: str = "day"
    date_end: datetime.date | None = None
    title: str = ""  # the headline as printed: the line of the text that is it is not a statement

    @property
    def base_end(self) -> datetime.date | None:
        """The last day the source may have been written on, when its date is a span."""
        if self.date is None or self.date_precision == "day":
            return None
        return self.date_end if self.date_end and self.date_end != self.date else None


@dataclass(frozen=True)
class KnownCitation:
    source: str
    excerpt: str


@dataclass(frozen=True)
class KnownStatement:
    slug: str
    speaker: str
    text: str
    quote_type: str
    citations: tuple[KnownCitation, ...] = ()


@dataclass(frozen=True)
class KnownPledge:
    slug: str
    pledger: str
    category: str
    title: str
    quantity: int | None = None
    unit: str = ""
    quantity_approximate: bool = False
    citations: tuple[KnownCitation, ...] = ()


@dataclass(frozen=True)
class KnownEvent:
    slug: str
    title: str
    event_type: str
    date: datetime.date | None
    date_end: datetime.date | None
    participants: tuple[str, ...] = ()
    citations: tuple[KnownCitation, ...] = ()


@dataclass(frozen=True)
class Records:
    statements: tuple[KnownStatement, ...] = ()
    pledges: tuple[KnownPledge, ...] = ()
    events: tuple[KnownEvent, ...] = ()
    # Slugs already used, by resource, among those the proposals would take: a proposal takes another.
    taken: dict[str, frozenset[str]] = field(default_factory=dict)
