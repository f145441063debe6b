"""Schemathesis against the API's own OpenAPI schema, with every check it has, on SQLite and PostgreSQL: every
operation and method one by one, then stateful runs that follow the schema's links (create, read, change, cite,
delete, read again), all authenticated as an editor. Zero failures is the bar.

A schema describes a value's form, not whether the record it names exists. So the request generators draw the
values that name records (slugs, a citation's excerpt, an account's credentials) from the database under test, and
keep to the few rules that span several fields (a range's ends in order, a date within its precision); everything
else is generated freely. A request the schema allows and the API refuses is a failure (`positive_data_acceptance`),
except the answers the schema declares for a conflict with the stored state: 409, and 412/428 around If-Match."""

import datetime
import zlib
from pathlib import Path

import pytest
import schemathesis
import yaml
from django.contrib.auth.models import Group, User
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.signals import request_finished, request_started
from django.core.validators import URLValidator
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, settings
from schemathesis.checks import CHECKS as REGISTERED_CHECKS
from schemathesis.checks import load_all_checks
from schemathesis.config import SchemathesisConfig

from events.models import Actor, Event, Place, Pledge, Source, Statement
from tests.tokens import token_for

# Every check Schemathesis has. max_response_time is not a check but a limit, left unset: speed is measured in
# bench/, not asserted in tests (issue 12's decision).
load_all_checks()
CHECKS = REGISTERED_CHECKS.get_all()
EDITOR = ("fuzz-editor", "pw-fuzz-1")
CONFLICTS = ("409", "412", "428")
# A deprecated ?format= on a list redirects before anything is read: the export it leads to judges the query.
REDIRECTS = ("308",)
# Schemathesis' default answers to an invalid request.
NEGATIVE = ("400", "401", "403", "404", "405", "406", "415", "422", "429", "5xx")


def _config() -> SchemathesisConfig:
    """positive_data_acceptance accepts 2xx, 3xx, 404 (a path naming no record), 429, and, on each operation, the
    conflict answers its schema declares; negative_data_rejection accepts those too."""
    contract = yaml.safe_load((Path(__file__).resolve().parent.parent / "openapi.yaml").read_text(encoding="utf-8"))
    by_conflicts: dict[tuple[str, ...], list[str]] = {}
    for operations in contract["paths"].values():
        for operation in operations.values():
            declared = tuple(code for code in (*CONFLICTS, *REDIRECTS) if code in operation.get("responses", {}))
            by_conflicts.setdefault(declared, []).append(operation["operationId"])
    return SchemathesisConfig.from_dict(
        {
            "operations": [
                {
                    "include-operation-id": operation_ids,
                    "checks": {
                        "positive_data_acceptance": {"expected-statuses": ["2xx", "3xx", "404", "429", *declared]},
                        # Preconditions come before the body is read (RFC 9110, 13.2.1): a stale If-Match is a
                        # 412 whatever the body holds.
                        "negative_data_rejection": {"expected-statuses": [*NEGATIVE, *declared]},
                    },
                }
                for declared, operation_ids in by_conflicts.items()
            ]
        }
    )


# Loading the schema needs no database: it is generated from the code.
schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", get_wsgi_application(), config=_config())


def _pick(choices: list, seed) -> object:
    """A stable choice: the same generated value always names the same record, so a failure replays."""
    return choices[zlib.crc32(repr(seed).encode()) % len(choices)]


MODELS = {"actors": Actor, "events": Event, "statements": Statement, "pledges": Pledge, "sources": Source}
# Query parameters and body fields whose values name records, and the records they name.
NAMES = {
    "actor": "actors",
    "parent": "actors",
    "pledger": "actors",
    "beneficiary": "actors",
    "speaker": "actors",
    "stance_target": "actors",
    "about": "actors",
    "reported_by": "actors",
    "event": "events",
    "announced_by": "statements",
    "source": "sources",
}
RANGES = (
    ("created_after", "created_before"),
    ("updated_after", "updated_before"),
    ("date_after", "date_before"),
    ("target_after", "target_before"),
    ("quantity_min", "quantity_max"),
    ("date", "date_end"),
    ("target_date", "target_date_end"),
)


def _slugs(kind: str) -> list[str]:
    return list(MODELS[kind].objects.order_by("slug").values_list("slug", flat=True))


def _name_records(values: dict, *, body: bool) -> None:
    for key, kind in NAMES.items():
        if values.get(key) in (None, [], ""):
            continue
        slugs = _slugs(kind)
        if isinstance(values[key], list):
            values[key] = list(dict.fromkeys(_pick(slugs, value) for value in values[key]))
        else:
            values[key] = _pick(slugs, values[key])
    if body and values.get("participants"):
        actors = _slugs("actors")
        participants = {_pick(actors, p.get("actor")): p for p in values["participants"] if isinstance(p, dict)}
        values["participants"] = [{**p, "actor": actor} for actor, p in participants.items()]


def _in_order(values: dict) -> None:
    for low, high in RANGES:
        if values.get(low) is not None and values.get(high) is not None:
            if _comparable(values[low]) > _comparable(values[high]):
                values[low], values[high] = values[high], values[low]


def _comparable(value):
    """A range's end as the API compares it: a number, a day, or an instant (offsets taken into account)."""
    if isinstance(value, int | float):
        return (0, value)
    try:
        moment = datetime.datetime.fromisoformat(str(value))
    except ValueError:
        return (2, str(value))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.UTC)
    return (1, moment.timestamp())


def _dated(values: dict, field: str) -> None:
    """A partial date whose parts fit together (events/dates.py): when a body gives any part, it gives all three,
    so that a PATCH does not meet the stored parts half way."""
    parts = (field, f"{field}_precision", f"{field}_end")
    if not any(part in values for part in parts):
        return
    precision = values.get(parts[1]) or "day"
    try:
        start = datetime.date.fromisoformat(values.get(field) or "")
    except ValueError:
        start = datetime.date(2025, 11, 20)
    start = min(start, datetime.date(9999, 1, 1))
    end = None
    if precision == "unknown":
        start = None
    elif precision == "approximate":
        end = max(start, _date_or(values.get(parts[2]), start))
    elif precision == "week":
        start -= datetime.timedelta(days=start.weekday())
    elif precision == "month":
        start = start.replace(day=1)
    elif precision == "year":
        start = start.replace(month=1, day=1)
    values.update(zip(parts, (start and start.isoformat(), precision, end and end.isoformat()), strict=True))


def _date_or(value, default: datetime.date) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value or "")
    except ValueError:
        return default


def _cite(citation: dict, *, source: str | None = None) -> dict:
    """A real excerpt: a stretch of the cited source's text, chosen by the generated one."""
    slug = source or _pick(_slugs("sources"), citation.get("source"))
    text = Source.objects.get(slug=slug).text
    start = zlib.crc32(repr(citation.get("excerpt")).encode()) % max(len(text) - 20, 1)
    return {**citation, "source": slug, "excerpt": text[start : start + 20] or text}


@schemathesis.hook
def before_call(context, case, kwargs) -> None:
    """Just before sending, when the database under test is there (examples are made when tests are collected;
    hence a global hook: Schemathesis runs this one only globally, and only this module uses Schemathesis).
    Positive cases only: a negative case must stay as invalid as it was generated."""
    if (case.headers or {}).get("Authorization") == "Token " and TOKEN:
        # An example case was given its credentials when tests were collected, before the editor existed.
        case.headers["Authorization"] = f"Token {TOKEN['value']}"
    if case.meta is not None and not case.meta.generation.mode.is_positive:
        return
    # Assigned only when changed: Schemathesis checks a changed component against the schema again.
    if case.query:
        case.query = _story_query(case.query)
    if isinstance(case.body, dict):
        body = _story_body(case.operation.label, case.body)
        _quote_stands_in_its_evidence(case.operation.path, (case.path_parameters or {}).get("slug"), body)
        _status_within_its_dates(case.operation.path, (case.path_parameters or {}).get("slug"), body)
        _status_as_stored(case.operation.path, (case.path_parameters or {}).get("slug"), body)
        _text_keeps_its_evidence(case.operation.path, (case.path_parameters or {}).get("slug"), body)
        if "slug" in body and (case.path_parameters or {}).get("slug"):
            body["slug"] = case.path_parameters["slug"]  # a record keeps its slug: a change names its URL's
        case.body = body


def _story_query(query):
    if not query:
        return query
    query = dict(query)
    _name_records(query, body=False)
    _in_order(query)
    # A cursor exists only as a `next` or `previous` link gave it, and it replaces the page number.
    query.pop("cursor", None)
    _coordinates_in_range(query)
    # The change feed starts after a time or after an entry, not both.
    if query.get("since") is not None and query.get("since_id") is not None:
        query.pop("since_id")
    # A byte order mark is for CSV only, which JSON Schema cannot tie to the format parameter's value.
    if str(query.get("bom")).lower() == "true" and query.get("format", "csv") != "csv":
        query.pop("bom")
    return query


def _coordinates_in_range(query: dict) -> None:
    """bbox and near are numbers in a string (`min_lon,min_lat,max_lon,max_lat`; `lat,lon,km`), whose pattern says
    their shape; each number's range, and a box's south edge below its north, no pattern can: kept within them."""

    def numbers(value) -> list[float] | None:
        try:
            return [float(part) for part in str(value).split(",")]
        except ValueError:
            return None

    def within(value: float, bound: float) -> float:
        return max(-bound, min(bound, value))

    box = numbers(query.get("bbox")) if query.get("bbox") is not None else None
    if box is not None and len(box) == 4:
        west, south, east, north = within(box[0], 180), within(box[1], 90), within(box[2], 180), within(box[3], 90)
        query["bbox"] = f"{west},{min(south, north)},{east},{max(south, north)}"
    point = numbers(query.get("near")) if query.get("near") is not None else None
    if point is not None and len(point) == 3:
        query["near"] = f"{within(point[0], 90)},{within(point[1], 180)},{min(abs(point[2]), 20038)}"


def _placed(label: str, body: dict) -> None:
    """A place named by slug is one of the stored places; an event's is one in the event's country (the services
    refuse an event placed in another country than its own: a rule between two records, not a field's)."""
    if body.get("place") in (None, ""):
        return
    places = Place.objects.order_by("slug")
    if label.startswith("POST /api/v1/events/") or label.startswith(("PUT", "PATCH")) and "/events/" in label:
        places = places.filter(country=body.get("country") or "")
    slugs = list(places.values_list("slug", flat=True))
    body["place"] = _pick(slugs, body["place"]) if slugs else None


def _story_body(label: str, body):
    if not isinstance(body, dict):
        return body
    body = dict(body)
    if label.endswith("/auth/token/"):
        return {"username": EDITOR[0], "password": EDITOR[1]}
    _name_records(body, body=True)
    _in_order(body)
    if not label.endswith("/status/"):  # a status change has a day, not a partial date
        _dated(body, "date")
        _dated(body, "target_date")
        if "/pledges/" in label:
            _announced_by_the_story_s_end(body)
    if isinstance(body.get("citations"), list):
        cited = {(c["source"], c["excerpt"]): c for c in (_cite(c) for c in body["citations"] if isinstance(c, dict))}
        body["citations"] = list(cited.values())
    if label.endswith("/citations/") or label.endswith("/status/"):
        body.update(_cite(body))
    _fit_together(body)
    _placed(label, body)
    _a_reachable_url(body)
    return body


def _announced_by_the_story_s_end(body: dict) -> None:
    """A pledge's status moves on a day between its announcement and its evidence's date: a pledge announced after
    every stored source could never change status (a rule across records, which the status operation's generated
    body cannot keep). Its announcement is kept on or before the latest source's day."""
    latest = Source.objects.exclude(date_end=None).order_by("-date_end").values_list("date_end", flat=True).first()
    day = _date_or(body.get("date"), None) if body.get("date") else None
    if latest is not None and day is not None and day > latest:
        body.update(date=latest.isoformat(), date_precision="day", date_end=None)


def _quote_stands_in_its_evidence(path: str, slug: str | None, body: dict) -> None:
    """A change to a stored direct quotation keeps its text within its excerpts (those sent, else those stored)."""
    if not (slug and path.startswith("/api/v1/statements/") and "text" in body):
        return
    statement = Statement.objects.filter(slug=slug).first()
    if statement is None or body.get("quote_type", statement.quote_type) != "direct":
        return
    excerpts = [c["excerpt"] for c in body.get("citations") or []] or [c.excerpt for c in statement.citations.all()]
    if excerpts:
        body["text"] = excerpts[0]


def _text_keeps_its_evidence(path: str, slug: str | None, body: dict) -> None:
    """A change to a stored source's text keeps every excerpt cited from it, verbatim (a rule between the body and
    the records citing the source): an excerpt the generated text lost is added back at its end."""
    if not (slug and path == "/api/v1/sources/{slug}/" and isinstance(body.get("text"), str)):
        return
    source = Source.objects.filter(slug=slug).first()
    if source is None:
        return
    excerpts = sorted({excerpt for excerpt in source.citations.values_list("excerpt", flat=True)})
    missing = [excerpt for excerpt in excerpts if excerpt not in body["text"]]
    if missing:
        body["text"] = " ".join([body["text"], *missing])


def _status_within_its_dates(path: str, slug: str | None, body: dict) -> None:
    """A status change falls between the pledge's first day and the day its source was published."""
    if not (slug and path.endswith("/status/") and body.get("date")):
        return
    pledge = Pledge.objects.filter(slug=slug).first()
    source = Source.objects.filter(slug=body.get("source")).first()
    day = _date_or(body["date"], datetime.date(2025, 11, 20))
    if source is not None and source.date_end is not None:
        day = min(day, source.date_end)
    if pledge is not None and pledge.date is not None:
        day = max(day, pledge.date)
    body["date"] = day.isoformat()


def _status_as_stored(path: str, slug: str | None, body: dict) -> None:
    """A change to a stored pledge keeps its status and status date: they move only through its status operation,
    with a date and evidence (a rule between the body and the stored record)."""
    if not (slug and path == "/api/v1/pledges/{slug}/"):
        return
    pledge = Pledge.objects.filter(slug=slug).first()
    if pledge is None:
        return
    if "status" in body:
        body["status"] = pledge.status
    if "status_date" in body:
        body["status_date"] = pledge.status_date and pledge.status_date.isoformat()


def _a_reachable_url(body: dict) -> None:
    """`format: uri` admits any scheme and any length of host; Django's URLValidator takes http(s) and ftp(s) with
    a host name of at most 253 characters in labels of at most 63 (RFC 1035, 2.3.4), which JSON Schema cannot
    say. A generated address outside that is replaced by one within it (SECURITY.md)."""
    url = body.get("url")
    if not url:
        return
    try:
        URLValidator()(url)
    except DjangoValidationError:
        body["url"] = f"https://example.org/{zlib.crc32(url.encode('utf-8', 'surrogatepass'))}"


def _fit_together(body: dict) -> None:
    """The rules that span fields (the models' constraints and the services' checks), kept by the generated
    body: a quantity with its unit, coordinates in pairs, a stance with its target, a direct quotation that stands
    in its evidence, relays that are news outlets, a title only for a person, no pledge to oneself."""
    if "quantity" in body or "unit" in body:
        if body.get("quantity") is None or not body.get("unit"):
            body.update(quantity=None, unit="", quantity_delivered=None, quantity_approximate=False)
    if body.get("quantity_delivered") is not None and not body.get("unit"):
        body["quantity_delivered"] = None
    if "latitude" in body or "longitude" in body:
        # DRF reads "" as null for a nullable number.
        if body.get("latitude") in (None, "") or body.get("longitude") in (None, ""):
            body.update(latitude=None, longitude=None)
    if body.get("stance_target") and body.get("stance") not in ("supports", "opposes"):
        body["stance"] = "supports"
    if body.get("quote_type") == "direct" and body.get("citations"):
        body["text"] = body["citations"][0]["excerpt"]
    if body.get("reported_by"):
        body["reported_by"] = list(Actor.objects.filter(kind="media").values_list("slug", flat=True)[:1])
    if body.get("title") and body.get("kind") not in (None, "person") and "name" in body:
        body["kind"] = "person"
    if body.get("beneficiary") and body.get("beneficiary") == body.get("pledger"):
        body["beneficiary"] = None


@pytest.fixture(autouse=True)
def keep_test_connection():
    """Requests go through the real WSGI handler, which closes database connections at the end of each request;
    like Django's test client, keep the test's connection (and its transaction) open meanwhile."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


TOKEN: dict[str, str] = {}


@schema.auth(refresh_interval=None, retry_on=[])
class EditorToken:
    """The editor's token, as an auth provider rather than a fixed header, so that Schemathesis knows the
    credentials are real ones and tries the writes without them and with made-up ones (ignored_auth)."""

    def get(self, case, context) -> str:
        if case.operation.path.endswith("/auth/token/revoke/") and "user" in TOKEN:
            # Revoking spends the token it is sent with: each revocation gets one of its own.
            return token_for(TOKEN["user"])
        return TOKEN.get("value", "")

    def set(self, case, data: str, context) -> None:
        case.headers = {**(case.headers or {}), "Authorization": f"Token {data}"}


@pytest.fixture
def editor(db) -> User:
    user = User.objects.create_user(EDITOR[0], password=EDITOR[1])
    user.groups.add(Group.objects.get(name="editors"))
    TOKEN.update(value=token_for(user), user=user)
    yield user
    TOKEN.clear()


@pytest.fixture
def places(db) -> None:
    """Two places of the gazetteer's, for the records that name one."""
    Place.objects.create(
        slug="brussels", name="Brussels", country="BE", latitude=50.85045, longitude=4.34878, precision="city"
    )
    Place.objects.create(
        slug="istanbul", name="Istanbul", country="TR", latitude=41.01384, longitude=28.94966, precision="city"
    )


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
@pytest.mark.django_db
def test_api_conforms_to_its_schema(case, world, places, editor):
    """No 5xx, documented status codes, content types and headers, responses matching their schemas, invalid data
    rejected and valid data accepted, credentials required where declared."""
    case.call_and_validate(checks=CHECKS)


@pytest.mark.django_db
def test_api_holds_across_linked_calls(world, places, editor):
    """Following the schema's links: a created record can be read, changed with the ETag it came with, cited and
    deleted, and once deleted it is gone (use_after_free), while a record just created is there
    (ensure_resource_availability)."""

    class Workflow(schema.as_state_machine()):
        def setup(self):
            # Each scenario starts from the same story, so that Hypothesis can replay and shrink a failure.
            self.scenario = transaction.atomic()
            self.scenario.__enter__()

        def teardown(self):
            transaction.set_rollback(True)
            self.scenario.__exit__(None, None, None)
            super().teardown()

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            case.validate_response(response, checks=CHECKS, transport_kwargs=kwargs or None, recorder=self.recorder)

    Workflow.run(
        settings=settings(
            max_examples=30,
            stateful_step_count=8,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
        )
    )


def test_every_check_runs():
    """The bar is every check: none may be left out when Schemathesis adds one."""
    names = {check.__name__ for check in CHECKS}
    assert {"positive_data_acceptance", "use_after_free", "ensure_resource_availability", "ignored_auth"} <= names
