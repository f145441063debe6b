"""Places: the gazetteer suggests, editors choose; bbox= and near= on every dated list; GeoJSON for events."""

import json
import math
from pathlib import Path

import pytest
from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse

from events import gazetteer
from events.models import Event, Place, Pledge, Statement

pytestmark = pytest.mark.django_db

API = "/api/v1"
FIXTURES = Path(settings.TRACKER_FIXTURES_DIR)
BRUSSELS = (50.85045, 4.34878)


def _fixture(name: str) -> list[dict]:
    return json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))


def _places() -> dict[str, dict]:
    return {p["slug"]: p for p in _fixture("places")}


def _event_places() -> dict[str, str | None]:
    return {e["slug"]: e.get("place") for e in _fixture("events")}


def _effective(record: dict) -> str | None:
    """A statement's or pledge's place as the fixtures give it: its own, else its event's."""
    return record.get("place") or (_event_places().get(record.get("event")) if record.get("event") else None)


def _km(a: tuple[float, float], b: tuple[float, float]) -> float:
    (lat1, lon1), (lat2, lon2) = (map(math.radians, a)), (map(math.radians, b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6371.0088 * math.asin(math.sqrt(h))


def _within(place_slug: str | None, km: float, centre=BRUSSELS) -> bool:
    if place_slug is None:
        return False
    place = _places()[place_slug]
    return _km((place["latitude"], place["longitude"]), centre) <= km


def _all(client, url: str, params: dict) -> list[dict]:
    response = client.get(url, {**params, "page_size": 100})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["next"] is None
    return body["results"]


# The Brussels question ---------------------------------------------------------------------------------------


def test_everything_said_within_500_km_of_brussels(story, api_client):
    """One call: the statements whose place (their own, else their event's) lies within 500 km of Brussels. They
    are Barrot's, at the Brussels meeting; nothing said in Istanbul, Washington or Gaza is."""
    results = _all(api_client, f"{API}/statements/", {"near": "50.85045,4.34878,500"})
    expected = {s["slug"] for s in _fixture("statements") if _within(_effective(s), 500)}
    assert expected, "the fixtures place statements in Brussels"
    assert {r["slug"] for r in results} == expected
    assert {r["effective_place"]["slug"] for r in results} == {"brussels"}
    assert all(r["place"] is None and r["event"] == "brussels-meeting-post-war-gaza" for r in results)
    assert {r["speaker"]["slug"] for r in results} == {"jean-noel-barrot"}


def test_timeline_near_brussels_takes_every_kind(story, api_client):
    """The timeline applies near= to events, pledges and statements alike."""
    results = _all(api_client, f"{API}/timeline/", {"near": "50.85045,4.34878,500"})
    expected = {("event", e["slug"]) for e in _fixture("events") if _within(e.get("place"), 500)}
    expected |= {("statement", s["slug"]) for s in _fixture("statements") if _within(_effective(s), 500)}
    expected |= {("pledge", p["slug"]) for p in _fixture("pledges") if _within(_effective(p), 500)}
    assert {(r["type"], r["slug"]) for r in results} == expected
    assert ("pledge", "france-100-gendarmes-palestinian-police-training") in expected


@pytest.mark.parametrize(("km", "istanbul"), [(2100, False), (2300, True)])
def test_near_is_great_circle_distance(story, api_client, km, istanbul):
    """Istanbul lies about 2,170 km from Brussels on the great circle: outside 2,100 km, inside 2,300."""
    assert 2100 < _km((41.01384, 28.94966), BRUSSELS) < 2300
    slugs = {r["slug"] for r in _all(api_client, f"{API}/events/", {"near": f"50.85045,4.34878,{km}"})}
    assert ("istanbul-ministerial-meeting-isf" in slugs) is istanbul
    assert "brussels-meeting-post-war-gaza" in slugs
    assert {e["slug"] for e in _fixture("events") if _within(e.get("place"), km)} == slugs


def test_bbox_on_events_statements_and_pledges(story, api_client):
    """A box around the eastern Mediterranean holds the Gaza Strip and nothing in Europe or America."""
    box = {"bbox": "33.5,30.5,36,32.5"}
    events = {r["slug"] for r in _all(api_client, f"{API}/events/", box)}
    assert events == {slug for slug, place in _event_places().items() if place == "gaza-strip"}
    statements = {r["slug"] for r in _all(api_client, f"{API}/statements/", box)}
    assert statements == {s["slug"] for s in _fixture("statements") if _effective(s) == "gaza-strip"}
    pledges = {r["slug"] for r in _all(api_client, f"{API}/pledges/", box)}
    assert pledges == {p["slug"] for p in _fixture("pledges") if _effective(p) == "gaza-strip"}


def test_bbox_across_the_antimeridian(story, api_client):
    """A west edge east of the east edge wraps round the antimeridian: 0..180 and -180..-60 hold Brussels,
    Istanbul and Gaza (east) and Washington (west of -60)."""
    slugs = {r["slug"] for r in _all(api_client, f"{API}/events/", {"bbox": "0,-90,-60,90"})}
    assert slugs == {slug for slug, place in _event_places().items() if place is not None}
    west = {r["slug"] for r in _all(api_client, f"{API}/events/", {"bbox": "-100,0,-60,60"})}
    assert west == {slug for slug, place in _event_places().items() if place == "washington"}


@pytest.mark.parametrize(
    ("param", "value", "message"),
    [
        ("bbox", "1,2,3", "Give 4 comma-separated numbers"),
        ("bbox", "a,2,3,4", "min_lon is not a number"),
        ("bbox", "0,60,10,50", "min_lat must not be above max_lat"),
        ("bbox", "0,-91,10,50", "min_lat must be between -90"),
        ("near", "50.8,4.3", "Give 3 comma-separated numbers"),
        ("near", "50.8,4.3,-1", "km must be between 0"),
        ("near", "50.8,4.3,nan", "km must be between 0"),
        ("near", "95,4.3,10", "lat must be between -90"),
    ],
)
@pytest.mark.parametrize("resource", ["events", "statements", "pledges", "timeline"])
def test_bad_coordinates_are_a_400_naming_the_parameter(api_client, resource, param, value, message):
    response = api_client.get(f"{API}/{resource}/", {param: value})
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert list(response.json()["errors"]) == [param]
    assert message in response.json()["errors"][param][0]


# GeoJSON -----------------------------------------------------------------------------------------------------


def _geojson(client, params: dict | None = None):
    response = client.get(f"{API}/events/export/", {"format": "geojson", **(params or {})})
    assert response.status_code == 200
    return response, json.loads(b"".join(response.streaming_content))


def test_geojson_export_is_a_feature_collection(story, api_client):
    """RFC 7946: a FeatureCollection of Point features, [longitude, latitude]; events without a place are left out
    and counted, in a header and in the collection."""
    response, body = _geojson(api_client)
    assert response["Content-Type"] == "application/geo+json"
    placed = {slug: place for slug, place in _event_places().items() if place is not None}
    without = len(_event_places()) - len(placed)
    assert without > 0
    assert response["X-Without-Place"] == str(without)
    assert body["type"] == "FeatureCollection"
    assert body["without_place"] == without
    assert {f["id"] for f in body["features"]} == set(placed)
    places = _places()
    for f in body["features"]:
        assert f["type"] == "Feature"
        assert f["geometry"]["type"] == "Point"
        lon, lat = f["geometry"]["coordinates"]
        place = places[placed[f["id"]]]
        assert (lon, lat) == (place["longitude"], place["latitude"])
        assert -180 <= lon <= 180
        assert -90 <= lat <= 90
        assert f["properties"]["slug"] == f["id"]
        assert f["properties"]["place"] == placed[f["id"]]
        assert isinstance(f["properties"]["participants"], list)


def test_geojson_by_accept_header_with_filters(story, api_client):
    response = api_client.get(
        f"{API}/events/export/", {"near": "50.85045,4.34878,500"}, HTTP_ACCEPT="application/geo+json"
    )
    body = json.loads(b"".join(response.streaming_content))
    assert [f["id"] for f in body["features"]] == ["brussels-meeting-post-war-gaza"]
    assert response["X-Without-Place"] == "0"


def test_geojson_only_for_events(api_client):
    response = api_client.get(f"{API}/statements/export/", {"format": "geojson"})
    assert response.status_code == 400
    assert "format" in response.json()["errors"]


# Reading and writing places ----------------------------------------------------------------------------------


def test_event_and_statement_read_shapes(story, api_client):
    event = api_client.get(f"{API}/events/brussels-meeting-post-war-gaza/").json()
    assert event["place"]["slug"] == "brussels"
    assert event["place"]["geonames_id"] == 2800866
    assert (event["place"]["latitude"], event["place"]["longitude"]) == BRUSSELS
    assert event["place"]["country"] == "BE"
    assert event["place"]["precision"] == "city"
    statement = api_client.get(f"{API}/statements/barrot-france-ready-to-deploy-100-gendarmes/").json()
    assert statement["place"] is None
    assert statement["effective_place"]["slug"] == "brussels"
    unplaced = api_client.get(f"{API}/statements/hamas-opposes-isf-in-gaza/").json()
    assert unplaced["effective_place"] is None


def test_places_list_and_search(story, api_client):
    slugs = [p["slug"] for p in _all(api_client, f"{API}/places/", {})]
    assert slugs == sorted(_places())
    assert [p["slug"] for p in _all(api_client, f"{API}/places/", {"search": "gaza"})] == ["gaza-strip"]
    assert [p["slug"] for p in _all(api_client, f"{API}/places/", {"precision": "region"})] == ["gaza-strip"]
    near = _all(api_client, f"{API}/places/", {"near": "50.85045,4.34878,10"})
    assert [p["slug"] for p in near] == ["brussels"]
    detail = api_client.get(f"{API}/places/gaza-strip/")
    assert detail.status_code == 200
    assert detail["ETag"].startswith('"g')  # anonymous: the data generation's tag (README "Repeated reads")
    assert detail.json()["geonames_id"] is None


def test_suggest_finds_a_city_by_any_of_its_names(story, api_client):
    for query in ("Brussels", "bruxelles", "BRÜSSEL"):
        response = api_client.get(f"{API}/places/suggest/", {"q": query})
        assert response.status_code == 200
        first = response.json()[0]
        assert (first["geonames_id"], first["country"], first["place"], first["body"]) == (
            2800866,
            "BE",
            "brussels",
            None,
        )
    jericho = api_client.get(f"{API}/places/suggest/", {"q": "Jericho", "country": "PS"}).json()
    assert jericho
    assert all(c["country"] == "PS" for c in jericho)
    assert jericho[0]["place"] is None
    assert jericho[0]["body"]["geonames_id"] == jericho[0]["geonames_id"]


@pytest.mark.parametrize("params", [{"q": "B"}, {"q": "Brussels", "country": "Belgium"}, {"x": "1"}, {}])
def test_suggest_refuses_bad_parameters(api_client, params):
    response = api_client.get(f"{API}/places/suggest/", params)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"


def test_gazetteer_never_assigns(story):
    """Looking a name up stores nothing."""
    before = Place.objects.count()
    assert gazetteer.suggest("Jericho")
    assert Place.objects.count() == before


def test_editor_stores_a_suggestion_and_places_an_event_there(story, editor, api_client):
    """The suggestion's body, POSTed, is a place; an event is moved there by slug, with If-Match."""
    suggestion = api_client.get(f"{API}/places/suggest/", {"q": "Jericho", "country": "PS"}).json()[0]
    created = editor.post(f"{API}/places/", suggestion["body"], format="json")
    assert created.status_code == 201, created.content
    slug = created.json()["slug"]
    assert created["Location"].endswith(f"/places/{slug}/")
    again = editor.post(f"{API}/places/", suggestion["body"], format="json")
    assert again.status_code == 409
    assert again.json()["code"] == "duplicate"

    event = Event.objects.get(slug="eupol-copps-established-2006")
    moved = editor.patch(
        f"{API}/events/{event.slug}/", {"place": slug}, format="json", HTTP_IF_MATCH=f'"{event.version}"'
    )
    assert moved.status_code == 200, moved.content
    assert moved.json()["place"]["slug"] == slug
    history = editor.get(f"{API}/events/{event.slug}/history/").json()["results"][0]
    assert {"field": "place", "old": None, "new": slug} in history["changes"]


def test_statement_own_place_overrides_its_events(story, editor, api_client):
    statement = Statement.objects.get(slug="barrot-france-ready-to-deploy-100-gendarmes")
    response = editor.patch(
        f"{API}/statements/{statement.slug}/",
        {"place": "istanbul"},
        format="json",
        HTTP_IF_MATCH=f'"{statement.version}"',
    )
    assert response.status_code == 200, response.content
    assert response.json()["effective_place"]["slug"] == "istanbul"
    near = {r["slug"] for r in _all(api_client, f"{API}/statements/", {"near": "50.85045,4.34878,500"})}
    assert statement.slug not in near


def test_event_place_in_another_country_is_refused(story, editor):
    event = Event.objects.get(slug="istanbul-ministerial-meeting-isf")
    response = editor.patch(
        f"{API}/events/{event.slug}/", {"place": "brussels"}, format="json", HTTP_IF_MATCH=f'"{event.version}"'
    )
    assert response.status_code == 400
    assert "lies in BE" in response.json()["errors"]["place"][0]
    assert Event.objects.get(pk=event.pk).place.slug == "istanbul"


def test_an_event_placed_without_a_country_takes_its_places(story, editor):
    """Found from outside: an event placed in Cairo through the API kept a blank country, so `country=EG` and the
    aggregate by country missed it."""
    event = Event.objects.get(slug="captive-release-2025-10-10")
    assert not event.country
    response = editor.patch(
        f"{API}/events/{event.slug}/", {"place": "istanbul"}, format="json", HTTP_IF_MATCH=f'"{event.version}"'
    )
    assert response.status_code == 200, response.content
    assert response.json()["country"] == "TR"
    assert event.slug in {e["slug"] for e in editor.get(f"{API}/events/?country=TR").json()["results"]}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "Nowhere", "latitude": "91", "longitude": "0", "precision": "city"}, "latitude"),
        ({"name": "Nowhere", "latitude": "0", "longitude": "0", "precision": "village"}, "precision"),
        (
            {
                "name": "Not Gaza",
                "latitude": "0",
                "longitude": "0",
                "precision": "city",
                "geonames_id": 281133,
                "country": "FR",
            },
            "geonames_id",
        ),
        ({"name": "Nowhere", "latitude": "0", "longitude": "0", "precision": "city", "altitude": 3}, "altitude"),
    ],
)
def test_bad_place_is_a_400(story, editor, body, field):
    response = editor.post(f"{API}/places/", body, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()["errors"]


def test_reading_places_needs_no_account_but_writing_does(api_client):
    body = {"name": "West Bank", "latitude": "31.95", "longitude": "35.3", "precision": "region", "country": "PS"}
    assert api_client.post(f"{API}/places/", body, format="json").status_code == 401


def test_a_place_in_use_cannot_be_deleted(story):
    with pytest.raises(Exception, match="protected"):
        Place.objects.get(slug="brussels").delete()


# Constraints -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "constraint"),
    [
        ({"latitude": 91, "longitude": 0}, "place_latitude_range"),
        ({"latitude": 0, "longitude": -181}, "place_longitude_range"),
        ({"latitude": 0, "longitude": 0, "name": ""}, "place_name_not_empty"),
        ({"latitude": 0, "longitude": 0, "slug": "Upper"}, "place_slug_lowercase"),
    ],
)
def test_place_constraints(fields, constraint):
    values = {"slug": "somewhere", "name": "Somewhere", "precision": "city", **fields}
    with pytest.raises(IntegrityError, match=constraint), transaction.atomic():
        Place.objects.create(**values)


def test_one_place_per_gazetteer_entry():
    Place.objects.create(slug="a", name="A", latitude=0, longitude=0, precision="city", geonames_id=1)
    with pytest.raises(IntegrityError, match="geonames_id"), transaction.atomic():
        Place.objects.create(slug="b", name="B", latitude=0, longitude=0, precision="city", geonames_id=1)
    Place.objects.create(slug="c", name="C", latitude=0, longitude=0, precision="region")
    Place.objects.create(slug="d", name="D", latitude=0, longitude=0, precision="region")


# Admin -------------------------------------------------------------------------------------------------------


def test_admin_suggests_and_adds_a_place(story, admin_client):
    page = admin_client.get(reverse("admin:events_place_suggest"), {"q": "Jericho"})
    assert page.status_code == 200
    text = page.content.decode()
    assert "Jericho" in text
    assert "Add…" in text
    stored = admin_client.get(reverse("admin:events_place_suggest"), {"q": "Brussels"}).content.decode()
    assert "stored as brussels" in stored
    assert admin_client.get(reverse("admin:events_place_changelist")).status_code == 200

    form = {
        "slug": "west-bank",
        "name": "West Bank",
        "country": "PS",
        "latitude": "31.95000",
        "longitude": "35.30000",
        "precision": "region",
        "geonames_id": "",
        "note": "Entered by an editor: a representative point of the West Bank.",
        "seen_version": "",
    }
    response = admin_client.post(reverse("admin:events_place_add"), form)
    assert response.status_code == 302, response.content.decode()[:2000]
    place = Place.objects.get(slug="west-bank")
    assert place.history.count() == 1
    assert place.geonames_id is None

    form.update(latitude="91", seen_version=str(place.version))
    response = admin_client.post(reverse("admin:events_place_change", args=[place.pk]), form)
    assert response.status_code == 200
    assert Place.objects.get(pk=place.pk).latitude != 91


def test_admin_moves_an_event_to_a_place(story, admin_client):
    from tests.admin_forms import change_form

    event = Event.objects.get(slug="eupol-copps-established-2006")
    gaza = Place.objects.get(slug="gaza-strip")
    url = reverse("admin:events_event_change", args=[event.pk])
    form = change_form(admin_client, url)
    form["place"] = str(gaza.pk)
    response = admin_client.post(url, form)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Event.objects.get(pk=event.pk).place == gaza


def test_pledges_inherit_their_events_place(story):
    pledge = Pledge.objects.get(slug="france-100-gendarmes-palestinian-police-training")
    assert pledge.place is None
    assert list(Pledge.objects.near(latitude=BRUSSELS[0], longitude=BRUSSELS[1], km=1)) == [pledge]
