"""Reading a whole ordered list in keyset chunks: each chunk is one query for the rows after the last row's key.

Exports stream every matching row. ``.iterator()`` would hold a server-side cursor open on one connection for the
whole export, which a transaction pooler (PgBouncer in transaction mode) breaks, since the cursor does not outlive
its transaction; with server-side cursors turned off it would read every row into memory first. A chunk here is a
plain query with a LIMIT, finished before the next begins, so it needs no cursor, and an export holds one chunk
at a time. It also lets an export on a read replica that goes away carry on from the same key on the primary.

The key is the list's ordering, with the primary key added when the ordering does not already end in a unique
field, so that it names exactly one row. Each chunk reads its rows as they are when it runs: a record whose key
changes during an export may be read twice or not at all, as with any listing read in pages.
"""

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db import InterfaceError, OperationalError, connections
from django.db.models import F, OrderBy, Q, QuerySet

from tracker import replicas


@dataclass(frozen=True)
class SortKey:
    name: str
    descending: bool
    nulls_last: bool
    nullable: bool

    def expression(self) -> OrderBy:
        field = F(self.name)
        if not self.nullable:
            # No NULLS clause where there can be none: PostgreSQL then walks a plain index either way.
            return field.desc() if self.descending else field.asc()
        placement = {"nulls_last": True} if self.nulls_last else {"nulls_first": True}
        return field.desc(**placement) if self.descending else field.asc(**placement)

    def strictly_after(self, value) -> Q | None:
        """Rows whose value of this key comes after ``value`` in its order; None if none can."""
        if value is None:
            return None if self.nulls_last else Q(**{f"{self.name}__isnull": False})
        after = Q(**{f"{self.name}__{'lt' if self.descending else 'gt'}": value})
        if self.nullable and self.nulls_last:
            after |= Q(**{f"{self.name}__isnull": True})
        return after

    def equal(self, value) -> Q:
        return Q(**{f"{self.name}__isnull": True}) if value is None else Q(**{self.name: value})


def after(keys: Sequence[SortKey], values: Sequence) -> Q:
    """Rows strictly after the row whose key is ``values``: lexicographically, in each key's direction."""
    condition = Q(pk__in=[])
    for position, key in enumerate(keys):
        strictly = key.strictly_after(values[position])
        if strictly is not None:
            ties = [k.equal(v) for k, v in zip(keys[:position], values[:position], strict=True)]
            condition |= Q(*ties, strictly)
    return condition


def sort_keys(queryset: QuerySet) -> tuple[SortKey, ...]:
    """The queryset's ordering as sort keys, ending in a unique field. Nulls are placed as the ordering says, or
    where this database puts them by default (last ascending on PostgreSQL, first on SQLite)."""
    query = queryset.query
    meta = queryset.model._meta
    ordering = query.order_by or (meta.ordering if query.default_ordering else ())
    nulls_largest = connections[queryset.db].features.nulls_order_largest
    keys = []
    for item in ordering:
        if isinstance(item, str):
            descending, name, placement = item.startswith("-"), item.lstrip("-"), None
        elif isinstance(item, OrderBy) and isinstance(item.expression, F):
            descending, name = item.descending, item.expression.name
            placement = True if item.nulls_last else False if item.nulls_first else None
        else:
            raise TypeError(f"A keyset needs orderings by name, not {item!r}.")
        try:
            field = meta.pk if name == "pk" else meta.get_field(name)
            name, nullable, unique = field.attname, field.null, field.unique or field.primary_key
        except FieldDoesNotExist:
            # An annotation (the search rank): never null for a row that matched.
            nullable, unique = False, False
        nulls_last = placement if placement is not None else nulls_largest != descending
        keys.append(SortKey(name, descending, nulls_last, nullable))
        if unique and not nullable:
            return tuple(keys)
    return (*keys, SortKey(meta.pk.attname, False, True, False))


def phases(keys: Sequence[SortKey], last: Sequence | None) -> list[Q]:
    """The conditions that, read in turn, give the rows after the row keyed ``last`` (None: from the start).

    Each bounds the leading key where it can (``date >= last date``), so that the database starts its walk of the
    ordering's index at the last row rather than at the first, and a chunk costs the same at the end of an export
    as at its start. A leading key whose nulls come last needs two: the rows with a value, then the nulls, since
    "the value or null" is no index range."""
    lead = keys[0]
    split = lead.nullable and lead.nulls_last
    valued, unknown = Q(**{f"{lead.name}__isnull": False}), Q(**{f"{lead.name}__isnull": True})
    if last is None:
        return [valued, unknown] if split else [Q()]
    condition = after(keys, last)
    if last[0] is None:
        return [condition]
    condition &= Q(**{f"{lead.name}__{'lte' if lead.descending else 'gte'}": last[0]})
    return [condition & valued, unknown] if split else [condition]


def chunks(source, size: int, then: Callable[[list], Any] = list) -> Iterator:
    """Every row of ``source`` in its order, ``size`` at a time, each chunk passed through ``then`` (which may read
    more, e.g. the rows' relations): a QuerySet, or anything with ``sort_keys``, ``chunk(condition, size)`` and
    ``key_of(row)`` (selectors.Timeline). A chunk that fails on a read replica is read again from the primary
    (tracker.replicas)."""
    if isinstance(source, QuerySet):
        try:
            keys = sort_keys(source)
        except TypeError:
            keys = None  # ordered by an expression (include_undated's "undated last"): by position
        if keys is None or set(source.query.annotations) & {key.name for key in keys}:
            yield from _by_position(source, size, then, keys)
            return
        ordered = source.order_by(*(key.expression() for key in keys))

        def read(condition):
            return list(ordered.filter(condition)[:size])

        def key_of(row):
            return tuple(getattr(row, key.name) for key in keys)
    else:
        keys, key_of = source.sort_keys, source.key_of

        def read(condition):
            return source.chunk(condition, size)

    pending = phases(keys, None)
    while pending:
        batch = _failing_over(read, pending[0])
        if batch:
            yield _failing_over(then, batch)
        if len(batch) < size:
            pending.pop(0)  # the next phase, from its start
        else:
            pending = phases(keys, key_of(batch[-1]))


def _by_position(
    queryset: QuerySet, size: int, then: Callable[[list], Any], keys: tuple[SortKey, ...] | None
) -> Iterator:
    """A list ordered by a computed key (the search rank, or an expression such as "undated records last"): its
    primary keys in order first, in one query, then the rows ``size`` at a time by primary key. A computed key has
    no index to start from, so a keyset chunk would compute it for every match again; and the rank, a PostgreSQL
    real, read back as a Python float, need not compare equal to itself. Without ``keys`` (an ordering by an
    expression), the queryset's own ordering, the primary key breaking ties."""
    if keys is None:
        ordered = queryset.order_by(*queryset.query.order_by, "pk")
    else:
        ordered = queryset.order_by(*(key.expression() for key in keys))
    ids = _failing_over(list, ordered.values_list("pk", flat=True))
    for start in range(0, len(ids), size):
        # The same order on a subset of the rows: they come back in the order of ``ids``.
        part = ordered.filter(pk__in=ids[start : start + size])
        yield _failing_over(lambda part: then(list(part)), part)


def _failing_over(read: Callable[..., Any], *args) -> Any:
    """``read(*args)``, and once more on the primary if it failed on a read replica."""
    try:
        return read(*args)
    except (OperationalError, InterfaceError):
        if replicas.fail_over():
            return read(*args)
        raise
