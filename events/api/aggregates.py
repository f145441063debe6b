"""Aggregates: `GET /api/v1/{events,statements,pledges}/aggregate/?group_by=…` counts the records that the list's
filters match, in groups, in one page of groups (the grouping itself is ``RecordQuerySet.grouped``)."""

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.settings import api_settings

from ..models import Event, Pledge, Statement
from ..querysets import GroupKey, RecordQuerySet
from . import filters
from .pagination import DatedPagination
from .schema import PAGE_PARAMETERS, filter_parameters

GROUP_BY = "group_by"
# The list's parameters that make no sense on groups, which are ordered by their count and have their own shape.
NOT_FOR_AGGREGATES = frozenset({"ordering", "fields"})
PAGE_RENDERERS = tuple(api_settings.DEFAULT_RENDERER_CLASSES)


def group_keys(params, queryset_class: type[RecordQuerySet]) -> list[str]:
    """The keys of ``group_by`` (comma-separated or repeated, in the order given, each once); a missing, empty or
    unknown key is a 400 that lists the valid ones."""
    valid = list(queryset_class.group_keys)
    given = [part.strip() for value in params.getlist(GROUP_BY) for part in value.split(",")]
    hint = f"Valid keys: {', '.join(valid)}."
    if not given:
        raise ValidationError({GROUP_BY: [f"This parameter is required: one or more keys, comma-separated. {hint}"]})
    unknown = [key for key in given if key not in queryset_class.group_keys]
    if unknown:
        raise ValidationError({GROUP_BY: [f"Unknown key: {', '.join(unknown)}. {hint}"]})
    return list(dict.fromkeys(given))


# Schema -------------------------------------------------------------------------------------------------------


class GroupActorSerializer(serializers.Serializer):
    slug = serializers.CharField(help_text="The actor's slug (see /api/v1/actors/{slug}/).")
    name = serializers.CharField(help_text="The actor's name.")


class QuantitySumSerializer(serializers.Serializer):
    unit = serializers.ChoiceField(choices=Pledge.Unit.choices, help_text="The unit these quantities are counted in.")
    sum = serializers.IntegerField(min_value=0, help_text="The group's quantities in this unit, added up.")
    count = serializers.IntegerField(min_value=1, help_text="How many of the group's pledges have a quantity in it.")
    approximate = serializers.BooleanField(
        help_text="True when at least one of those quantities is approximate (“about 100”): the sum is too."
    )


def _key_field(model, key: GroupKey) -> serializers.Field:
    options = {"required": False, "help_text": f"{key.description} Present when grouped by `{key.name}`."}
    if key.kind == "actor":
        return GroupActorSerializer(allow_null=True, **options)
    if key.kind == "month":
        return serializers.RegexField(r"^([0-9]{4}-[0-9]{2}|unknown)$", **options)
    if key.kind == "year":
        return serializers.RegexField(r"^([0-9]{4}|unknown)$", **options)
    if key.kind == "overdue":
        return serializers.BooleanField(**options)
    if key.name == "country":
        return serializers.RegexField(r"^[A-Z]{2}$", allow_null=True, **options)
    return serializers.ChoiceField(choices=model._meta.get_field(key.path).choices, allow_null=True, **options)


def _group_serializer(model) -> type[serializers.Serializer]:
    queryset_class = type(model.objects.all())
    fields = {key.name: _key_field(model, key) for key in queryset_class.group_keys.values()}
    fields["count"] = serializers.IntegerField(min_value=1, help_text="How many records fall in the group.")
    if model is Pledge:
        fields["quantity_sums"] = QuantitySumSerializer(
            many=True,
            help_text="The group's quantities, one entry per unit (never added across units); empty when none of "
            "its pledges has a quantity.",
        )
    return type(f"{model.__name__}GroupSerializer", (serializers.Serializer,), fields)


def _groups_serializer(model) -> type[serializers.Serializer]:
    queryset_class = type(model.objects.all())
    keys = list(queryset_class.group_keys)
    fields = {
        GROUP_BY: serializers.ListField(
            child=serializers.ChoiceField(choices=keys), help_text="The keys the groups are made by, as asked."
        ),
        "count": serializers.IntegerField(min_value=0, help_text="Number of groups across all pages."),
        "total": serializers.IntegerField(min_value=0, help_text="Number of records the filters match."),
        "counts_may_overlap": serializers.BooleanField(
            help_text="True when a record can fall in several groups (grouped by `participant`: an event counts "
            "once in each of its participants' groups), so that the groups' counts may add up to more than `total`."
        ),
        "undated_excluded": serializers.IntegerField(min_value=0, help_text=DatedPagination.undated_description),
        "next": serializers.URLField(allow_null=True, help_text="URL of the next page of groups, or null."),
        "previous": serializers.URLField(allow_null=True, help_text="URL of the previous page of groups, or null."),
        "groups": _group_serializer(model)(many=True, help_text="Most records first, then by the keys."),
    }
    return type(f"{model.__name__}GroupsSerializer", (serializers.Serializer,), fields)


GROUPS_SERIALIZERS = {model: _groups_serializer(model) for model in (Event, Statement, Pledge)}

EXAMPLES = {
    Pledge: OpenApiExample(
        "Troops and police training, by pledger and unit",
        description="`?category=troops,police_training&group_by=pledger,unit` on the story",
        value={
            "group_by": ["pledger", "unit"],
            "count": 3,
            "total": 3,
            "counts_may_overlap": False,
            "undated_excluded": 0,
            "next": None,
            "previous": None,
            "groups": [
                {
                    "pledger": {"slug": "european-union", "name": "European Union"},
                    "unit": "trainees",
                    "count": 1,
                    "quantity_sums": [{"unit": "trainees", "sum": 3000, "count": 1, "approximate": False}],
                },
                {
                    "pledger": {"slug": "france", "name": "France"},
                    "unit": "gendarmes",
                    "count": 1,
                    "quantity_sums": [{"unit": "gendarmes", "sum": 100, "count": 1, "approximate": True}],
                },
                {"pledger": {"slug": "turkey", "name": "Turkey"}, "unit": None, "count": 1, "quantity_sums": []},
            ],
        },
    ),
}


def aggregate_schema(model, what: str) -> dict:
    queryset_class = type(model.objects.all())
    keys = ", ".join(f"`{key}`" for key in queryset_class.group_keys)
    return extend_schema(
        summary=f"Count {what} in groups",
        description=f"The {what} that the list's filters match, counted in groups by one or more keys ({keys}), "
        "most records first, a page of groups at a time. Takes every parameter of the list but `ordering` and "
        "`fields`. "
        + (
            "Each group adds up its pledges' quantities per unit, flagging sums that include an approximate quantity. "
            if model is Pledge
            else ""
        )
        + "A record falls in the month (year) of its date when the date is known to the month (year) or finer and "
        "lies within it; otherwise in the group `unknown`.",
        parameters=[
            OpenApiParameter(
                GROUP_BY,
                {"type": "array", "items": {"type": "string", "enum": list(queryset_class.group_keys)}},
                required=True,
                style="form",
                explode=True,
                description="The keys to group by: one or more, comma-separated or repeated.",
            ),
            *PAGE_PARAMETERS,
            *filter_parameters(type_filterset(model), exclude=NOT_FOR_AGGREGATES),
        ],
        filters=False,
        responses={(200, "application/json"): GROUPS_SERIALIZERS[model]},
        examples=[EXAMPLES[model]] if model in EXAMPLES else [],
    )


def type_filterset(model):
    return {Event: filters.EventFilter, Statement: filters.StatementFilter, Pledge: filters.PledgeFilter}[model]


class AggregateMixin:
    # `aggregate/` on a list of events, statements or pledges. (A comment, not a docstring: drf-spectacular would
    # describe the viewset's every operation by it.)

    @action(
        detail=False,
        methods=["get"],
        renderer_classes=PAGE_RENDERERS,
        pagination_class=DatedPagination,
    )
    def aggregate(self, request, *args, **kwargs):
        filterset_class = self.filterset_class
        several = filters.several_valued(filterset_class) | {GROUP_BY}
        names = (set(filterset_class.base_filters) - NOT_FOR_AGGREGATES) | {GROUP_BY}
        filters.check_parameters(request.query_params, names, several)
        if "cursor" in request.query_params:
            raise ValidationError({"cursor": ["Groups are ordered by their count and page by number: use page."]})
        queryset: QuerySet = self.filter_queryset(self.get_queryset())
        keys = group_keys(request.query_params, type(queryset))
        page = self.paginate_queryset(queryset.grouped(keys))
        self.paginator.count_undated(self.undated_queryset)
        listed = self.get_paginated_response(queryset.groups_from(page, keys)).data
        answer = {
            GROUP_BY: keys,
            "count": listed["count"],
            "total": queryset.count(),
            "counts_may_overlap": bool(set(keys) & type(queryset).overlapping_keys),
            "undated_excluded": listed["undated_excluded"],
            "next": listed["next"],
            "previous": listed["previous"],
            "groups": listed["results"],
        }
        # Shaped by groups_from() already: a group carries only the keys asked for, where a serializer would add
        # every other key as null.
        return Response(answer)
