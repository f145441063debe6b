"""Actor names: a normalised key per name and alias, unique across all actors, through every door."""

import html
import json
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import Group, User
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.urls import reverse
from rest_framework.test import APIClient

from conftest import ActorAliasFactory, ActorFactory
from events import names, services
from events.models import Actor, ActorAlias, ActorNameKey
from tests.errors import assert_error
from tests.test_admin import _actor_form, _management


@pytest.fixture
def editor(db):
    user = User.objects.create_user("editor")
    user.groups.add(Group.objects.get(name="editors"))
    client = APIClient()
    client.force_authenticate(user)
    return client


# Each spelling a reader cannot tell from "France".
FRANCE_LOOK_ALIKES = {
    "case": "FRANCE",
    "spaces": "  France ",
    "cyrillic a": "Fr\u0430nce",
    "fullwidth": "\uff26\uff52\uff41\uff4e\uff43\uff45",
    "mathematical bold": "\U0001d405\U0001d42b\U0001d41a\U0001d427\U0001d41c\U0001d41e",
    "zero-width space": "Fra\u200bnce",
    "zero-width non-joiner": "Fra\u200cnce",
    "zero-width joiner": "Fra\u200dnce",
    "word joiner": "Fra\u2060nce",
    "byte order mark": "\ufeffFrance",
    "soft hyphen": "Fra\u00adnce",
    "left-to-right mark": "France\u200e",
}


# The key --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("spelling", FRANCE_LOOK_ALIKES.values(), ids=FRANCE_LOOK_ALIKES.keys())
def test_look_alike_spellings_share_the_key(spelling):
    assert names.name_key(spelling) == names.name_key("France") == "france"


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Ali  Hassan", "ali hassan"),  # runs of spaces
        ("Ali\u00a0Hassan", "Ali Hassan"),  # no-break space
        ("Ali\u3000Hassan", "Ali Hassan"),  # ideographic space
        ("Ali\tHassan\n", "Ali Hassan"),
        ("Straße", "STRASSE"),  # full case folding
        ("Jean-Noe\u0308l Barrot", "Jean-Noël Barrot"),  # decomposed and composed
        ("0rban", "Orban"),  # digit zero: its prototype is a capital O, folded again
        ("H\u0430m\u0430s", "Hamas"),  # two Cyrillic letters
        ("ﬁnland", "Finland"),  # ligature
    ],
)
def test_variants_share_the_key(a, b):
    assert names.name_key(a) == names.name_key(b)


@pytest.mark.parametrize(
    ("a", "b"),
    [("France", "Frankreich"), ("Ali Hassan", "Ali Hasan"), ("Hamas", "Hamas (political bureau)"), ("US", "U.S.")],
)
def test_different_names_keep_different_keys(a, b):
    assert not set(names.name_keys(a)) & set(names.name_keys(b))


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("\u0397amas", "Hamas"),  # Greek capital Eta, whose small letter η looks like no h
        ("\u0397AMAS", "hamas"),
        ("\u041d\u0410\u0422\u041e", "HATO"),  # Cyrillic НАТО
        ("\u041d\u0410\u0422\u041e", "\u043d\u0430\u0442\u043e"),  # and its small letters: case variants
    ],
)
def test_capital_look_alikes_share_a_key(a, b):
    """Case folding comes before the skeleton in name_key, so capitals get a key of their own."""
    assert set(names.name_keys(a)) & set(names.name_keys(b))


def test_a_key_is_its_own_key():
    """Applying the key twice changes nothing, even where a prototype is itself folded ("%" → "º/₀" → "o/0")."""
    samples = ["%", "0rban", "Ϛ", "Ꮇ", *FRANCE_LOOK_ALIKES.values()]
    samples += [
        actor["name"] for actor in json.loads((Path(settings.BASE_DIR) / "fixtures" / "actors.json").read_text())
    ]
    for text in samples:
        key = names.name_key(text)
        assert names.name_key(key) == key, text
        assert names.name_keys(names.name_keys(text)[-1])[-1] == names.name_keys(text)[-1], text


def test_invisible_only_names_have_an_empty_key_and_are_refused():
    assert names.name_key("\u200b\u00ad\ufeff ") == ""
    with pytest.raises(ValidationError) as caught:
        names.actor_entries(name="\u200b")
    assert caught.value.message_dict == {"name": ["“\u200b” has no visible characters."]}


def test_a_key_too_long_to_index_is_refused():
    """U+FDFA is one character and eighteen after NFKC: a 200-character name must not overflow the index."""
    with pytest.raises(ValidationError) as caught:
        names.actor_entries(name="\ufdfa" * 200)
    assert "too long once normalised" in caught.value.message_dict["name"][0]


@pytest.mark.parametrize(
    ("name", "aliases", "message"),
    [
        ("France", ["FRANCE"], "Alias “FRANCE” reads the same as the actor's name “France”"),
        ("France", ["Paris", "PARIS"], "Alias “PARIS” reads the same as the actor's alias “Paris”"),
        ("France", ["Fr\u0430nce"], "Alias “Fr\u0430nce” reads the same as the actor's name “France”"),
    ],
)
def test_an_alias_reading_like_the_name_or_another_alias_is_refused(name, aliases, message):
    """Never silently dropped: the editor is told to remove it."""
    with pytest.raises(ValidationError) as caught:
        names.actor_entries(name=name, aliases=aliases)
    assert caught.value.message_dict["aliases"][0].startswith(message)


def test_an_alias_repeated_exactly_is_one_alias():
    entries = names.actor_entries(name="France", aliases=["Paris", "Paris"])
    assert sorted({(e.name, e.is_alias) for e in entries.values()}) == [("France", False), ("Paris", True)]


# The table and its constraints ----------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("key", "refused"),
    [("france", r"actor_name_key_unique|events_actornamekey\.key"), ("", r"actor_name_key_not_empty")],
    ids=["unique key", "not empty"],
)
def test_each_constraint_fires_in_the_database(key, refused):
    """Written past the services, a second actor's copy of a key, or an empty key, is refused by the database."""
    ActorNameKey.objects.create(actor=ActorFactory(name="Alpha"), key="france", name="France", is_alias=False)
    with pytest.raises(IntegrityError, match=refused), transaction.atomic():
        ActorNameKey.objects.create(actor=ActorFactory(name="Beta"), key=key, name="France", is_alias=True)


@pytest.mark.django_db
def test_upsert_keeps_the_keys_in_step():
    """Create, rename, swap a name with an alias, drop an alias, delete: the table follows every change."""

    def stored():
        rows = ActorNameKey.objects.values_list("actor__slug", "key", "name", "is_alias")
        assert all(key in names.name_keys(name) for _, key, name, _ in rows)
        return sorted({(slug, name, is_alias) for slug, _, name, is_alias in rows})

    services.actor_upsert(
        data=services.input_for(Actor, slug="france", name="France", kind="state", aliases=["Paris", "French Republic"])
    )
    assert stored() == [
        ("france", "France", False),
        ("france", "French Republic", True),
        ("france", "Paris", True),
    ]
    services.actor_upsert(
        data=services.input_for(Actor, slug="france", name="French Republic", kind="state", aliases=["France"])
    )
    assert stored() == [("france", "France", True), ("france", "French Republic", False)]
    services.actor_upsert(data=services.input_for(Actor, slug="france", name="FRENCH REPUBLIC", kind="state"))
    assert stored() == [("france", "FRENCH REPUBLIC", False)]
    france = Actor.objects.get(slug="france")
    services.record_delete(record=france, expected_version=france.version)
    assert stored() == []


@pytest.mark.django_db
def test_upsert_refuses_a_rename_onto_another_actors_alias():
    services.actor_upsert(
        data=services.input_for(Actor, slug="united-states", name="United States", kind="state", aliases=["Washington"])
    )
    services.actor_upsert(
        data=services.input_for(Actor, slug="washington-dc", name="Washington, D.C.", kind="government")
    )
    with pytest.raises(services.DuplicateRecord) as caught:
        services.actor_upsert(
            data=services.input_for(Actor, slug="washington-dc", name="W\u0430shington", kind="government")
        )
    assert caught.value.existing.slug == "united-states"
    assert Actor.objects.get(slug="washington-dc").name == "Washington, D.C."
    assert set(ActorNameKey.objects.filter(actor__slug="washington-dc").values_list("name", flat=True)) == {
        "Washington, D.C."
    }


@pytest.mark.django_db
def test_a_lost_race_on_the_index_is_the_same_duplicate(monkeypatch):
    """When the check before writing misses a key another transaction has just stored, the unique index refuses
    the insert; the service answers DuplicateRecord naming the winner, and the transaction is still usable."""
    winner = ActorFactory(slug="france", name="France")
    real_holders = names.holders
    calls = []

    def first_check_misses(keys, *, exclude=None):
        calls.append(keys)
        rows = real_holders(keys, exclude=exclude)
        return rows.none() if len(calls) == 1 else rows

    monkeypatch.setattr(names, "holders", first_check_misses)
    with pytest.raises(services.DuplicateRecord) as caught:
        services.actor_upsert(data=services.input_for(Actor, slug="france-2", name="FRANCE", kind="state"))
    assert caught.value.existing == winner
    assert len(calls) == 2
    assert not Actor.objects.filter(slug="france-2").exists()


@pytest.mark.django_db
def test_keys_rebuild_fills_the_table_and_names_clashes():
    """What the migration runs: every name and alias keyed; clashes between actors stop it, each one named."""
    us = ActorFactory(slug="united-states", name="United States")
    ActorAlias.objects.create(actor=us, name="Washington")
    ActorAlias.objects.create(actor=us, name="UNITED STATES")  # redundant with its own name: the name keeps the key
    ActorNameKey.objects.all().delete()
    assert names.keys_rebuild(Actor, ActorNameKey) == []
    assert sorted(set(ActorNameKey.objects.values_list("name", "is_alias"))) == [
        ("United States", False),
        ("Washington", True),
    ]
    assert ActorNameKey.objects.count() == len({*names.name_keys("United States"), *names.name_keys("Washington")})
    Actor.objects.create(slug="washington-dc", name="W\u0430shington", kind="government")
    assert names.keys_rebuild(Actor, ActorNameKey) == [
        "“W\u0430shington” of actor “washington-dc” reads the same as “Washington” of “united-states”"
    ]
    assert ActorNameKey.objects.filter(actor__slug="washington-dc").count() == 0


@pytest.mark.django_db
def test_the_story_loads_without_clashes():
    """The fixture actors' names and aliases are all told apart: every one has its own key."""
    call_command("load_story", verbosity=0)
    actors = json.loads((Path(settings.BASE_DIR) / "fixtures" / "actors.json").read_text())
    assert Actor.objects.count() == len(actors)
    texts = [(a["slug"], text) for a in actors for text in (a["name"], *a.get("aliases", []))]
    assert set(ActorNameKey.objects.values_list("actor__slug", "name")) == set(texts)
    assert ActorNameKey.objects.count() == sum(len(names.name_keys(text)) for _, text in texts)


# The API ---------------------------------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("spelling", FRANCE_LOOK_ALIKES.values(), ids=FRANCE_LOOK_ALIKES.keys())
def test_api_refuses_a_look_alike_actor_even_forced(editor, spelling):
    ActorFactory(slug="france", name="France")
    body = {"slug": "france-2", "name": spelling, "kind": "state", "force": True}
    body = assert_error(editor.post("/api/v1/actors/", body, format="json"), 409, code="duplicate")
    assert body["errors"] == {"existing": ["actor:france"]}
    assert "the name of existing actor “france” (France)" in body["detail"]
    assert not Actor.objects.filter(slug="france-2").exists()


@pytest.mark.django_db
def test_api_refuses_a_look_alike_alias_and_a_rename(editor):
    ActorFactory(slug="france", name="France")
    ActorAliasFactory(actor=ActorFactory(slug="united-states", name="United States"), name="Washington")
    body = {
        "slug": "usa",
        "name": "U.S.A.",
        "kind": "state",
        "aliases": ["\uff37\uff41\uff53\uff48\uff49\uff4e\uff47ton"],
    }
    assert_error(editor.post("/api/v1/actors/", body, format="json"), 409, contains="an alias of existing actor")
    renamed = editor.patch(
        "/api/v1/actors/france/", {"name": "United\u200b States"}, format="json", HTTP_IF_MATCH='"1"'
    )
    assert_error(renamed, 409, contains="“United\u200b States” reads the same")
    renamed = editor.patch("/api/v1/actors/france/", {"name": "UNITED  STATES"}, format="json", HTTP_IF_MATCH='"1"')
    assert_error(renamed, 409, contains="existing actor “united-states”")
    assert Actor.objects.get(slug="france").name == "France"


@pytest.mark.django_db
def test_api_refuses_an_alias_that_reads_like_the_name(editor):
    body = {"slug": "france", "name": "France", "kind": "state", "aliases": ["Paris", "FR\u0410NCE"]}
    assert_error(
        editor.post("/api/v1/actors/", body, format="json"),
        400,
        fields=["aliases"],
        contains="Alias “FR\u0410NCE” reads the same as the actor's name “France”",
    )
    assert not Actor.objects.exists()


# The admin -------------------------------------------------------------------------------------------------------


@pytest.fixture
def staff_editor(client, db):
    user = User.objects.create_user("staff-editor", password="pw-staff-1", is_staff=True)
    user.groups.add(Group.objects.get(name="editors"))
    client.force_login(user)
    return client


@pytest.mark.parametrize("spelling", FRANCE_LOOK_ALIKES.values(), ids=FRANCE_LOOK_ALIKES.keys())
def test_admin_refuses_a_look_alike_actor(staff_editor, spelling):
    """The real add form, with or without the old "different actor" tick, cannot save a look-alike."""
    ActorFactory(slug="france", name="France")
    form = _actor_form(slug="france-2", name=spelling, kind="state", distinct="on")
    response = staff_editor.post(reverse("admin:events_actor_add"), form)
    assert response.status_code == 200
    page = html.unescape(response.content.decode())
    assert "the name of existing actor “france” (France)" in page
    assert not Actor.objects.filter(slug="france-2").exists()


def _aliases(*aliases: str) -> dict:
    form = _management("aliases", len(aliases))
    for i, alias in enumerate(aliases):
        form[f"aliases-{i}-name"] = alias
    return form


def test_admin_refuses_look_alike_aliases(staff_editor):
    """An alias in the inline that is another actor's name, or reads like the actor's own name, is refused."""
    ActorFactory(slug="france", name="France")
    add = reverse("admin:events_actor_add")
    taken = staff_editor.post(add, {**_actor_form(slug="paris", name="Paris"), **_aliases("Fr\u0430nce")})
    assert taken.status_code == 200
    assert "the name of existing actor “france” (France)" in html.unescape(taken.content.decode())
    own = staff_editor.post(add, {**_actor_form(slug="paris", name="Paris"), **_aliases("PAR\u200bIS")})
    assert own.status_code == 200
    assert "Alias “PAR\u200bIS” reads the same as the actor's name “Paris”" in html.unescape(own.content.decode())
    assert not Actor.objects.filter(slug="paris").exists()
    saved = staff_editor.post(add, {**_actor_form(slug="paris", name="Paris"), **_aliases("City of Light")})
    assert saved.status_code == 302
    assert sorted(set(ActorNameKey.objects.filter(actor__slug="paris").values_list("name", "is_alias"))) == [
        ("City of Light", True),
        ("Paris", False),
    ]


@pytest.mark.django_db
def test_actor_duplicates_match_by_key():
    """The service's list of look-alikes: any key of the name or an alias, other actors only, each actor once."""
    us = ActorFactory(slug="united-states", name="United States")
    ActorAliasFactory(actor=us, name="Washington")
    france = ActorFactory(slug="france", name="France")
    assert services.actor_duplicates(name="\u0395RANCE") == []  # a Greek Epsilon reads as E, not F
    found = services.actor_duplicates(name="Fr\u0430nce", aliases=["WASHINGTON", "Wa\u200bshington"])
    assert found == [france, us]
    assert services.actor_duplicates(name="FRANCE", exclude=france) == []
