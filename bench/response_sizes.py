"""Response sizes of the default list pages, before and after, in one run.

Each tree (the working tree, and with --before REV a temporary `git worktree` at that revision) gets its own
SQLite database in a temporary directory, migrated and loaded with the story (`load_story`), and its list pages are
requested in-process through Django's test client: the bytes of each body as served, and gzip's size of it for
reference. With the working tree's `fields=` (sparse fields), the slim pages an analyst would ask for are measured
too.

    .venv/bin/python bench/response_sizes.py --before c7a3b3b            # print the table
    .venv/bin/python bench/response_sizes.py --before c7a3b3b --write    # and put it in bench/RESULTS.md

--write replaces the section between the markers below in bench/RESULTS.md (appended when missing), so that the
rest of the report, written by `make bench`, is kept.
"""

import argparse
import datetime
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BEGIN, END = "<!-- response-sizes: begin -->", "<!-- response-sizes: end -->"

# The default page of each list, and what a client that needs less asks for.
PAGES = [
    ("sources", "/api/v1/sources/", "slug,title,publisher,date"),
    ("actors", "/api/v1/actors/", "slug,name,kind,country"),
    ("events", "/api/v1/events/", "slug,title,event_type,date,participants"),
    ("pledges", "/api/v1/pledges/", "slug,title,pledger,quantity,unit,status"),
    ("statements", "/api/v1/statements/", "slug,speaker,text,date,stance"),
    ("timeline", "/api/v1/timeline/", "type,slug,date,title"),
]

# Run inside each tree's `manage.py shell`: the sizes as JSON on the last line of output.
MEASURE = """
import gzip, json
from django.test import Client
client = Client(HTTP_HOST="127.0.0.1")
out = {}
for name, path, fields in PAGES:
    for variant, url in (("default", path), ("fields", f"{path}?fields={fields}")):
        response = client.get(url)
        if response.status_code != 200:
            out[f"{name}:{variant}"] = None
            continue
        body = response.content
        count = len(json.loads(body).get("results", []))
        out[f"{name}:{variant}"] = [len(body), len(gzip.compress(body, 6)), count]
print("SIZES " + json.dumps(out))
"""


def measure(tree: Path, work: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_"))}
    env |= {"DATABASE_URL": f"sqlite:///{work / 'sizes.sqlite3'}", "DJANGO_SETTINGS_MODULE": "tracker.settings.local"}
    python = str(ROOT / ".venv" / "bin" / "python")
    for command in (["migrate", "--noinput", "-v0"], ["load_story", "-v0"]):
        subprocess.run([python, "manage.py", *command], cwd=tree, env=env, check=True, capture_output=True)
    code = f"PAGES = {PAGES!r}\n{MEASURE}"
    done = subprocess.run(
        [python, "manage.py", "shell", "-c", code], cwd=tree, env=env, check=True, capture_output=True, text=True
    )
    line = next(line for line in reversed(done.stdout.splitlines()) if line.startswith("SIZES "))
    return json.loads(line.removeprefix("SIZES "))


def kb(size: int | None) -> str:
    return "n/a" if size is None else f"{size / 1024:.1f} KB"


def table(before_rev: str, before: dict, after: dict, after_rev: str) -> str:
    lines = [
        f"Written by `bench/response_sizes.py --before {before_rev} --write` on "
        f"{datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC: the story loaded into SQLite at each revision, "
        "each list's default page (page size 20) requested in-process. gzip (level 6) is for reference: the API "
        "does not compress (a proxy in front may).",
        "",
        f"| page | records | before ({before_rev}) | after ({after_rev}) | gzip after | after, with `fields=` | "
        "`fields=` asked |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, _path, fields in PAGES:
        old, new, slim = before.get(f"{name}:default"), after.get(f"{name}:default"), after.get(f"{name}:fields")
        lines.append(
            f"| {name} | {new[2] if new else 'n/a'} | {kb(old and old[0])} | {kb(new and new[0])} | "
            f"{kb(new and new[1])} | {kb(slim and slim[0])} | `{fields}` |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--before", required=True, help="The revision to compare with (e.g. the last release).")
    parser.add_argument("--write", action="store_true", help="Put the table in bench/RESULTS.md.")
    args = parser.parse_args()
    revision = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout.strip()
    with tempfile.TemporaryDirectory() as temporary:
        work = Path(temporary)
        old_tree = work / "before"
        subprocess.run(["git", "worktree", "add", "--detach", "-q", str(old_tree), args.before], cwd=ROOT, check=True)
        try:
            (work / "b").mkdir()
            (work / "a").mkdir()
            os.symlink(ROOT / ".venv", old_tree / ".venv")
            before = measure(old_tree, work / "b")
            after = measure(ROOT, work / "a")
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(old_tree)], cwd=ROOT, check=False)
    report = table(args.before, before, after, f"{revision}, working tree")
    print(report)
    if args.write:
        results = ROOT / "bench" / "RESULTS.md"
        text = results.read_text(encoding="utf-8")
        section = f"{BEGIN}\n## Response sizes\n\n{report}\n{END}"
        if BEGIN in text and END in text:
            text = text[: text.index(BEGIN)] + section + text[text.index(END) + len(END) :]
        else:
            text = text.rstrip("\n") + "\n\n" + section + "\n"
        results.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
