"""The admin is where editors enter and correct data; citations are edited inline and checked verbatim on save."""

from django import forms
from django.contrib import admin
from django.contrib.admin.utils import flatten_fieldsets
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.html import format_html
from simple_history.admin import SimpleHistoryAdmin

from .models import Actor, ActorAlias, Citation, Event, EventParticipant, Pledge, PledgeStatusChange, Source, Statement
from .services import (
    StaleVersion,
    actor_duplicates,
    pledge_duplicate,
    pledge_status_change,
    record_claim,
    search_text_refresh,
)

TIMESTAMPS = ("created_at", "updated_at")
DATE_FIELDSET = ("When", {"fields": (("date", "date_precision", "date_end"), "date_note")})


class CitationInline(admin.TabularInline):
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


class ActorAliasInline(admin.TabularInline):
    model = ActorAlias
    extra = 1


class EventParticipantInline(admin.TabularInline):
    model = EventParticipant
    extra = 1
    autocomplete_fields = ("actor",)


class VersionCheckedForm(forms.ModelForm):
    """Carries the version the editor opened, so that a save over someone else's newer change is refused."""

    seen_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            # The version now in the database, not the instance's: a history revert shows an older instance.
            current = type(self.instance).objects.filter(pk=self.instance.pk).values_list("version", flat=True)
            self.fields["seen_version"].initial = current.first()

    def clean(self):
        cleaned = super().clean()
        seen = cleaned.get("seen_version")
        if self.instance.pk is not None and seen is not None:
            current = type(self.instance).objects.filter(pk=self.instance.pk).values_list("version", flat=True).first()
            if current != seen:
                raise forms.ValidationError(
                    f"Someone else changed this record while you were editing it (now version {current}, you "
                    f"opened version {seen}). Open it again and reapply your changes."
                )
        return cleaned


class TrackerAdmin(SimpleHistoryAdmin):
    """History and revert for every record; a version check against lost updates; and, once the record and its
    inlines (aliases, citations) are saved, a fresh search document."""

    form = VersionCheckedForm

    def get_fieldsets(self, request, obj=None):
        fieldsets = list(super().get_fieldsets(request, obj))
        if not any("seen_version" in flatten_fieldsets([fs]) for fs in fieldsets):
            fieldsets.append((None, {"fields": ("seen_version",), "classes": ("hidden",)}))
        return fieldsets

    def save_model(self, request, obj, form, change) -> None:
        if change and form.cleaned_data.get("seen_version") is not None:
            record_claim(record=obj, expected_version=form.cleaned_data["seen_version"])
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change) -> None:
        super().save_related(request, form, formsets, change)
        search_text_refresh(record=form.instance)


@admin.register(Source)
class SourceAdmin(TrackerAdmin):
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


class ActorForm(VersionCheckedForm):
    distinct = forms.BooleanField(
        required=False,
        label="This is a different actor",
        help_text="Tick to save although the name matches an existing actor's name or alias.",
    )

    def clean(self):
        cleaned = super().clean()
        name = cleaned.get("name")
        if name and not cleaned.get("distinct"):
            existing = actor_duplicates(name=name, exclude=self.instance if self.instance.pk else None)
            if existing:
                self.add_error(
                    "name",
                    f"“{name}” is already the name or an alias of “{existing[0].slug}” ({existing[0].name}). Use that "
                    "actor, or tick “This is a different actor”.",
                )
        return cleaned


class PledgeForm(VersionCheckedForm):
    distinct = forms.BooleanField(
        required=False,
        label="This is a different pledge",
        help_text="Tick to save although an existing pledge records the same commitment.",
    )

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk is None and cleaned.get("pledger") and not cleaned.get("distinct"):
            existing = pledge_duplicate(
                pledger=cleaned["pledger"].slug,
                category=cleaned.get("category"),
                beneficiary=cleaned["beneficiary"].slug if cleaned.get("beneficiary") else None,
                quantity=cleaned.get("quantity"),
                unit=cleaned.get("unit") or "",
                title=cleaned.get("title") or "",
            )
            if existing is not None:
                self.add_error(
                    None,
                    f"Pledge “{existing.slug}” ({existing}) already records this commitment. Add this article's "
                    "excerpt to its citations instead, or tick “This is a different pledge”.",
                )
        return cleaned


@admin.register(Actor)
class ActorAdmin(TrackerAdmin):
    form = ActorForm
    list_display = ("name", "kind", "country", "title", "parent")
    list_filter = ("kind", "country")
    list_select_related = ("parent",)
    search_fields = ("slug", "name", "aliases__name", "title")
    autocomplete_fields = ("parent",)
    prepopulated_fields = {"slug": ("name",)}
    readonly_fields = TIMESTAMPS
    inlines = (ActorAliasInline, citation_inline("actor"))


@admin.register(Event)
class EventAdmin(TrackerAdmin):
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
class StatementAdmin(TrackerAdmin):
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
    prepopulated_fields = {"slug": ("title",)}
    autocomplete_fields = ("pledger", "beneficiary", "event", "announced_by")
    readonly_fields = TIMESTAMPS
    fieldsets = (
        (None, {"fields": ("slug", "title", "description", "category", "pledger", "beneficiary", "distinct")}),
        ("Quantity", {"fields": (("quantity", "unit", "quantity_approximate"), "conditions")}),
        ("Announced", {"fields": (("date", "date_precision", "date_end"), "date_note", "event", "announced_by")}),
        ("Target", {"fields": (("target_date", "target_date_precision", "target_date_end"), "target_date_note")}),
        ("Status", {"fields": (("status", "status_date"), "status_note")}),
        ("Record", {"fields": TIMESTAMPS}),
    )
    inlines = (citation_inline("pledge"), PledgeStatusChangeInline)

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
                pledge_status_change(pledge=pledge, expected_version=data.pop("seen_version"), **data)
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
class CitationAdmin(SimpleHistoryAdmin):
    list_display = ("__str__", "source", "event", "pledge", "statement", "actor")
    list_filter = ("source",)
    list_select_related = ("source", "event", "pledge", "statement__speaker", "actor")
    search_fields = ("excerpt",)
    autocomplete_fields = ("source", "event", "pledge", "statement", "actor")
    readonly_fields = TIMESTAMPS


# API tokens: listed and revoked, never shown (events/token_admin.py).
from . import token_admin  # noqa: E402, F401
