"""The admin is where editors enter and correct data; citations are edited inline and checked verbatim on save."""

from django.contrib import admin
from django.db import models
from django.db.models import QuerySet

from .models import Actor, ActorAlias, Citation, Event, EventParticipant, Pledge, Source, Statement
from .services import search_text_refresh

TIMESTAMPS = ("created_at", "updated_at")
DATE_FIELDSET = ("When", {"fields": (("date", "date_precision", "date_end"), "date_note")})


class CitationInline(admin.TabularInline):
    model = Citation
    extra = 1
    min_num = 0
    fields = ("source", "excerpt")
    autocomplete_fields = ("source",)
    verbose_name = "citation (excerpt copied verbatim from the source)"

    def get_queryset(self, request) -> QuerySet[Citation]:
        return super().get_queryset(request).select_related("source")


def citation_inline(target: str) -> type[CitationInline]:
    return type(f"{target.title()}CitationInline", (CitationInline,), {"fk_name": target})


class ActorAliasInline(admin.TabularInline):
    model = ActorAlias
    extra = 1


class EventParticipantInline(admin.TabularInline):
    model = EventParticipant
    extra = 1
    autocomplete_fields = ("actor",)


class SearchableAdmin(admin.ModelAdmin):
    """Rebuilds the record's search document once the record and its inlines (aliases, citations) are saved."""

    def save_related(self, request, form, formsets, change) -> None:
        super().save_related(request, form, formsets, change)
        search_text_refresh(record=form.instance)


@admin.register(Source)
class SourceAdmin(SearchableAdmin):
    list_display = ("title", "publisher", "date", "date_precision", "seed_file")
    list_filter = ("publisher", "date_precision")
    search_fields = ("slug", "title", "publisher", "text")
    date_hierarchy = "date"
    prepopulated_fields = {"slug": ("title",)}
    readonly_fields = ("sha256", *TIMESTAMPS)
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    fieldsets = (
        (None, {"fields": ("slug", "title", "publisher", "byline", "url", "seed_file")}),
        DATE_FIELDSET,
        ("Text", {"fields": ("text", "sha256")}),
        ("Record", {"fields": TIMESTAMPS}),
    )


@admin.register(Actor)
class ActorAdmin(SearchableAdmin):
    list_display = ("name", "kind", "country", "title", "parent")
    list_filter = ("kind", "country")
    list_select_related = ("parent",)
    search_fields = ("slug", "name", "aliases__name", "title")
    autocomplete_fields = ("parent",)
    prepopulated_fields = {"slug": ("name",)}
    readonly_fields = TIMESTAMPS
    inlines = (ActorAliasInline, citation_inline("actor"))


@admin.register(Event)
class EventAdmin(SearchableAdmin):
    list_display = ("title", "event_type", "status", "date", "date_precision", "location")
    list_filter = ("event_type", "status", "date_precision", "country")
    search_fields = ("slug", "title", "description", "location", "citations__excerpt")
    date_hierarchy = "date"
    prepopulated_fields = {"slug": ("title",)}
    readonly_fields = TIMESTAMPS
    fieldsets = (
        (None, {"fields": ("slug", "title", "description", "event_type", "status")}),
        DATE_FIELDSET,
        ("Where", {"fields": ("location", "country", ("latitude", "longitude"))}),
        ("Record", {"fields": TIMESTAMPS}),
    )
    inlines = (EventParticipantInline, citation_inline("event"))


@admin.register(Statement)
class StatementAdmin(SearchableAdmin):
    list_display = ("slug", "speaker", "quote_type", "medium", "stance", "stance_target", "date")
    list_filter = ("quote_type", "medium", "stance", "date_precision")
    list_select_related = ("speaker", "stance_target")
    search_fields = ("slug", "text", "speaker__name", "stance_topic", "citations__excerpt")
    date_hierarchy = "date"
    autocomplete_fields = ("speaker", "about", "stance_target", "event")
    readonly_fields = TIMESTAMPS
    fieldsets = (
        (None, {"fields": ("slug", "speaker", "speaker_role", "text", "quote_type", "medium", "event")}),
        DATE_FIELDSET,
        ("Position", {"fields": ("about", "stance", "stance_target", "stance_topic")}),
        ("Record", {"fields": TIMESTAMPS}),
    )
    inlines = (citation_inline("statement"),)


@admin.register(Pledge)
class PledgeAdmin(SearchableAdmin):
    list_display = ("title", "pledger", "category", "quantity", "unit", "status", "date")
    list_filter = ("category", "status", "unit", "date_precision")
    list_select_related = ("pledger",)
    search_fields = ("slug", "title", "description", "pledger__name", "citations__excerpt")
    date_hierarchy = "date"
    prepopulated_fields = {"slug": ("title",)}
    autocomplete_fields = ("pledger", "beneficiary", "event", "announced_by")
    readonly_fields = TIMESTAMPS
    fieldsets = (
        (None, {"fields": ("slug", "title", "description", "category", "pledger", "beneficiary")}),
        ("Quantity", {"fields": (("quantity", "unit", "quantity_approximate"), "conditions")}),
        ("Announced", {"fields": (("date", "date_precision", "date_end"), "date_note", "event", "announced_by")}),
        ("Target", {"fields": (("target_date", "target_date_precision", "target_date_end"), "target_date_note")}),
        ("Status", {"fields": (("status", "status_date"), "status_note")}),
        ("Record", {"fields": TIMESTAMPS}),
    )
    inlines = (citation_inline("pledge"),)


@admin.register(Citation)
class CitationAdmin(admin.ModelAdmin):
    list_display = ("__str__", "source", "event", "pledge", "statement", "actor")
    list_filter = ("source",)
    list_select_related = ("source", "event", "pledge", "statement__speaker", "actor")
    search_fields = ("excerpt",)
    autocomplete_fields = ("source", "event", "pledge", "statement", "actor")
    readonly_fields = TIMESTAMPS
