"""GET /api/v1/sources/{slug}/proposals/: what the tracker reads in a source, for editors (issue 13).

The engine (events/proposals) proposes; this module only filters, pages and links its answer. Accepting a proposal
is an ordinary POST to the endpoint it names, through the same serializers and services as any other write.
"""

from django.conf import settings
from django.shortcuts import get_object_or_404
from django.urls import reverse
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import BasePermission
from rest_framework.settings import api_settings

from ..models import Source
from ..proposals.engine import KINDS
from ..proposals.load import cached_proposals
from . import filters
from .exceptions import TooLongToRead
from .pagination import TrackerPagination
from .schema import PAGE_PARAMETERS

ACTIONS = ("create", "cite", "recorded", "note")
RECORD_MODELS = ("statement", "pledge", "event", "actor")
BASENAMES = {"statements": "statement", "pledges": "pledge", "events": "event", "actors": "actor"}


class CanEnterRecords(BasePermission):
    """Editors only: a signed-in account allowed to add records (statements, pledges, events or actors). Anonymous
    requests are 401, signed-in readers 403: proposals cost CPU and serve only those who can accept them."""

    message = "Proposals are for editors: the account may not add statements, pledges, events or actors."

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(
            user and user.is_authenticated and any(user.has_perm(f"events.add_{model}") for model in RECORD_MODELS)
        )


class RecordRefSerializer(serializers.Serializer):
    resource = serializers.ChoiceField(choices=list(BASENAMES), help_text="The record's resource, e.g. `pledges`.")
    slug = serializers.CharField(help_text="The record's slug.")
    api_url = serializers.URLField(help_text="The record's URL.")


class CitationBodySerializer(serializers.Serializer):
    source = serializers.CharField(help_text="This source's slug.")
    excerpt = serializers.CharField(help_text="The passage, verbatim: the text from `start` to `end`.")


class CiteOnSerializer(RecordRefSerializer):
    method = serializers.ChoiceField(choices=["POST"], help_text="Always POST.")
    url = serializers.URLField(help_text="The record's citations endpoint.")
    body = CitationBodySerializer(help_text="The citation to add, ready to send.")


class ProposalSerializer(serializers.Serializer):
    id = serializers.CharField(
        help_text="Stable within a source's text: the kind and the span, e.g. `pledge:3429-3537`."
    )
    kind = serializers.ChoiceField(
        choices=list(KINDS),
        help_text="What is proposed: a `statement`, `pledge` or new `actor`; an existing `event` this passage "
        "reports; a resolved `date`; an actor `mention` (known, or a capitalised name that matches no actor).",
    )
    action = serializers.ChoiceField(
        choices=list(ACTIONS),
        help_text="`create`: POST `body` to `url`. `cite`: the record exists, or is proposed by the proposal that "
        "`requires` names (accept it first); POST `cite_on.body` to `cite_on.url`. "
        "`recorded`: a record already cites this passage (`recorded_on`). `note`: nothing to write (dates, names, "
        "and quotations whose speaker the text does not give).",
    )
    rule = serializers.CharField(help_text="The rule that made the proposal, e.g. `quote.tag`, `pledge`.")
    reason = serializers.CharField(help_text="Why, in words: what the rule found and how it was resolved.")
    start = serializers.IntegerField(help_text="Where the passage starts in the source's text (Python string index).")
    end = serializers.IntegerField(help_text="Where it ends (exclusive).")
    excerpt = serializers.CharField(help_text="The text from `start` to `end`, verbatim by construction.")
    method = serializers.ChoiceField(choices=["POST"], allow_null=True, help_text="POST for `create`, else null.")
    url = serializers.URLField(allow_null=True, help_text="The ordinary create endpoint for `create`, else null.")
    body = serializers.DictField(
        allow_null=True,
        help_text="For `create`: the record as the create endpoint takes it, prefilled (slug, references by slug, "
        "dates resolved with their note, citations with this passage). The editor corrects it, then POSTs it.",
    )
    cite_on = CiteOnSerializer(allow_null=True, help_text="For `cite`: the existing record and the citation to add.")
    recorded_on = RecordRefSerializer(
        allow_null=True,
        help_text="For `recorded`: the record that already cites this passage; for a known actor's mention, the actor.",
    )
    requires = serializers.ListField(
        child=serializers.CharField(),
        help_text="Ids of proposals to accept first: the new actor a statement's speaker or a pledge's pledger is; for "
        "a headline cited on the pledge its article's body proposes (`cite`), that pledge's proposal.",
    )
    details = serializers.DictField(
        help_text="What the rule read: for a statement its speaker and quoted text, for a pledge its pledger, "
        "quantity and category, for a date its resolution, for a mention its actor."
    )


def _ref(request, ref: dict | None) -> dict | None:
    if not ref:
        return None
    path = reverse(f"{BASENAMES[ref['resource']]}-detail", kwargs={"slug": ref["slug"]})
    return {"resource": ref["resource"], "slug": ref["slug"], "api_url": request.build_absolute_uri(path)}


def linked(request, item: dict, source: Source) -> dict:
    """A cached proposal with the URLs its client follows, built for this request's host."""
    create = item["action"] == "create"
    cite_on = None
    if item["action"] == "cite":
        ref = _ref(request, item["cite_on"])
        path = reverse(f"{BASENAMES[ref['resource']]}-citations", kwargs={"slug": ref["slug"]})
        body = {"source": source.slug, "excerpt": item["excerpt"]}
        cite_on = {**ref, "method": "POST", "url": request.build_absolute_uri(path), "body": body}
    return {
        "id": item["id"],
        "kind": item["kind"],
        "action": item["action"],
        "rule": item["rule"],
        "reason": item["reason"],
        "start": item["start"],
        "end": item["end"],
        "excerpt": item["excerpt"],
        "method": "POST" if create else None,
        "url": request.build_absolute_uri(reverse(f"{BASENAMES[item['resource']]}-list")) if create else None,
        "body": item["body"] if create else None,
        "cite_on": cite_on,
        "recorded_on": _ref(request, item["recorded_on"]),
        "requires": item["requires"],
        "details": item["details"],
    }


def _choices(request, name: str, allowed: tuple[str, ...]) -> set[str] | None:
    values = [v.strip() for value in request.query_params.getlist(name) for v in value.split(",")]
    if not values:
        return None
    unknown = sorted(set(values) - set(allowed))
    if unknown:
        raise ValidationError({name: [f"Unknown value(s) {', '.join(unknown)}; choose from {', '.join(allowed)}."]})
    return set(values)


def _several(name: str, allowed: tuple[str, ...], description: str) -> OpenApiParameter:
    return OpenApiParameter(
        name,
        {"type": "array", "items": {"type": "string", "enum": list(allowed)}},
        description=description,
        style="form",
        explode=True,
    )


# The proposals action of the sources' viewset (no docstring: the viewset's own describes its operations).
class SourceProposalsMixin:
    @extend_schema(
        summary="Proposals for a source",
        description="What the tracker reads in the source's text, for editors: direct quotations with their "
        "speakers, reported statements, pledges with quantities, resolved dates, actor mentions, and existing "
        "records the article reports too. Each proposal gives its span and verbatim excerpt, the rule that made it "
        "and why, and either a body to POST to the ordinary create endpoint or the existing record to cite. "
        "Rule-based; nothing is written until the editor POSTs. Cached per source until the next write.",
        parameters=[
            OpenApiParameter(
                "slug", str, OpenApiParameter.PATH, description="The record's slug, as given in lists and links."
            ),
            _several("kind", KINDS, "Only these kinds of proposal (several: comma-separated or repeated)."),
            _several("action", ACTIONS, "Only proposals with these actions (several: comma-separated or repeated)."),
            *PAGE_PARAMETERS,
        ],
        responses=ProposalSerializer(many=True),
        filters=False,
    )
    # JSON only: proposals have no export, and CSV of a page's envelope would serve nobody.
    @action(
        detail=True,
        methods=["get"],
        filterset_class=None,
        permission_classes=[CanEnterRecords],
        renderer_classes=tuple(api_settings.DEFAULT_RENDERER_CLASSES),
        # Proposals are not filtered by date: plain pages, without undated_excluded.
        pagination_class=TrackerPagination,
    )
    def proposals(self, request, slug=None):
        filters.check_parameters(request.query_params, {"kind", "action"}, frozenset({"kind", "action"}))
        kinds = _choices(request, "kind", KINDS)
        actions = _choices(request, "action", ACTIONS)
        source = get_object_or_404(Source, slug=slug)
        limit = settings.TRACKER_PROPOSALS_MAX_CHARACTERS
        if len(source.text) > limit:
            raise TooLongToRead(
                f"Source “{source.slug}” has {len(source.text):,} characters; proposals are read from texts of up to "
                f"{limit:,} (TRACKER_PROPOSALS_MAX_CHARACTERS). Cite its passages from the reading view by hand."
            )
        items = [
            item
            for item in cached_proposals(source)
            if (kinds is None or item["kind"] in kinds) and (actions is None or item["action"] in actions)
        ]
        page = self.paginate_queryset(items)
        return self.get_paginated_response([linked(request, item, source) for item in page])
