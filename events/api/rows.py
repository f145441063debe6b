"""Related rows for pages of records: one values() query per relation, no model instances.

``prefetch_related`` builds a model instance for every related row (an event's participants, their actors, its
citations and their sources: a few hundred per page) and a queryset per record and relation to hold them; at
100 records per page that machinery, not the SQL, was most of the time of a list request. A page's relations are
read instead with one ``values_list()`` query each, as plain attribute objects, in the order the relation's
model sorts by, and put where Django keeps prefetched rows, so that ``record.participants.all()`` returns them,
for the serializers (compiled or not) and for any code that reads the relation.

Only the attributes a relation declares exist on its rows: these pages are for reading, never for saving.
The views use this for list pages, exports and single records alike (``related_rows`` in views.py).
"""

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from types import SimpleNamespace

from django.db.models import Model, QuerySet

from ..models import Citation


@dataclass(frozen=True)
class Nested:
    """A related object of a row, e.g. a participant's actor: its attributes, by lookup from the related table.
    It is None when ``null_when`` (a lookup) is null."""

    columns: dict[str, "str | Nested"]
    null_when: str | None = None


@dataclass(frozen=True)
class Relation:
    """One to-many relation of a page's records, read as rows."""

    name: str  # the accessor on the record, e.g. "participants"
    queryset: Callable[[], QuerySet]  # the related rows, in the order the relation is read in
    parent: str  # the lookup on those rows that gives the record's primary key, e.g. "event_id"
    columns: dict[str, str | Nested]
    order: Sequence = field(default=())  # overrides the queryset's default ordering when given

    def load(self, instances: Sequence[Model]) -> None:
        lookups: list[str] = []
        build = _builder(self.columns, lookups)
        rows: dict[int, list] = defaultdict(list)
        queryset = self.queryset().filter(**{f"{self.parent}__in": [i.pk for i in instances]})
        if self.order:
            queryset = queryset.order_by(*self.order)
        for values in queryset.values_list(self.parent, *lookups):
            rows[values[0]].append(build(values))
        for instance in instances:
            cache = instance.__dict__.setdefault("_prefetched_objects_cache", {})
            cache[self.name] = rows.get(instance.pk, [])


def _builder(columns: dict[str, "str | Nested"], lookups: list[str]) -> Callable[[tuple], SimpleNamespace]:
    """A function building one row from a ``values_list(parent, *lookups)`` tuple; it appends the lookups it reads
    to ``lookups``, so that each column's index is its position there plus one."""
    parts: list[tuple[str, int, Callable | None, int | None]] = []
    for name, spec in columns.items():
        if isinstance(spec, Nested):
            null_at = None
            if spec.null_when is not None:
                lookups.append(spec.null_when)
                null_at = len(lookups)
            parts.append((name, 0, _builder(spec.columns, lookups), null_at))
        else:
            lookups.append(spec)
            parts.append((name, len(lookups), None, None))

    def build(values: tuple) -> SimpleNamespace:
        attributes = {}
        for name, index, nested, null_at in parts:
            if nested is None:
                attributes[name] = values[index]
            elif null_at is not None and values[null_at] is None:
                attributes[name] = None
            else:
                attributes[name] = nested(values)
        return SimpleNamespace(**attributes)

    return build


def load(instances: Iterable[Model], relations: Sequence[Relation]) -> list[Model]:
    """Read ``relations`` for ``instances`` (one query each) and return the instances."""
    instances = list(instances)
    if instances:
        for relation in relations:
            relation.load(instances)
    return instances


def actor_summary(prefix: str) -> Nested:
    return Nested({"slug": f"{prefix}slug", "name": f"{prefix}name", "kind": f"{prefix}kind"})


def citations(parent: str) -> Relation:
    """A record's citations: what CitationSerializer and first_appearance read."""
    source = Nested({"slug": "source__slug", "date": "source__date"})
    columns = {"pk": "id", "id": "id", "excerpt": "excerpt", "source": source}
    return Relation("citations", Citation.objects.all, parent, columns)


def slugs(name: str, model: type[Model], parent: str) -> Relation:
    return Relation(name, model._default_manager.all, parent, {"slug": "slug"})
