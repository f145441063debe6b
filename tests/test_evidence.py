"""The evidence promise held by the database itself: triggers refuse a non-verbatim excerpt whatever the door, a
race between a text change and new citations cannot break one, and check_evidence proves it through the API."""

import dataclasses
import io
import threading

import pytest
from django.conf import settings
from django.contrib.auth.models import Group, User
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from rest_framework.test import APIClient

from conftest import ARTICLE, CitationFactory, EventFactory, SourceFactory
from events import evidence, services
from events.api.exceptions import exception_handler
from events.loading import story_load
from events.models import Actor, Citation, Event, Pledge, Source, Statement
from tests.tokens import token_for

RACE_TRIALS = 24
RACE_CITERS = 4


KEPT = "Ministers met in Brussels on Thursday."


def _execute(sql: str, params: list) -> None:
    """One raw statement, past every Django check, in a savepoint so that a refusal leaves the test usable."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)


def _insert_citation(*, source_id: int, excerpt: str, event_id: int) -> None:
    now = timezone.now()
    _execute(
        "INSERT INTO events_citation (created_at, updated_at, source_id, excerpt, event_id) VALUES (%s, %s, %s, %s, %s)",
        [now, now, source_id, excerpt, event_id],
    )


def _drop_trigger(name: str) -> None:
    table = "events_source" if name == evidence.SOURCE_TRIGGER else "events_citation"
    _execute(f"DROP TRIGGER {name}" + (f" ON {table}" if connection.vendor == "postgresql" else ""), [])


def _refused(message: str):
    return pytest.raises(IntegrityError, match=message)


@pytest.fixture
def cited(source):
    """An event citing one sentence of the source."""
    event = EventFactory()
    return CitationFactory(event=event, source=source, excerpt=KEPT)


@pytest.mark.django_db
def test_every_trigger_is_installed_after_migrate():
    assert evidence.installed_triggers() == set(evidence.TRIGGERS)


@pytest.mark.django_db
def test_migrate_reinstalls_dropped_triggers():
    """SQLite drops a table's triggers when a migration rebuilds it: the next migrate puts them back, and
    installing twice changes nothing."""
    for name in evidence.CITATION_TRIGGERS:
        _drop_trigger(name)
    assert evidence.installed_triggers() == {evidence.SOURCE_TRIGGER}
    call_command("migrate", verbosity=0)
    assert evidence.installed_triggers() == set(evidence.TRIGGERS)
    evidence.install_triggers()
    assert evidence.installed_triggers() == set(evidence.TRIGGERS)


@pytest.mark.django_db
def test_raw_insert_of_a_non_verbatim_excerpt_is_refused(source):
    event = EventFactory()
    with _refused(evidence.CITATION_REFUSED):
        _insert_citation(source_id=source.pk, excerpt="Ministers met in Paris on Thursday.", event_id=event.pk)
    _insert_citation(source_id=source.pk, excerpt=KEPT, event_id=event.pk)
    assert event.citations.get().excerpt == KEPT


@pytest.mark.django_db
def test_raw_insert_citing_a_missing_source_is_refused_not_passed(source):
    """A missing source reads as NULL: the check must fail on it (the foreign key is only checked at commit)."""
    event = EventFactory()
    with _refused(evidence.CITATION_REFUSED):
        _insert_citation(source_id=source.pk + 1000, excerpt=KEPT, event_id=event.pk)


@pytest.mark.django_db
def test_raw_update_of_an_excerpt_or_its_source_is_refused(cited):
    other = SourceFactory(slug="other", text="Nothing about Brussels.")
    with _refused(evidence.CITATION_REFUSED):
        _execute("UPDATE events_citation SET excerpt = %s WHERE id = %s", ["Ministers met in Paris.", cited.pk])
    with _refused(evidence.CITATION_REFUSED):
        _execute("UPDATE events_citation SET source_id = %s WHERE id = %s", [other.pk, cited.pk])
    _execute("UPDATE events_citation SET excerpt = %s WHERE id = %s", ["Ministers met in Brussels", cited.pk])
    cited.refresh_from_db()
    assert (cited.source_id, cited.excerpt) == (cited.source.pk, "Ministers met in Brussels")


@pytest.mark.django_db
def test_raw_update_of_a_source_text_that_breaks_a_citation_is_refused(cited):
    source = cited.source
    with _refused(evidence.TEXT_REFUSED):
        _execute("UPDATE events_source SET text = %s WHERE id = %s", ["Ministers met in Paris on Thursday.", source.pk])
    # A text that keeps every excerpt may change.
    _execute("UPDATE events_source SET text = %s WHERE id = %s", [f"Preface. {KEPT}", source.pk])
    source.refresh_from_db()
    assert source.text == f"Preface. {KEPT}"


@pytest.mark.django_db
def test_the_orm_past_validation_is_refused_too(cited):
    """save() without full_clean(), update() and bulk_create() meet the same triggers."""
    with _refused(evidence.CITATION_REFUSED), transaction.atomic():
        Citation.objects.create(source=cited.source, event=cited.event, excerpt="Not in the article.")
    with _refused(evidence.CITATION_REFUSED), transaction.atomic():
        Citation.objects.bulk_create([Citation(source=cited.source, event=cited.event, excerpt="Not there.")])
    with _refused(evidence.TEXT_REFUSED), transaction.atomic():
        Source.objects.filter(pk=cited.source.pk).update(text="Something else entirely.")
    assert Source.objects.get(pk=cited.source.pk).text == ARTICLE


@pytest.mark.django_db
def test_service_with_a_stale_source_gets_a_field_error_from_the_database(source):
    """The race, made deterministic: the service checked an old copy of the text, the database the current one.
    The refusal reaches the caller as a ValidationError on the excerpt, as the service's own check would."""
    event = EventFactory()
    stale = Source.objects.get(pk=source.pk)
    Source.objects.filter(pk=source.pk).update(text="Ministers met in Paris on Thursday.")
    with pytest.raises(ValidationError) as refused:
        services.citation_add(record=event, source=stale, excerpt=KEPT)
    assert list(refused.value.message_dict) == ["excerpt"]
    assert not event.citations.exists()


@pytest.mark.django_db
def test_service_refuses_a_text_change_that_breaks_a_citation_naming_it(cited):
    source = cited.source
    with pytest.raises(ValidationError) as refused:
        services.source_upsert(data=dataclasses.replace(services.record_input(source), text="Ministers met in Paris."))
    assert "would break 1 citation(s)" in refused.value.message_dict["text"][0]
    assert KEPT in refused.value.message_dict["text"][0]


@pytest.mark.django_db
def test_api_answers_the_databases_refusal_with_a_400_naming_the_field(source):
    """Any door that lets the refusal through as an IntegrityError gets a 400 on the field, not a 409 or a 500."""
    event = EventFactory()
    with pytest.raises(IntegrityError) as raised:
        _insert_citation(source_id=source.pk, excerpt="Not in the article.", event_id=event.pk)
    assert evidence.is_verbatim_violation(raised.value)
    response = exception_handler(raised.value, {})
    assert response.status_code == 400
    assert response.data["errors"] == {"excerpt": [evidence.READABLE[evidence.CITATION_REFUSED][1]]}
    assert not evidence.is_verbatim_violation(IntegrityError("UNIQUE constraint failed"))


def _editor_client() -> APIClient:
    user, _ = User.objects.get_or_create(username="race-editor")
    user.groups.add(Group.objects.get(name="editors"))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(user)}")
    return client


def _broken_citations() -> list[Citation]:
    return [c for c in Citation.objects.select_related("source") if c.excerpt not in c.source.text]


def _in_parallel(*calls) -> list:
    """Run each call in its own thread (so on its own database connection), all released at once."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait()
            results[index] = call()
        except Exception as error:  # noqa: BLE001 - reported to the test, which names it
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite's test database is in memory with a shared cache, where concurrent writers get 'table is "
    "locked' at once instead of waiting; on a file, IMMEDIATE transactions serialise writers anyway.",
)
@pytest.mark.django_db(transaction=True)
def test_text_change_racing_citation_adds_never_breaks_a_citation():
    """Hole 4: a PATCH of a source's text that removes a sentence, racing POSTs that cite that very sentence, in
    parallel on separate connections. Either side may win, and the loser is a 400, never a 500; but no trial may
    end with a citation whose excerpt is not in its source's text."""
    editor = _editor_client()
    events = [EventFactory(slug=f"race-event-{n}") for n in range(RACE_CITERS)]
    broken_trials, statuses = [], set()
    for trial in range(RACE_TRIALS):
        doomed = f"Sentence {trial} is about to go."
        source = SourceFactory(slug=f"race-{trial}", text=f"Kept sentence {trial}. {doomed}")

        def change_text(source=source, kept=f"Kept sentence {trial}."):
            return editor.patch(
                f"/api/v1/sources/{source.slug}/",
                {"text": kept},
                format="json",
                HTTP_IF_MATCH=f'"{source.version}"',
            )

        def cite(event, source=source, doomed=doomed):
            return editor.post(
                f"/api/v1/events/{event.slug}/citations/", {"source": source.slug, "excerpt": doomed}, format="json"
            )

        results = _in_parallel(change_text, *(lambda e=e: cite(e) for e in events))
        statuses.update(getattr(r, "status_code", repr(r)) for r in results)
        if _broken_citations():
            broken_trials.append(trial)
            Citation.objects.filter(source=source).delete()
    assert statuses <= {200, 201, 400}, statuses
    assert not broken_trials, f"{len(broken_trials)} of {RACE_TRIALS} trials left non-verbatim citations"


@pytest.fixture
def sqlite_file(tmp_path, settings, django_db_blocker):
    """A second SQLite database, on a file, with the project's connection settings: its alias."""
    from django.db import connections

    alias = "sqlite-file"
    connections.settings[alias] = {**settings.DATABASES["default"], "NAME": str(tmp_path / "queue.sqlite3")}
    with django_db_blocker.unblock():
        yield alias
        connections[alias].close()
    del connections.settings[alias]


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's transaction mode and busy timeout only.")
def test_sqlite_writers_queue_instead_of_failing(sqlite_file):
    """Two transactions that read, then write, the same SQLite file at once: with the default DEFERRED mode one of
    them fails at once with "database is locked" (neither can upgrade its read lock); with the settings' IMMEDIATE
    mode and busy timeout the second waits for the first, and both writes land."""
    from django.db import connections

    with connections[sqlite_file].cursor() as cursor:
        cursor.execute("CREATE TABLE counter (n integer)")
        cursor.execute("INSERT INTO counter VALUES (0)")
    read_together = threading.Barrier(2, timeout=1)

    def bump():
        try:
            with transaction.atomic(using=sqlite_file), connections[sqlite_file].cursor() as cursor:
                cursor.execute("SELECT n FROM counter")
                (n,) = cursor.fetchone()
                try:
                    read_together.wait()  # IMMEDIATE: the second cannot read before the first commits
                except threading.BrokenBarrierError:
                    pass
                cursor.execute("UPDATE counter SET n = %s", [n + 1])
            return "ok"
        finally:
            connections[sqlite_file].close()

    assert _in_parallel(bump, bump) == ["ok", "ok"]
    with connections[sqlite_file].cursor() as cursor:
        cursor.execute("SELECT n FROM counter")
        assert cursor.fetchone() == (2,)


def _break_a_citation_past_the_triggers() -> Citation:
    """What a database without the triggers (or restored from an old dump) could hold: an excerpt no longer in
    its source. The triggers are dropped for one raw UPDATE, then reinstalled."""
    citation = Citation.objects.filter(event__isnull=False).select_related("event", "source").order_by("id").first()
    _drop_trigger(evidence.CITATION_TRIGGERS[1])
    try:
        _execute("UPDATE events_citation SET excerpt = %s WHERE id = %s", [f"{citation.excerpt} (edited)", citation.pk])
    finally:
        evidence.install_triggers()
    assert evidence.installed_triggers() == set(evidence.TRIGGERS)
    return citation


def _check_evidence(*args: str) -> str:
    out = io.StringIO()
    call_command("check_evidence", *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_check_evidence_passes_on_the_story(story):
    """The final evidence check reads every citation through the API and finds each one verbatim."""
    records = ", ".join(
        f"{model.objects.count()} {model._meta.model_name}s" for model in (Event, Pledge, Statement, Actor)
    )
    assert _check_evidence() == (
        f"Checked {Citation.objects.count()} citations of {records}, in {Source.objects.count()} sources: "
        "every excerpt stands verbatim in its source's text.\n"
    )


@pytest.mark.django_db
def test_check_evidence_fails_naming_the_broken_citation(story):
    citation = _break_a_citation_past_the_triggers()
    out = io.StringIO()
    with pytest.raises(CommandError, match=rf"^1 of {Citation.objects.count()} citations .* are not verbatim"):
        call_command("check_evidence", stdout=out)
    assert out.getvalue() == (
        f"BROKEN (not verbatim) event {citation.event.slug}: source “{citation.source.slug}”: "
        f"“{citation.excerpt} (edited)”\n"
    )


@pytest.mark.django_db(transaction=True)
def test_check_evidence_over_http_against_a_running_server(live_server):
    """--url reads a running server's API with urllib, following its next links."""
    story_load(seeds_dir=settings.TRACKER_SEEDS_DIR, fixtures_dir=settings.TRACKER_FIXTURES_DIR)
    assert "every excerpt stands verbatim" in _check_evidence("--url", live_server.url)
    citation = _break_a_citation_past_the_triggers()
    out = io.StringIO()
    with pytest.raises(CommandError, match="^1 of "):
        call_command("check_evidence", "--url", live_server.url, stdout=out)
    assert f"BROKEN (not verbatim) event {citation.event.slug}:" in out.getvalue()
