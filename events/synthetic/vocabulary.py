"""The synthetic world's fixed parameters and vocabulary: sizes, dates, names, phrases and weights."""

from __future__ import annotations

import datetime

from events.models import (
    Event,
)

PREFIX = "syn-"
# Fixed clock: every created_at/updated_at is an offset from this, never "now".
BASE_TIME = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
DATE_START = datetime.date(2016, 1, 1)
DATE_DAYS = (datetime.date(2025, 12, 31) - DATE_START).days + 1  # about ten years

DEFAULT_ACTORS = 10_000
EVENTS_PER_SOURCE = 50
STATEMENTS_PER_EVENT = 2
PLEDGES_PER_EVENT = 1

# Vocabulary ---------------------------------------------------------------------------------------------------

STEMS = (
    "Val", "Kor", "Mar", "Tal", "Ser", "Bel", "Dor", "Esk", "Fen", "Gal", "Hal", "Ist", "Jor", "Kal", "Lor", "Mir",
    "Nor", "Ost", "Par", "Quel", "Ros", "Sal", "Tor", "Ulm", "Ver", "Wes", "Xan", "Yar", "Zel", "Ard", "Brem", "Cas",
)  # fmt: skip
STATE_ENDINGS = ("oria", "avia", "istan", "enia", "ador", "uria", "onia", "ara", "esh", "ovia")
PLACE_ENDINGS = ("ton", "burg", "ville", "abad", "grad", "port", "haven", "ford", "dale", "mouth", "ia", "os")
PLACE_PREFIXES = ("", "", "", "Port ", "New ", "Upper ", "Lower ", "East ", "West ", "Saint ")
FIRST_NAMES = (
    "Amina", "Boris", "Carla", "Dmitri", "Elena", "Farid", "Greta", "Hassan", "Ines", "Jonas", "Karim", "Lena",
    "Mateo", "Nadia", "Omar", "Petra", "Rafael", "Sofia", "Tomas", "Ulla", "Viktor", "Yasmin", "Zoran", "Aylin",
    "Bruno", "Celine", "Dario", "Emre", "Fatima", "Goran", "Hana", "Ivan", "Jana", "Kemal", "Leila", "Marek",
    "Nora", "Oskar", "Pilar", "Rania", "Samir", "Tariq", "Vera", "Walid", "Ximena", "Yusuf", "Zeynep", "Anders",
    "Beatriz", "Cyril", "Daniela", "Elias", "Frida", "Gideon", "Helga", "Idris", "Julia", "Kofi", "Lucia", "Milan",
)  # fmt: skip
LAST_NAMES = (
    "Abadi", "Berger", "Castell", "Dragan", "Eriksen", "Faure", "Gashi", "Haddad", "Ivanov", "Jansen", "Kaya",
    "Larsen", "Moreau", "Nowak", "Okafor", "Petrov", "Quinn", "Rossi", "Saleh", "Torres", "Uysal", "Varga",
    "Weber", "Yilmaz", "Zaidi", "Almeida", "Brandt", "Cohen", "Dimitrov", "Esposito", "Fischer", "Garcia",
    "Horvat", "Iqbal", "Jovanovic", "Kowalski", "Lindqvist", "Mansour", "Novak", "Olsen", "Popescu", "Rahman",
    "Schmidt", "Tanaka", "Ueda", "Vidal", "Wojcik", "Xu", "Yamamoto", "Zapata", "Aziz", "Bakker", "Costa",
    "Duarte", "Engel", "Ferrari", "Greco", "Hakimi", "Ibrahim", "Jensen", "Khalil", "Lopez", "Meyer", "Nasser",
    "Ortiz", "Perez", "Qureshi", "Romano", "Santos", "Toivonen", "Urban", "Vogel", "Wagner", "Young", "Zimmer",
)  # fmt: skip
PORTFOLIOS = ("Foreign Affairs", "Defence", "Interior", "Justice", "Finance", "Development", "Health", "Energy")
TOPICS = (
    "border monitoring", "police training", "reconstruction funding", "humanitarian access", "prisoner exchange",
    "ceasefire terms", "troop contributions", "disarmament", "electricity supply", "water infrastructure",
    "refugee returns", "customs reform", "demining", "election monitoring", "judicial cooperation",
    "coast guard patrols", "civil administration", "food aid", "medical evacuations", "debt relief",
    "port security", "airspace control", "hostage negotiations", "sanctions relief", "peacekeeping mandate",
)  # fmt: skip
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
VERBS = ("discussed", "negotiated", "reviewed", "agreed on", "rejected", "welcomed", "criticised", "postponed")
QUOTES = (
    "We will not accept foreign troops on our soil",
    "This agreement is a first step, not the last",
    "Our forces stand ready to deploy within weeks",
    "There can be no lasting peace without accountability",
    "We are committed to the reconstruction of every town",
    "The talks were constructive but difficult",
    "Humanitarian access must be guaranteed at all times",
    "We expect the first contingent to arrive before the winter",
    "Nobody should doubt our resolve",
    "The ceasefire is holding, despite serious violations",
    "We will train the police, but we will not command them",
    "Sanctions will remain until the prisoners are released",
)  # fmt: skip
REPORTED = (
    "said {b} would take part in {topic}",
    "rejected any role for {b} in {topic}",
    "called for an international conference on {topic}",
    "said the plan for {topic} was not yet final",
    "described talks with {b} on {topic} as constructive",
    "warned that {topic} could collapse without funding",
)  # fmt: skip
EVENT_TITLES = {
    Event.Type.DIPLOMATIC_MEETING: "{a} and {b} ministers meet in {place}",
    Event.Type.NEGOTIATION: "Talks between {a} and {b} on {topic}",
    Event.Type.RESOLUTION_VOTE: "{a} votes on a resolution on {topic}",
    Event.Type.AGREEMENT: "{a} and {b} sign an agreement on {topic}",
    Event.Type.CEASEFIRE: "Ceasefire declared around {place}",
    Event.Type.CEASEFIRE_VIOLATION: "Ceasefire violation reported near {place}",
    Event.Type.MILITARY_OPERATION: "{a} launches an operation near {place}",
    Event.Type.ATTACK: "Attack on {place} attributed to {a}",
    Event.Type.DEPLOYMENT: "{a} deploys forces to {place}",
    Event.Type.WITHDRAWAL: "{a} withdraws forces from {place}",
    Event.Type.CAPTIVE_RELEASE: "Captives released in {place}",
    Event.Type.ANNOUNCEMENT: "{a} announces plans for {topic}",
    Event.Type.PRESS_CONFERENCE: "{a} holds a press conference on {topic}",
    Event.Type.ESTABLISHMENT: "{a} establishes a mission for {topic}",
    Event.Type.HUMANITARIAN: "Aid convoy reaches {place}",
    Event.Type.OTHER: "{a} and {b} on {topic}",
}
EVENT_TYPE_WEIGHTS = (12, 10, 3, 5, 3, 5, 6, 6, 5, 3, 2, 14, 8, 3, 8, 7)
EVENT_STATUS_WEIGHTS = {"occurred": 80, "ongoing": 5, "scheduled": 12, "cancelled": 3}
ROLES_SECONDARY = ("participant", "participant", "target", "mediator", "subject")
PLEDGE_STATUS_WEIGHTS = {
    "announced": 40, "in_progress": 20, "fulfilled": 10, "partially_fulfilled": 8, "stalled": 8, "broken": 5,
    "withdrawn": 5, "rejected": 4,
}  # fmt: skip
PLEDGE_UNITS = {
    "troops": ("troops", 50, 20_000),
    "police_training": ("police", 20, 3_000),
    "funding": ("usd", 100_000, 2_000_000_000),
    "reconstruction": ("eur", 1_000_000, 500_000_000),
    "humanitarian_aid": ("usd", 50_000, 100_000_000),
    "border_monitoring": ("personnel", 10, 800),
    "security": ("gendarmes", 20, 1_000),
}
MEDIUM_WEIGHTS = {
    "video_statement": 6, "press_conference": 15, "remarks_to_reporters": 15, "interview": 10,
    "written_statement": 12, "speech": 8, "social_media": 14, "meeting": 5, "news_report": 10, "unspecified": 5,
}  # fmt: skip
# kind: (share, parent kinds)
ACTOR_KINDS = {
    "state": 0.02,
    "igo": 0.03,
    "coalition": 0.01,
    "government": 0.15,
    "armed_force": 0.08,
    "armed_group": 0.05,
    "political_org": 0.08,
    "person": 0.45,
    "media": 0.08,
    "civilians": 0.03,
    "other": 0.02,
}
