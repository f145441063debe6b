"""Read serializers compiled into plain functions, so that a page of records costs little more than its SQL.

DRF serializes a record by building its serializer's fields (for a ModelSerializer, by introspecting the model on
every instantiation) and then, for each field of each row, calling ``get_attribute`` and ``to_representation``
through several layers: for a page of events with their actors and citations that is thousands of calls, most of
them for plain strings. ``compile_serializer`` walks a serializer class's fields once, keeps the result, and
returns a function from an instance to the same dict DRF would build:

- fields whose representation is the value itself (text, slugs, choices, integers) become attribute reads;
- ISO dates become ``isoformat()``;
- nested serializers, lists of them and slug lists become loops over the prefetched rows;
- API URLs are built from a template reversed once per response, instead of one ``reverse()`` per row;
- every other field (times, decimals, countries, custom fields) goes through DRF's own ``to_representation``.

The plan of a class is built from its fields, which therefore must not depend on the context (the request); the
only per-response input is the request, for absolute URLs. SerializerMethodFields would bind to one instance of
their serializer, so they are refused: use a Field subclass with ``source="*"`` instead, and if it needs the
request, a ``per_response(urls)`` method that returns its getter for one response.

tests/test_representation.py checks that every response of the real data set equals DRF's own output.
"""

from collections.abc import Callable, Mapping
from operator import attrgetter
from typing import Any

from django.db.models import Manager
from django.urls import reverse
from rest_framework import ISO_8601, serializers
from rest_framework.fields import SkipField, get_attribute
from rest_framework.relations import ManyRelatedField, PKOnlyObject
from rest_framework.settings import api_settings

Getter = Callable[[Any], Any]
Maker = Callable[["Urls"], Getter]  # binds one field's plan to a response

# Fields whose to_representation is str(value) or int(value): exact types only, since a subclass may override it.
AS_STRING = (serializers.CharField, serializers.SlugField, serializers.URLField)
AS_INTEGER = (serializers.IntegerField,)
SLUG_PLACEHOLDER = "0slug0"
_SKIP = object()
_PLANS: dict[type, list[tuple[str, Maker]]] = {}


class Urls:
    """Absolute URL templates for one response: one reverse() per view name."""

    def __init__(self, request):
        self.request = request
        self.templates: dict[str, tuple[str, str]] = {}

    def template(self, view_name: str) -> tuple[str, str]:
        if view_name not in self.templates:
            # Slugs are ASCII letters, digits, - and _, which neither reverse() nor build_absolute_uri() escapes,
            # so joining one to the template gives the URL that reversing it would.
            prefix, suffix = reverse(view_name, kwargs={"slug": SLUG_PLACEHOLDER}).split(SLUG_PLACEHOLDER)
            if self.request is not None:
                prefix = self.request.build_absolute_uri(prefix)
            self.templates[view_name] = (prefix, suffix)
        return self.templates[view_name]


def compile_serializer(serializer: serializers.BaseSerializer, urls: Urls | None = None) -> Callable[[Any], dict]:
    """A function that represents one instance as ``serializer.to_representation`` would."""
    if urls is None:
        urls = Urls(serializer.context.get("request"))
    return _bind(_plan(serializer), urls)


def _plan(serializer: serializers.BaseSerializer) -> list[tuple[str, Maker]]:
    cls = type(serializer)
    plan = _PLANS.get(cls)
    if plan is None:
        plan = [(field.field_name, _compile_field(field)) for field in serializer._readable_fields]
        _PLANS[cls] = plan
    return plan


def _bind(plan: list[tuple[str, Maker]], urls: Urls) -> Callable[[Any], dict]:
    getters = [(name, make(urls)) for name, make in plan]

    def represent(instance) -> dict:
        data = {}
        for name, get in getters:
            value = get(instance)
            if value is not _SKIP:
                data[name] = value
        return data

    return represent


def _compilable(serializer: serializers.BaseSerializer) -> bool:
    # A serializer that overrides to_representation must keep it.
    method = type(serializer).to_representation
    return method in (serializers.Serializer.to_representation, CompiledReadMixin.to_representation)


def _compile_field(field: serializers.Field) -> Maker:
    from .serializers import ApiUrlField

    if isinstance(field, serializers.SerializerMethodField):
        raise TypeError(f"{field.parent.__class__.__name__}.{field.field_name}: a SerializerMethodField cannot be "
                        "compiled; use a Field subclass with source='*'.")  # fmt: skip
    per_response = getattr(field, "per_response", None)
    if per_response is not None:
        # A field that builds URLs or nested answers from the request binds them to each response, not to the
        # serializer the plan was first built from: that one's context is the first request's (its host, scheme).
        return per_response
    if type(field) is ApiUrlField:
        view_name = field.view_name

        def make_url(urls: Urls) -> Getter:
            prefix, suffix = urls.template(view_name)
            return lambda instance: f"{prefix}{instance.slug}{suffix}"

        return make_url
    read = _reader(field.source_attrs)
    kind = type(field)
    if kind in (serializers.ListSerializer, CompiledListSerializer) and _compilable(field.child):
        child = _plan(field.child)
        return lambda urls: _many(read, _bind(child, urls))
    if kind is ManyRelatedField and type(field.child_relation) is serializers.SlugRelatedField:
        return _static(_many(read, attrgetter(field.child_relation.slug_field)))
    if isinstance(field, serializers.Serializer) and _compilable(field):
        nested = _plan(field)
        return lambda urls: _optional(read, _bind(nested, urls))
    if kind is serializers.SlugRelatedField:
        return _static(_optional(read, attrgetter(field.slug_field)))
    if kind is serializers.ChoiceField:
        choices = field.choice_strings_to_values
        return _static(_optional(read, lambda value: choices.get(str(value), value)))
    if kind in AS_STRING:
        return _static(_optional(read, str))
    if kind in AS_INTEGER:
        return _static(_optional(read, int))
    if kind is serializers.DateField and getattr(field, "format", api_settings.DATE_FORMAT) == ISO_8601:
        return _static(_optional(read, _isoformat))
    return _static(_drf(field))


def _static(getter: Getter) -> Maker:
    return lambda urls: getter


def _reader(source_attrs: list[str]) -> Getter:
    if len(source_attrs) == 1:
        name = source_attrs[0]

        def read(instance):
            if isinstance(instance, Mapping):
                return instance[name]
            # Prefetched rows (rows.py or prefetch_related) straight from where Django keeps them: reaching them
            # through the attribute builds a related manager on every access.
            prefetched = getattr(instance, "__dict__", {}).get("_prefetched_objects_cache")
            if prefetched is not None and name in prefetched:
                return prefetched[name]
            return getattr(instance, name)

        return read
    return lambda instance: get_attribute(instance, source_attrs)


def _optional(read: Getter, convert: Callable[[Any], Any]) -> Getter:
    def represent(instance):
        value = read(instance)
        return None if value is None else convert(value)

    return represent


def _many(read: Getter, convert: Callable[[Any], Any]) -> Getter:
    def represent(instance):
        related = read(instance)
        rows = related.all() if isinstance(related, Manager) else related
        return [convert(row) for row in rows]

    return represent


def _isoformat(value) -> str | None:
    # As DateField.to_representation: empty is null, a string (set from input, never saved) passes unchanged.
    if not value:
        return None
    return value if isinstance(value, str) else value.isoformat()


def _drf(field: serializers.Field) -> Getter:
    """Exactly what Serializer.to_representation does for one field."""

    def represent(instance):
        try:
            attribute = field.get_attribute(instance)
        except SkipField:
            return _SKIP
        check = attribute.pk if isinstance(attribute, PKOnlyObject) else attribute
        return None if check is None else field.to_representation(attribute)

    return represent


class CompiledListSerializer(serializers.ListSerializer):
    def to_representation(self, data):
        rows = data.all() if isinstance(data, Manager) else data
        represent = compile_serializer(self.child, Urls(self.context.get("request")))
        return [represent(row) for row in rows]


class CompiledReadMixin:
    """For read-only ModelSerializers: represent records through ``compile_serializer``."""

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        meta = getattr(cls, "Meta", None)
        if meta is not None and not hasattr(meta, "list_serializer_class"):
            meta.list_serializer_class = CompiledListSerializer

    def to_representation(self, instance):
        return compile_serializer(self)(instance)
