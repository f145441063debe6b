"""The admin is where editors enter and correct data. It is one more door to the services: a change form, with
its inline citations, aliases and participants, is saved by one call to the record's service, so every rule that
holds for the API holds here, and a rule's error comes back on the page, never as a 500.

How: the services are called while the form is validated (``ServiceForm._post_clean``), once the inline formsets
are valid too, inside the admin's own transaction; the admin's save steps then only take the saved record.
"""

import re
from urllib.parse import urlencode

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import flatten_fieldsets
from django.contrib.admin.views.autocomplete import AutocompleteJsonView
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import Case, Exists, OuterRef, ProtectedError, Q, QuerySet, RestrictedError, When
from django.forms.formsets import all_valid
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.html import format_html
from simple_history.admin import SimpleHistoryAdmin

from . import gazetteer, reading, services
from .dates import implied_precision
from .intake import UnreadableText, upload_text
from .models import (
    Actor,
    ActorAlias,
    Citation,
    Event,
    EventParticipant,
    Place,
    Pledge,
    PledgeStatusChange,
    Source,
    Statement,
)
from .services import CitationData, DependentRecords, DuplicateRecord, NearDuplicate, ParticipantData, StaleVersion

TIMESTAMPS = ("created_at", "updated_at")
DATE_FIELDSET = ("When", {"fields": (("date", "date_precision", "date_end"), "date_note")})
# Rule errors a service may raise: each becomes a message on the page.
SERVICE_ERRORS = (ValidationError, StaleVersion, DuplicateRecord, DependentRecords, ProtectedError, RestrictedError)
CODING_FIELDSET = ("Coding", {"fields": ("coding_note",)})
# A help text's "Codebook: /codebook/#section" becomes a link to that section of the served codebook.
CODEBOOK_REFERENCE = re.compile(r"Codebook: (/codebook/#[-a-z0-9]+)")


class AsWrittenForm(forms.ModelForm):
    """A form whose text means what the services will store: line breaks as LF (browsers send CRLF), so that the
    model's own checks on the page (an excerpt verbatim in its source) see what the service will see."""

    def clean(self):
        cleaned = super().clean()
        for name, value in cleaned.items():
            if isinstance(value, str):
                cleaned[name] = services.line_breaks(value)
        return cleaned


class TextAsWritten:
    """Long text (an article, an excerpt, a note) keeps its whitespace, as the API keeps it: a stripped space or
    final newline would be an edit nobody made."""

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if isinstance(db_field, models.TextField):
            kwargs["strip"] = False
        formfield = super().formfield_for_dbfield(db_field, request, **kwargs)
        if formfield is not None and formfield.help_text:
            formfield.help_text = codebook_links(str(formfield.help_text))
        return formfield


class CitationInline(TextAsWritten, admin.TabularInline):
    form = AsWrittenForm
    model = Citation
    extra = 1
    min_num = 0
    fields = ("source", "excerpt")
    autocomplete_fields = ("source",)
    verbose_name = "citation"
    verbose_name_plural = "citations (each excerpt copied verbatim from its source)"

    def get_queryset(self, request) -> QuerySet[Citation]:
        return super().get_queryset(request).select_related("source")


def citation_inline(target: str) -> type[CitationInline]:
    return type(f"{target.title()}CitationInline", (CitationInline,), {"fk_name": target})


class PledgeStatusChangeInline(admin.TabularInline):
    model = PledgeStatusChange
    extra = 0
    fields = ("date", "status", "quantity_delivered", "note", "citation")
    readonly_fields = fields
    can_delete = False
    verbose_name_plural = "status timeline (add steps with the “change status” action or POST …/status/)"

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class ActorAliasInline(TextAsWritten, admin.TabularInline):
    form = AsWrittenForm
    model = ActorAlias
    extra = 1


class EventParticipantInline(admin.TabularInline):
    form = AsWrittenForm
    model = EventParticipant
    extra = 1
    autocomplete_fields = ("actor",)


def _kept(formset) -> list[dict]:
    """The rows an inline formset asks to keep: neither deleted nor left blank."""
    return [
        form.cleaned_data
        for form in formset.forms
        if form.cleaned_data and not form.cleaned_data.get("DELETE") and (form.instance.pk or form.has_changed())
    ]


def service_error_messages(error: Exception) -> dict[str | None, list[str]]:
    """A service's refusal as form errors: per field where the service names one that the form has."""
    if isinstance(error, NearDuplicate):
        # Beside the tick box that confirms it (distinct_field).
        others = "; ".join(f"“{c.record.slug}” ({c.record}) at {c.similarity:.0%}" for c in error.candidates)
        return {
            "distinct": [
                f"{error} Resembles: {others}. If it is another record all the same, tick this box and save again."
            ]
        }
    if isinstance(error, ValidationError) and hasattr(error, "error_dict"):
        return {field: list(msgs) for field, msgs in error.message_dict.items()}
    if isinstance(error, ValidationError):
        return {None: list(error.messages)}
    if isinstance(error, ProtectedError | RestrictedError):
        return {None: ["Other records depend on this change; unlink them first."]}
    return {None: [str(error)]}


class ServiceForm(AsWrittenForm):
    """A change form whose save is a service call. Carries the version the editor opened, so that a save over
    someone else's newer change is refused."""

    seen_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    # Set by TrackerAdmin.get_form: the admin that writes, and the request (which carries the inline formsets).
    model_admin: "TrackerAdmin | None" = None
    request = None

    def __init__(self, *args, **kwargs):
        given = kwargs.get("initial") or {}
        super().__init__(*args, **kwargs)
        self.record = None
        self.outcome = None
        if self.instance.pk is None and "slug" in self.fields:
            # Left empty, the services make one from the title or name (services.slug_new).
            self.fields["slug"].required = False
            self.fields["slug"].help_text = f"{self.fields['slug'].help_text} Left empty: made from the title or name."
        if self.instance.pk is None:
            # As in the API: a precision left open is implied by the date (a day when one is given, unknown when
            # not), instead of the model's default "day" claiming a day for a source entered without a date.
            for name, field in self.fields.items():
                if name.endswith("_precision") and isinstance(field, forms.ChoiceField):
                    field.required = False
                    field.choices = [("", "— from the date —"), *[c for c in field.choices if c[0] != ""]]
                    if name not in given:  # prefilled (from a passage's source) or the model's default
                        self.initial[name] = ""
        if self.instance.pk is not None:
            self.fields["seen_version"].required = True
            # The version now in the database, not the instance's.
            current = type(self.instance).objects.filter(pk=self.instance.pk).values_list("version", flat=True)
            self.fields["seen_version"].initial = current.first()

    def clean(self):
        data = super().clean()
        for name, field in self.fields.items():
            if name.endswith("_precision") and not field.required and not data.get(name):
                data[name] = implied_precision(data.get(name.removesuffix("_precision")))
        return data

    def _post_clean(self):
        super()._post_clean()
        formsets = getattr(self.request, "_tracker_formsets", []) if self.model_admin is not None else []
        if self.errors or self.model_admin is None or not all_valid(formsets):
            return
        try:
            # A savepoint: a refused change leaves nothing behind, and the page shows why.
            with transaction.atomic():
                self.record, self.outcome = self.model_admin.write(self, formsets)
        except SERVICE_ERRORS as error:
            for field, msgs in service_error_messages(error).items():
                for message in msgs:
                    self.add_error(field if field in self.fields else None, message)
        except IntegrityError as error:
            self.add_error(None, f"The database refused the change: {error}")


def codebook_links(help_text: str) -> str:
    """The help text, escaped, with its codebook reference as a link (the admin shows help texts unescaped)."""
    match = CODEBOOK_REFERENCE.search(help_text)
    if match is None:
        return help_text
    before, after = help_text[: match.start()], help_text[match.end() :]
    return format_html('{}<a href="{}" target="_blank">Codebook</a>{}', before, match.group(1), after)


class TrackerAdmin(TextAsWritten, SimpleHistoryAdmin):
    """Every write through the services: change forms with their inlines, deletion (one or a selection) and
    history revert. Revert needs the change permission and makes a new version."""

    form = ServiceForm

    def get_fieldsets(self, request, obj=None):
        fieldsets = list(super().get_fieldsets(request, obj))
        if not any("seen_version" in flatten_fieldsets([fs]) for fs in fieldsets):
            fieldsets.append((None, {"fields": ("seen_version",), "classes": ("hidden",)}))
        return fieldsets

    def get_readonly_fields(self, request, obj=None):
        # A record is found by its slug: renaming it would be another record.
        fixed = ("slug",) if obj is not None else ()
        return (*super().get_readonly_fields(request, obj), *fixed)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        return type(form.__name__, (form,), {"model_admin": self, "request": request})

    # Opened from a source's reading view (events/reading.py) --------------------------------------------------

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        try:
            passage = reading.passage_from(request.GET)
        except ValidationError as error:
            self.message_user(request, " ".join(error.messages), messages.WARNING)
            passage = None
        return reading.add_initial(self.model, passage, initial)

    def get_formset_kwargs(self, request, obj, inline, prefix):
        """On an add form opened for a passage, the first citation row holds it (only on GET: a POST carries what
        the editor left there)."""
        kwargs = super().get_formset_kwargs(request, obj, inline, prefix)
        if request.method == "GET" and obj.pk is None and inline.model is Citation:
            try:
                passage = reading.passage_from(request.GET)
            except ValidationError:
                passage = None
            if passage is not None:
                kwargs["initial"] = [{"source": passage.source.pk, "excerpt": passage.excerpt}]
        return kwargs

    def response_add(self, request, obj, post_url_continue=None):
        """Saved from the reading view: back to the article, where the new citation is highlighted."""
        response = super().response_add(request, obj, post_url_continue)
        if response.status_code != 302 or {"_continue", "_addanother", "_popup"} & set(request.POST):
            return response
        try:
            passage = reading.passage_from(request.GET)
        except ValidationError:
            passage = None
        return response if passage is None else redirect(reverse("admin:events_source_read", args=[passage.source.pk]))

    def _create_formsets(self, request, obj, change):
        formsets, inline_instances = super()._create_formsets(request, obj, change)
        request._tracker_formsets = formsets
        return formsets, inline_instances

    # The write --------------------------------------------------------------------------------------------

    def service_fields(self, form, formsets) -> dict:
        """The form and its inlines as fields of the record's input (references as the records the form found)."""
        data = form.cleaned_data
        fields = {}
        opts = form._meta.model._meta
        for field in (*opts.fields, *opts.many_to_many):
            if field.name in data and field.editable and field.name != "id":
                fields[field.name] = data[field.name]
        if "country" in fields:
            fields["country_code"] = str(fields.pop("country") or "")
        for formset in formsets:
            model = formset.model
            rows = _kept(formset)
            if model is Citation:
                fields["citations"] = [CitationData(source=r["source"], excerpt=r["excerpt"]) for r in rows]
            elif model is ActorAlias:
                fields["aliases"] = [r["name"] for r in rows]
            elif model is EventParticipant:
                fields["participants"] = [ParticipantData(actor=r["actor"], role=r["role"]) for r in rows]
        for name, value in list(fields.items()):
            if isinstance(value, QuerySet):
                fields[name] = list(value)
        return fields

    def write(self, form, formsets):
        fields = self.service_fields(form, formsets)
        if form.instance.pk is None:
            return self.create(form, fields), "created"
        record = type(form.instance).objects.get(pk=form.instance.pk)
        fields.pop("slug", None)
        return services.record_update(record=record, changes=fields, expected_version=form.cleaned_data["seen_version"])

    def create(self, form, fields):
        return services.record_create(data=services.input_for(self.model, **fields))

    def save_form(self, request, form, change):
        return form.record

    def save_model(self, request, obj, form, change) -> None:
        """Saved already, by the service, while the form was validated."""

    def save_related(self, request, form, formsets, change) -> None:
        """Saved already, with the record, by the same service call."""

    def construct_change_message(self, request, form, formsets, add=False):
        # The record's history row has the full change (relations included); the admin log names the fields.
        return super().construct_change_message(request, form, [], add)

    # Deletion ---------------------------------------------------------------------------------------------

    def get_deleted_objects(self, objs, request):
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        # A record's citations go with it; their own admin page is read only, which is no reason to refuse.
        perms_needed.discard(Citation._meta.verbose_name)
        for obj in objs:
            protected.extend(f"{obj}: {reason}" for reason in self.delete_refusals(obj))
        return deleted, counts, perms_needed, protected

    def delete_refusals(self, obj) -> list[str]:
        """What the service would refuse the deletion for, shown on the admin's confirmation page."""
        return []

    def delete_model(self, request, obj) -> None:
        services.record_delete(record=obj, expected_version=obj.version)

    def delete_queryset(self, request, queryset) -> None:
        for obj in queryset:
            services.record_delete(record=obj, expected_version=obj.version)

    # History revert ---------------------------------------------------------------------------------------

    def render_version(self, request, record, row):
        opts = self.model._meta
        skipped = {
            "history_id",
            "history_date",
            "history_change_reason",
            "history_type",
            "history_user",
            "history_relations",
            "id",
            "search_text",
        }
        fields = [
            (f.verbose_name, getattr(row, f.attname))
            for f in row._meta.fields
            if f.attname not in skipped and not f.name.startswith("history_")
        ]
        relations = [
            (
                name,
                "\n".join(
                    " — ".join(str(v) for v in item.values()) if isinstance(item, dict) else str(item) for item in items
                ),
            )
            for name, items in (row.history_relations or {}).items()
        ]
        info = f"admin:{opts.app_label}_{opts.model_name}"
        context = {
            **self.admin_site.each_context(request),
            "title": f"Version {row.version} of “{record}”",
            "opts": opts,
            "record": record,
            "row": row,
            "fields": fields,
            "relations": relations,
            "can_revert": self.has_change_permission(request, record),
            "changelist_url": reverse(f"{info}_changelist"),
            "change_url": reverse(f"{info}_change", args=[record.pk]),
            "history_url": reverse(f"{info}_history", args=[record.pk]),
        }
        return render(request, "admin/events/revert.html", context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        """One version, and a button that restores it whole through the services. simple-history's own view saves
        the form on POST with only the view permission and rolls the version back; this one replaces it."""
        record = get_object_or_404(self.model, pk=object_id)
        row = get_object_or_404(record.history.select_related("history_user"), history_id=version_id)
        if not self.has_view_or_change_permission(request, record):
            raise PermissionDenied
        if request.method != "POST":
            return self.render_version(request, record, row)
        if not self.has_change_permission(request, record):
            raise PermissionDenied
        try:
            seen = int(request.POST.get("seen_version", ""))
        except ValueError:
            seen = None
        history_url = reverse(f"admin:events_{self.model._meta.model_name}_history", args=[record.pk])
        if seen is None:
            self.message_user(request, "The revert form was sent without the version you opened.", messages.ERROR)
            return redirect(history_url)
        record._history_user = request.user
        try:
            with transaction.atomic():
                reverted, outcome = services.record_revert(
                    record=record, history_id=int(version_id), expected_version=seen
                )
        except SERVICE_ERRORS as error:
            for msgs in service_error_messages(error).values():
                for message in msgs:
                    self.message_user(request, message, messages.ERROR)
            return redirect(history_url)
        if outcome == "unchanged":
            self.message_user(request, f"“{reverted}” already is as that version was; nothing changed.")
        else:
            self.message_user(request, f"“{reverted}” was reverted; that is now version {reverted.version}.")
        return redirect(reverse(f"admin:events_{self.model._meta.model_name}_change", args=[record.pk]))


def distinct_field(what: str, help_text: str) -> forms.BooleanField:
    """The editor's confirmation that a new record resembling existing ones is another (the API's ``force``)."""
    return forms.BooleanField(required=False, label=f"This is a different {what}", help_text=help_text)


class SourceForm(ServiceForm):
    """A new article comes as a file or as pasted text; either way the services store it with LF line endings."""

    upload = forms.FileField(
        required=False,
        label="Article file",
        help_text="The article as UTF-8 plain text (.txt). Or paste its text below instead.",
    )
    distinct = distinct_field(
        "source",
        "Tick only when the page has told you this text resembles an existing source (the same wire story in "
        "another outlet) and you want both. The same text or URL as an existing source is refused regardless.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is None:
            self.fields["text"].required = False
            self.fields["text"].help_text = f"{self.fields['text'].help_text} Or choose the article's file above."

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk is not None:
            return cleaned
        upload, text = cleaned.get("upload"), cleaned.get("text") or ""
        if upload and text.strip():
            self.add_error("upload", "Give the article once: a file or pasted text, not both.")
        elif upload:
            try:
                cleaned["text"] = upload_text(
                    upload.read(), content_type=upload.content_type, charset=upload.charset, name=upload.name
                )
            except UnreadableText as error:
                self.add_error("upload", str(error))
        elif not text.strip() and "text" not in self.errors:
            self.add_error("text", "Paste the article's text, or choose its file above.")
        return cleaned


class ActorForm(ServiceForm):
    """Whether a name reads the same as another actor's is the services' rule: their refusal comes back on the
    page, and no tick box overrides it (a namesake gets a distinguishing name). A name that only resembles
    another's ("Jean-Noel Barrot", "EU foreign policy chief Kaja Kallas") is saved once the editor ticks."""

    distinct = distinct_field(
        "actor",
        "Tick only when the page has told you the name resembles an existing actor's and it is another actor. "
        "A name that reads the same as another actor's is refused regardless.",
    )


class StatementForm(ServiceForm):
    distinct = distinct_field(
        "statement",
        "Tick only when the page has told you the same speaker already has a statement with an overlapping "
        "excerpt and this is another statement.",
    )


class PledgeForm(ServiceForm):
    distinct = distinct_field(
        "pledge",
        "Without the tick, a pledge that an existing pledge already records is merged into it (this page's "
        "citations are added there), and one that resembles an existing pledge (same pledger and quantity, "
        "another unit) is refused, naming it. Tick to save it as a pledge of its own.",
    )


@admin.register(Source)
class SourceAdmin(TrackerAdmin):
    form = SourceForm
    list_display = ("title", "publisher", "date", "date_precision", "seed_file")
    list_filter = ("publisher", "date_precision")
    search_fields = ("slug", "title", "publisher", "text")
    date_hierarchy = "date"
    # Which seed file a source was loaded from is the loader's to say (the API reads it only, too).
    readonly_fields = ("sha256", "seed_file", *TIMESTAMPS)
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    fieldsets = (
        (None, {"fields": ("slug", "title", "publisher", "byline", "url", "seed_file")}),
        DATE_FIELDSET,
        ("Text", {"fields": ("text", "sha256")}),
        ("Record", {"fields": TIMESTAMPS}),
    )

    def get_urls(self):
        read = path("<int:object_id>/read/", self.admin_site.admin_view(self.read_view), name="events_source_read")
        return [read, *super().get_urls()]

    def read_view(self, request, object_id):
        """The article with its citations highlighted; a selected passage is cited from there
        (events/reading.py)."""
        source = get_object_or_404(Source, pk=object_id)
        if not self.has_view_or_change_permission(request, source):
            raise PermissionDenied
        return reading.page(self, request, source)

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is not None:
            return fieldsets
        return [
            (name, {**opts, "fields": ("upload", "text", "distinct")}) if name == "Text" else (name, opts)
            for name, opts in fieldsets
        ]

    def get_search_results(self, request, queryset, search_term):
        queryset, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        term = search_term.strip()
        exact = Q(title__iexact=term) | Q(slug__iexact=term)
        return exact_first(queryset.defer("text", "search_text"), term, exact, "title"), may_have_duplicates

    def autocomplete_label(self, source: Source) -> str:
        return f"{source.title} ({f'{source.date:%Y-%m-%d}' if source.date else 'undated'})"

    def create(self, form, fields):
        data = services.input_for(Source, **fields)
        return services.source_create(data=data, force=form.cleaned_data.get("distinct", False))


class AutocompleteView(AutocompleteJsonView):
    """The admin's autocomplete, with each option labelled by its admin's ``autocomplete_label`` (an actor's kind
    and parent, a source's date), so that two records of similar names are told apart while picking."""

    def serialize_result(self, obj, to_field_name):
        label = getattr(self.model_admin, "autocomplete_label", None)
        return {"id": str(getattr(obj, to_field_name)), "text": label(obj) if label else str(obj)}


def exact_first(queryset: QuerySet, term: str, exact: Q, name: str) -> QuerySet:
    """Search results with what the term names exactly first, then names that begin with it, then the rest."""
    term = term.strip()
    if not term:
        return queryset
    rank = Case(When(exact, then=0), When(**{f"{name}__istartswith": term}, then=1), default=2)
    return queryset.annotate(search_rank=rank).order_by("search_rank", name, "pk")


@admin.register(Actor)
class ActorAdmin(TrackerAdmin):
    form = ActorForm
    list_display = ("name", "kind", "country", "title", "parent")
    list_filter = ("kind", "country")
    list_select_related = ("parent",)
    search_fields = ("slug", "name", "aliases__name", "title")
    autocomplete_fields = ("parent",)
    readonly_fields = TIMESTAMPS
    inlines = (ActorAliasInline, citation_inline("actor"))

    def service_fields(self, form, formsets) -> dict:
        fields = super().service_fields(form, formsets)
        fields.setdefault("aliases", [])
        return fields

    def get_search_results(self, request, queryset, search_term):
        # An exact name, alias or slug first: "European Union" finds the EU before EUPOL COPPS.
        queryset, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        term = search_term.strip()
        exact = (
            Q(name__iexact=term)
            | Q(slug__iexact=term)
            | Exists(ActorAlias.objects.filter(actor=OuterRef("pk"), name__iexact=term))
        )
        return exact_first(queryset.select_related("parent"), term, exact, "name"), may_have_duplicates

    def autocomplete_label(self, actor: Actor) -> str:
        where = f", {actor.parent.name}" if actor.parent_id else ""
        return f"{actor.name} ({actor.get_kind_display()}{where})"

    def create(self, form, fields):
        data = services.input_for(Actor, **fields)
        return services.actor_create(data=data, force=form.cleaned_data.get("distinct", False))

    def delete_refusals(self, obj) -> list[str]:
        return [f"named in {link}" for link in services.actor_statement_links(obj)]


@admin.register(Place)
class PlaceAdmin(TrackerAdmin):
    """Places are added and corrected here, through the services. **Suggest from the gazetteer** looks a city up
    in GeoNames and opens the add form filled in from the chosen candidate: the gazetteer never assigns a place."""

    list_display = ("name", "slug", "country", "precision", "latitude", "longitude", "geonames_id")
    list_filter = ("precision", "country")
    search_fields = ("slug", "name", "note")
    readonly_fields = TIMESTAMPS
    fieldsets = (
        (None, {"fields": ("slug", "name", "country", ("latitude", "longitude"), "precision")}),
        ("Gazetteer", {"fields": ("geonames_id", "note")}),
        ("Record", {"fields": TIMESTAMPS}),
    )

    def create(self, form, fields):
        return services.place_create(data=services.input_for(Place, **fields))

    def get_urls(self):
        suggest = path("suggest/", self.admin_site.admin_view(self.suggest_view), name="events_place_suggest")
        return [suggest, *super().get_urls()]

    def changelist_view(self, request, extra_context=None):
        extra = {**(extra_context or {}), "suggest_url": reverse("admin:events_place_suggest")}
        return super().changelist_view(request, extra_context=extra)

    def suggest_view(self, request):
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        query = request.GET.get("q", "").strip()
        error, rows = "", []
        if query and len(gazetteer.key(query)) < gazetteer.MIN_QUERY_LENGTH:
            error = f"Give at least {gazetteer.MIN_QUERY_LENGTH} letters."
        elif query:
            candidates = gazetteer.suggest(query[:200])
            stored = {
                p.geonames_id: p for p in Place.objects.filter(geonames_id__in=[c.geonames_id for c in candidates])
            }
            add_url = reverse("admin:events_place_add")
            for candidate in candidates:
                initial = services.place_fields(services.place_from_gazetteer(geonames_id=candidate.geonames_id))
                place = stored.get(candidate.geonames_id)
                rows.append(
                    {
                        "candidate": candidate,
                        "stored": place,
                        "stored_url": place and reverse("admin:events_place_change", args=[place.pk]),
                        "add_url": f"{add_url}?{urlencode(initial)}",
                    }
                )
        context = {
            **self.admin_site.each_context(request),
            "title": "Suggest a place from the gazetteer",
            "opts": self.model._meta,
            "query": query,
            "error": error,
            "rows": rows,
            "can_add": self.has_add_permission(request),
            "changelist_url": reverse("admin:events_place_changelist"),
        }
        return render(request, "admin/events/place/suggest.html", context)


@admin.register(Event)
class EventAdmin(TrackerAdmin):
    list_display = ("title", "event_type", "status", "date", "date_precision", "location")
    list_filter = ("event_type", "status", "date_precision", "country")
    search_fields = ("slug", "title", "description", "location", "citations__excerpt")
    date_hierarchy = "date"
    readonly_fields = TIMESTAMPS
    fieldsets = (
        (None, {"fields": ("slug", "title", "description", "event_type", "status")}),
        DATE_FIELDSET,
        ("Where", {"fields": ("location", "country", "place")}),
        CODING_FIELDSET,
        ("Record", {"fields": TIMESTAMPS}),
    )
    inlines = (EventParticipantInline, citation_inline("event"))
    autocomplete_fields = ("place",)


@admin.register(Statement)
class StatementAdmin(TrackerAdmin):
    form = StatementForm
    list_display = ("slug", "speaker", "quote_type", "medium", "stance", "stance_target", "date")
    list_filter = ("quote_type", "medium", "stance", "date_precision")
    list_select_related = ("speaker", "stance_target")
    search_fields = ("slug", "text", "speaker__name", "stance_topic", "citations__excerpt")
    date_hierarchy = "date"
    autocomplete_fields = ("speaker", "about", "stance_target", "event", "place", "reported_by")
    readonly_fields = TIMESTAMPS
    fieldsets = (
        (None, {"fields": ("slug", "speaker", "speaker_role", "text", "quote_type", "medium", "event", "place")}),
        DATE_FIELDSET,
        ("Position", {"fields": ("about", "stance", "stance_target", "stance_topic")}),
        ("Relayed by", {"fields": ("reported_by",)}),
        CODING_FIELDSET,
        ("Record", {"fields": TIMESTAMPS}),
        (None, {"fields": ("distinct",)}),
    )
    inlines = (citation_inline("statement"),)

    def create(self, form, fields):
        data = services.input_for(Statement, **fields)
        return services.statement_create(data=data, force=form.cleaned_data.get("distinct", False))


class StatusChangeForm(forms.Form):
    status = forms.ChoiceField(choices=Pledge.Status.choices, help_text="The new status.")
    date = forms.DateField(help_text="When the status changed, as the source reports it (YYYY-MM-DD).")
    source = forms.ModelChoiceField(queryset=Source.objects.defer("text", "search_text"), help_text="The source.")
    excerpt = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), strip=False, help_text="Copied exactly from the source's text."
    )
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False, help_text="Why it changed.")
    quantity_delivered = forms.IntegerField(min_value=0, required=False, help_text="Delivered so far, if reported.")
    seen_version = forms.IntegerField(widget=forms.HiddenInput)


@admin.register(Pledge)
class PledgeAdmin(TrackerAdmin):
    form = PledgeForm
    list_display = ("title", "pledger", "category", "quantity", "unit", "status", "date")
    list_filter = ("category", "status", "unit", "date_precision")
    list_select_related = ("pledger",)
    search_fields = ("slug", "title", "description", "pledger__name", "citations__excerpt")
    date_hierarchy = "date"
    autocomplete_fields = ("pledger", "beneficiary", "event", "place", "announced_by")
    readonly_fields = TIMESTAMPS
    fieldsets = (
        (None, {"fields": ("slug", "title", "description", "category", "pledger", "beneficiary", "distinct")}),
        ("Quantity", {"fields": (("quantity", "unit", "quantity_approximate"), "conditions")}),
        (
            "Announced",
            {"fields": (("date", "date_precision", "date_end"), "date_note", "event", "place", "announced_by")},
        ),
        ("Target", {"fields": (("target_date", "target_date_precision", "target_date_end"), "target_date_note")}),
        ("Status", {"fields": (("status", "status_date"), "status_note")}),
        CODING_FIELDSET,
        ("Record", {"fields": TIMESTAMPS}),
    )
    inlines = (citation_inline("pledge"), PledgeStatusChangeInline)

    def create(self, form, fields):
        data = services.input_for(Pledge, **fields)
        pledge, outcome = services.pledge_create(data=data, force=form.cleaned_data.get("distinct", False))
        if outcome == "merged":
            messages.info(
                form.request,
                f"Pledge “{pledge.slug}” already recorded this commitment: this page's citations were added to it.",
            )
        return pledge

    def get_readonly_fields(self, request, obj=None):
        # Once a pledge exists its status moves only through "Change status", with a date and evidence.
        fixed = ("status", "status_date", "status_note", "status_change_link") if obj is not None else ()
        return (*super().get_readonly_fields(request, obj), *fixed)

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None:
            return fieldsets
        return [
            (name, {**opts, "fields": (*opts["fields"], "status_change_link")}) if name == "Status" else (name, opts)
            for name, opts in fieldsets
        ]

    @admin.display(description="Change status")
    def status_change_link(self, obj) -> str:
        url = reverse("admin:events_pledge_status", args=[obj.pk])
        return format_html('<a class="button" href="{}">Change status…</a>', url)

    def get_urls(self):
        own = [
            path(
                "<int:object_id>/status/",
                self.admin_site.admin_view(self.status_view),
                name="events_pledge_status",
            )
        ]
        return own + super().get_urls()

    def status_view(self, request, object_id):
        pledge = get_object_or_404(Pledge, pk=object_id)
        if not self.has_change_permission(request, pledge):
            raise PermissionDenied
        form = StatusChangeForm(request.POST or None, initial={"seen_version": pledge.version})
        if request.method == "POST" and form.is_valid():
            data = dict(form.cleaned_data)
            try:
                services.pledge_status_change(pledge=pledge, expected_version=data.pop("seen_version"), **data)
            except ValidationError as error:
                for message in error.messages:
                    form.add_error("excerpt" if "excerpt" in message else None, message)
            except StaleVersion as error:
                form.add_error(None, str(error))
            else:
                self.message_user(request, f"Status of “{pledge}” changed to {data['status']}.")
                return redirect(reverse("admin:events_pledge_change", args=[pledge.pk]))
        context = {
            **self.admin_site.each_context(request),
            "title": f"Change the status of “{pledge}”",
            "form": form,
            "pledge": pledge,
            "opts": self.model._meta,
        }
        return render(request, "admin/events/pledge/status.html", context)


@admin.register(Citation)
class CitationAdmin(admin.ModelAdmin):
    """Read only: a citation is part of its record's evidence, so it is added, changed and removed on the record's
    page (or through the API), where the record's version, history and rules follow."""

    list_display = ("__str__", "source", "event", "pledge", "statement", "actor")
    list_filter = ("source",)
    list_select_related = ("source", "event", "pledge", "statement__speaker", "actor")
    search_fields = ("excerpt",)
    readonly_fields = ("source", "excerpt", "event", "pledge", "statement", "actor", *TIMESTAMPS)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


# API tokens: listed and revoked, never shown (events/token_admin.py).
from . import token_admin  # noqa: E402, F401
