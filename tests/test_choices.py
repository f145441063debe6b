"""A wrong choice lists the valid ones and suggests the closest, in filters and in write bodies alike."""

import pytest

from events.api.choices import closest, invalid_choice_message
from events.models import Event, Pledge

pytestmark = pytest.mark.django_db
API = "/api/v1"
CATEGORIES = ", ".join(Pledge.Category.values)


def _problem(response, parameter: str) -> str:
    assert response.status_code == 400, response.content
    body = response.json()
    assert response["Content-Type"] == "application/problem+json"
    assert (body["type"], body["status"], body["code"]) == ("about:blank", 400, "invalid")
    [message] = body["errors"][parameter]
    return message


@pytest.mark.parametrize(
    ("value", "meant"),
    [
        ("police-training", "police_training"),
        ("Police Training", "police_training"),
        ("polce_trainng", "police_training"),
    ],
)
def test_a_near_miss_in_a_filter_suggests_the_choice(api_client, world, value, meant):
    message = _problem(api_client.get(f"{API}/pledges/", {"category": value}), "category")
    assert message == f"“{value}” is not a valid value. Did you mean `{meant}`? Valid values: {CATEGORIES}."


def test_a_wrong_choice_lists_the_valid_ones_without_guessing(api_client, world):
    message = _problem(api_client.get(f"{API}/events/?event_type=diplomatic_meeting,zzz"), "event_type")
    assert message == f"“zzz” is not a valid value. Valid values: {', '.join(Event.Type.values)}."
    message = _problem(api_client.get(f"{API}/pledges/?status=anounced"), "status")
    assert message.startswith("“anounced” is not a valid value. Did you mean `announced`?")


def test_a_wrong_country_suggests_without_listing_250_codes(api_client, world):
    message = _problem(api_client.get(f"{API}/events/?country=XX"), "country")
    assert message.startswith("“XX” is not a valid code.")
    assert "Valid" not in message


def test_a_wrong_choice_in_a_write_body_suggests_the_choice(editor, world):
    body = {
        "title": "France offers gendarmes",
        "category": "police-training",
        "pledger": "france",
        "date": "2025-11-20",
        "citations": [{"source": "other-article", "excerpt": "Troops will deploy."}],
    }
    message = _problem(editor.post(f"{API}/pledges/", body, format="json"), "category")
    assert (
        message
        == f"“police-training” is not a valid value. Did you mean `police_training`? Valid values: {CATEGORIES}."
    )
    assert not Pledge.objects.filter(title="France offers gendarmes").exists()


def test_a_wrong_role_in_a_nested_participant_suggests_the_choice(editor, world):
    body = {
        "title": "A meeting",
        "event_type": "diplomatic_meeting",
        "date": "2025-11-20",
        "participants": [{"actor": "france", "role": "hots"}],
        "citations": [{"source": "other-article", "excerpt": "Troops will deploy."}],
    }
    message = _problem(editor.post(f"{API}/events/", body, format="json"), "participants.0.role")
    assert message.startswith("“hots” is not a valid value. Did you mean `host`?")


def test_closest_needs_a_real_resemblance():
    assert closest("troop", ["troops", "police_training"]) == "troops"
    assert closest("xyz", ["troops", "police_training"]) is None
    assert invalid_choice_message("a%b", ["x"]) == "“a%b” is not a valid value. Valid values: x."
