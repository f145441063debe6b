"""Precision and recall of the proposals engine against gold annotations, set against the targets of
shared/reference/proposals.md. Not a timed test: it reads the texts and prints (and with --write, records in
bench/PROPOSALS.md) what the rules find.

    .venv/bin/python bench/proposals_eval.py [--write]

Two sets, scored the same way and reported apart:

- ``tests/data``: fictional follow-up articles and a paraphrased wire copy, each with a hand-made gold file; the
  engine sees the story's actors (fixtures/actors.json) and no records, as for a new article.
- the two seeds: gold taken from fixtures/ (the statements' quotations and speakers; the sentences they cite
  without a quotation, as reported speech of their speaker; the pledges' sentences and pledgers) and tests/data/seeds.gold.json (dates). A perfect score there
  proves little: the rules were written with those articles in view.

Scoring follows the Gender Gap Tracker's: a gold quotation is found when one proposal's quoted passages cover at
least 80% of its characters; the speaker is right when the proposal names the gold speaker (an actor's slug, or a
new actor by name); a gold quotation without a findable speaker is right when the proposal abstains. A reported
statement or pledge counts when a proposal covers 80% of the gold sentence and names the right speaker or pledger.
Quantities are scored on pledge sentences (value, then value and unit); dates by the span they resolve to.
"""

import argparse
import datetime
import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tracker.settings.test")

import django  # noqa: E402

django.setup()

from events.proposals.actors import KnownActor  # noqa: E402
from events.proposals.engine import is_full_quote, propose  # noqa: E402
from events.proposals.records import SourceDoc  # noqa: E402
from events.quotes import quoted_passages  # noqa: E402

DATA = ROOT / "tests" / "data"
FIXTURES = ROOT / "fixtures"
SEEDS = ROOT / "seeds"
TARGETS = {
    "quote_precision": 0.92,
    "quote_recall": 0.85,
    "speaker_right": 0.90,
    "reported_precision": 0.90,
    "value_f1": 0.92,
    "value_unit_f1": 0.86,
    "dates_right": 0.95,
}


def _json(path: Path):
    return json.loads(path.read_text(encoding="utf-8"))


def actors() -> list[KnownActor]:
    return [KnownActor.from_fixture(a) for a in _json(FIXTURES / "actors.json")]


@dataclass
class Gold:
    name: str
    doc: SourceDoc
    quotes: list[dict] = field(default_factory=list)  # {start, end, speaker}
    reported: list[dict] = field(default_factory=list)  # {start, end, speaker}
    pledges: list[dict] = field(default_factory=list)  # {start, end, pledger, quantity, unit}
    dates: list[dict] = field(default_factory=list)  # {start, end, date, date_end, precision}


def _span(text: str, passage: str, occurrence: int = 1) -> tuple[int, int]:
    position = -1
    for _ in range(occurrence):
        position = text.find(passage, position + 1)
        if position < 0:
            raise ValueError(f"not in the text: {passage!r}")
    return position, position + len(passage)


def data_golds() -> list[Gold]:
    golds = []
    for path in sorted(DATA.glob("*.gold.json")):
        if path.name == "seeds.gold.json":
            continue
        item = _json(path)
        meta = item["source"]
        text = (DATA / item["text"]).read_text(encoding="utf-8")
        doc = SourceDoc(
            meta["slug"], text, datetime.date.fromisoformat(meta["date"]), meta["date_precision"], title=meta["title"]
        )
        gold = Gold(item["text"], doc)
        for q in item["quotes"]:
            gold.quotes.append(dict(zip(("start", "end"), _span(text, q["quote"]), strict=True), speaker=q["speaker"]))
        for r in item["reported"]:
            gold.reported.append(
                dict(zip(("start", "end"), _span(text, r["sentence"]), strict=True), speaker=r["speaker"])
            )
        for p in item["pledges"]:
            span = dict(zip(("start", "end"), _span(text, p["sentence"]), strict=True))
            gold.pledges.append(span | {k: p[k] for k in ("pledger", "quantity", "unit", "approximate")})
        for d in item["dates"]:
            span = dict(zip(("start", "end"), _span(text, d["expression"], d.get("occurrence", 1)), strict=True))
            gold.dates.append(span | {k: d[k] for k in ("date", "date_end", "precision")})
        golds.append(gold)
    return golds


def seed_golds() -> list[Gold]:
    metadata = {m["slug"]: m for m in _json(SEEDS / "sources.json")}
    seed_dates = _json(DATA / "seeds.gold.json")["texts"]
    golds = {}
    for slug, meta in metadata.items():
        text = (SEEDS / meta["seed_file"]).read_text(encoding="utf-8")
        end = datetime.date.fromisoformat(meta["date_end"]) if meta["date_end"] else None
        doc = SourceDoc(
            slug, text, datetime.date.fromisoformat(meta["date"]), meta["date_precision"], end, meta["title"]
        )
        gold = golds[slug] = Gold(meta["seed_file"], doc)
        for d in seed_dates[meta["seed_file"]]["dates"]:
            span = dict(zip(("start", "end"), _span(text, d["expression"], d.get("occurrence", 1)), strict=True))
            gold.dates.append(span | {k: d[k] for k in ("date", "date_end", "precision")})
    seen = set()
    for statement in _json(FIXTURES / "statements.json"):
        for citation in statement["citations"]:
            gold = golds[citation["source"]]
            start, end = _span(gold.doc.text, citation["excerpt"])
            full = [p for p in quoted_passages(citation["excerpt"]) if is_full_quote(p)]
            if statement["quote_type"] == "direct" and full:
                for passage in quoted_passages(citation["excerpt"]):
                    if is_full_quote(passage):
                        q_start = gold.doc.text.index(passage, start)
                        key = (citation["source"], q_start)
                        if key not in seen:
                            seen.add(key)
                            gold.quotes.append(
                                {"start": q_start, "end": q_start + len(passage), "speaker": statement["speaker"]}
                            )
            elif not full:
                # A sentence cited without a quotation of the speaker's: reported speech, whether the fixtures
                # record it alone or as the paraphrase that introduces a quotation (codebook: one record).
                gold.reported.append({"start": start, "end": end, "speaker": statement["speaker"]})
    for pledge in _json(FIXTURES / "pledges.json"):
        for citation in pledge["citations"]:
            gold = golds[citation["source"]]
            start, end = _span(gold.doc.text, citation["excerpt"])
            gold.pledges.append(
                {
                    "start": start,
                    "end": end,
                    "pledger": pledge["pledger"],
                    "quantity": None,
                    "unit": "",
                    "slug": pledge["slug"],
                }
            )
    return list(golds.values())


def _who(ref: dict | None) -> str | None:
    if not ref:
        return None
    return f"new:{ref['new_actor']}" if ref.get("new_actor") else ref.get("slug")


def _covers(a_start: int, a_end: int, b_start: int, b_end: int, share: float = 0.8) -> bool:
    """Whether a_start:a_end covers ``share`` of b_start:b_end."""
    return min(a_end, b_end) - max(a_start, b_start) >= share * (b_end - b_start)


@dataclass
class Tally:
    counts: dict = field(default_factory=dict)

    def add(self, name: str, value: int = 1) -> None:
        self.counts[name] = self.counts.get(name, 0) + value

    def __getitem__(self, name: str) -> int:
        return self.counts.get(name, 0)


def ratio(a: int, b: int) -> float | None:
    return a / b if b else None


def f1(p: float | None, r: float | None) -> float | None:
    return 2 * p * r / (p + r) if p and r else (0.0 if p is not None and r is not None else None)


def score(golds: list[Gold], actor_list: list[KnownActor]) -> tuple[dict, list[str]]:
    t = Tally()
    misses: list[str] = []
    for gold in golds:
        text = gold.doc.text
        proposals = propose(gold.doc, actor_list)
        direct = [p for p in proposals if p.kind == "statement" and p.details.get("quote_type") == "direct"]
        reported = [p for p in proposals if p.kind == "statement" and p.details.get("quote_type") == "reported"]
        pledges = [p for p in proposals if p.kind == "pledge"]
        dates = [p for p in proposals if p.kind == "date"]

        # Direct quotations.
        t.add("quote_gold", len(gold.quotes))
        t.add("quote_proposed", len(direct))
        matched_proposals = set()
        for g in gold.quotes:
            hit = next(
                (p for p in direct if _covers(p.details["quote_start"], p.details["quote_end"], g["start"], g["end"])),
                None,
            )
            if hit is None:
                misses.append(f"{gold.name}: quotation not proposed: {text[g['start'] : g['end']][:70]!r}")
                continue
            matched_proposals.add(hit.id)
            t.add("quote_found")
            said = _who(hit.details.get("speaker"))
            if g["speaker"] is None:
                t.add("speaker_none_gold")
                t.add("speaker_right" if said is None else "speaker_wrong")
                if said is not None:
                    misses.append(f"{gold.name}: speaker given where the text names none: {said}")
            elif said is None:
                t.add("speaker_abstained")
                misses.append(f"{gold.name}: no speaker for {text[g['start'] : g['end']][:50]!r} (gold {g['speaker']})")
            elif said == g["speaker"]:
                t.add("speaker_right")
                t.add("speaker_attributed_right")
            else:
                t.add("speaker_wrong")
                misses.append(
                    f"{gold.name}: speaker {said} for {text[g['start'] : g['end']][:50]!r} (gold {g['speaker']})"
                )
        t.add("quote_proposed_matched", len(matched_proposals))
        for p in direct:
            if p.id not in matched_proposals:
                misses.append(f"{gold.name}: quotation proposed that the gold lacks: {p.excerpt[:70]!r}")

        # Reported statements.
        t.add("reported_gold", len(gold.reported))
        t.add("reported_proposed", len(reported))
        right = set()
        for g in gold.reported:
            hit = next(
                (
                    p
                    for p in reported
                    if _covers(p.start, p.end, g["start"], g["end"]) and _who(p.details["speaker"]) == g["speaker"]
                ),
                None,
            )
            if hit is None:
                misses.append(
                    f"{gold.name}: reported statement missed: {text[g['start'] : g['end']][:70]!r} ({g['speaker']})"
                )
            else:
                right.add(hit.id)
        t.add("reported_right", len(right))
        for p in reported:
            if p.id not in right:
                misses.append(
                    f"{gold.name}: reported statement proposed that the gold lacks or with another speaker: "
                    f"{p.excerpt[:60]!r} ({_who(p.details['speaker'])})"
                )

        # Pledges and their quantities.
        t.add("pledge_gold", len({g.get("slug", i) for i, g in enumerate(gold.pledges)}))
        t.add("pledge_proposed", len(pledges))
        found_pledges, right_proposals = set(), set()
        for i, g in enumerate(gold.pledges):
            hits = [
                p
                for p in pledges
                if _covers(p.start, p.end, g["start"], g["end"]) and _who(p.details["pledger"]) == g["pledger"]
            ]
            if hits:
                found_pledges.add(g.get("slug", i))
                right_proposals |= {p.id for p in hits}
                quantity = hits[0].details.get("quantity") or {}
                if g["quantity"] is not None and quantity:
                    t.add("value_tp", quantity.get("value") == g["quantity"])
                    t.add("value_unit_tp", (quantity.get("value"), quantity.get("unit")) == (g["quantity"], g["unit"]))
            else:
                misses.append(f"{gold.name}: pledge missed: {text[g['start'] : g['end']][:70]!r} ({g['pledger']})")
            if "slug" not in g:
                t.add("value_gold", g["quantity"] is not None)
        if not any("slug" in g for g in gold.pledges):
            t.add("value_predicted", sum(1 for p in pledges if p.details.get("quantity")))
        t.add("pledge_found", len(found_pledges))
        t.add("pledge_proposed_right", len(right_proposals))
        for p in pledges:
            if p.id not in right_proposals:
                misses.append(
                    f"{gold.name}: pledge proposed that the gold lacks: {p.excerpt[:60]!r} ({_who(p.details['pledger'])})"
                )

        # Dates.
        t.add("dates_gold", len(gold.dates))
        for g in gold.dates:
            hit = next((p for p in dates if p.start <= g["start"] and g["end"] <= p.end), None)
            if hit is None:
                t.add("dates_abstained")
                misses.append(f"{gold.name}: date not resolved: {text[g['start'] : g['end']]!r}")
                continue
            got = (hit.details["date"], hit.details["date_end"], hit.details["date_precision"])
            if got == (g["date"], g["date_end"], g["precision"]):
                t.add("dates_right")
            else:
                t.add("dates_wrong")
                misses.append(
                    f"{gold.name}: {text[g['start'] : g['end']]!r} resolved to {got}, gold {g['date']}..{g['date_end']}"
                )
    return summarise(t), misses


def summarise(t: Tally) -> dict:
    value_p, value_r = ratio(t["value_tp"], t["value_predicted"]), ratio(t["value_tp"], t["value_gold"])
    unit_p, unit_r = ratio(t["value_unit_tp"], t["value_predicted"]), ratio(t["value_unit_tp"], t["value_gold"])
    found = t["quote_found"]
    return {
        "quote_precision": ratio(t["quote_proposed_matched"], t["quote_proposed"]),
        "quote_recall": ratio(found, t["quote_gold"]),
        "speaker_right": ratio(t["speaker_right"], found),
        "speaker_right_when_attributed": ratio(
            t["speaker_attributed_right"], found - t["speaker_abstained"] - t["speaker_none_gold"]
        ),
        "speaker_abstained": ratio(t["speaker_abstained"], found),
        "reported_precision": ratio(t["reported_right"], t["reported_proposed"]),
        "reported_recall": ratio(t["reported_right"], t["reported_gold"]),
        "pledge_precision": ratio(t["pledge_proposed_right"], t["pledge_proposed"]),
        "pledge_recall": ratio(t["pledge_found"], t["pledge_gold"]),
        "value_f1": f1(value_p, value_r),
        "value_unit_f1": f1(unit_p, unit_r),
        "dates_right": ratio(t["dates_right"], t["dates_gold"]),
        "dates_abstained": ratio(t["dates_abstained"], t["dates_gold"]),
        "counts": dict(sorted(t.counts.items())),
    }


ROWS = (
    ("quote_precision", "Direct quotes: precision (≥ 80% coverage)"),
    ("quote_recall", "Direct quotes: recall"),
    ("speaker_right", "Speaker right, of quotes found (abstaining counts as wrong)"),
    ("speaker_right_when_attributed", "Speaker right, of quotes the engine attributed"),
    ("speaker_abstained", "Quotes found whose speaker the engine left open"),
    ("reported_precision", "Reported statements: precision (sentence and speaker)"),
    ("reported_recall", "Reported statements: recall"),
    ("pledge_precision", "Pledges: precision (sentence and pledger)"),
    ("pledge_recall", "Pledges: recall"),
    ("value_f1", "Quantities: value F1"),
    ("value_unit_f1", "Quantities: value + unit F1"),
    ("dates_right", "Dates: resolved to the right span"),
    ("dates_abstained", "Dates: left unresolved"),
)


def _cell(value) -> str:
    return "n/a" if value is None else f"{value:.2f}"


def table(results: dict[str, dict]) -> list[str]:
    names = list(results)
    lines = [f"| measure | {' | '.join(names)} | target |", f"|---|{'---|' * len(names)}---|"]
    for key, label in ROWS:
        target = TARGETS.get(key)
        cells = " | ".join(_cell(results[n][key]) for n in names)
        lines.append(f"| {label} | {cells} | {'≥ ' + format(target, '.2f') if target else ''} |")
    sizes = " | ".join(
        "{quote_gold} quotes, {reported_gold} statements, {pledge_gold} pledges, {dates_gold} dates".format(
            **{k: results[n]["counts"].get(k, 0) for k in ("quote_gold", "reported_gold", "pledge_gold", "dates_gold")}
        )
        for n in names
    )
    lines.append(f"| Gold items (small samples: one miss moves a rate by 5 to 15 points) | {sizes} | |")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--write", action="store_true", help="record the results in bench/PROPOSALS.md")
    parser.add_argument("--misses", action="store_true", help="list every miss")
    args = parser.parse_args()
    actor_list = actors()
    own, own_misses = score(data_golds(), actor_list)
    seeds, seed_misses = score(seed_golds(), actor_list)
    results = {"tests/data (own)": own, "seeds (fixtures)": seeds}
    lines = table(results)
    print("\n".join(lines))
    print("\ncounts:", json.dumps({n: r["counts"] for n, r in results.items()}, indent=1))
    misses = [*own_misses, *seed_misses]
    if args.misses:
        print("\n" + "\n".join(misses))
    if args.write:
        body = [
            "# Proposals: precision and recall",
            "",
            "Written by `bench/proposals_eval.py --write` (see its docstring for the scoring). Targets from "
            "`shared/reference/proposals.md`. The engine sees the story's actors and no records, as for a new "
            "article.",
            "",
            *lines,
            "",
            "## What was missed or wrong",
            "",
            *(f"- {m}" for m in misses),
            "",
        ]
        (ROOT / "bench" / "PROPOSALS.md").write_text("\n".join(body), encoding="utf-8")


if __name__ == "__main__":
    main()
