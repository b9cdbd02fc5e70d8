"""`seed.py bulk`: many issues with journals, fast, through Rails models.

Builds a JSON spec (subjects, trackers, descriptions, public notes) in
Python from the same templates as the REST seed, or from redmine.org's
changelog (--from-jsonl), and hands it to bulk.rb via `redmine.sh runner`.
"""

from __future__ import annotations

import argparse
import itertools
import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import seed_content as content
from seed import HERE, run_runner

TRACKERS = {"Defect": "Bug", "Feature": "Feature", "Patch": "Patch"}
NOTE_TEMPLATES = [
    "Reproduced on {v}; the problem is in {c}.",
    "Root cause: {cause}",
    "Proposed fix: {fix}",
    "Patch attached for review; tests pass on SQLite and PostgreSQL.",
    "Committed in r{r}. Thanks for the report.",
    "Merged into the {v} branch.",
]


def _notes(n: int, count: int, component: str) -> list[str]:
    sym = content.SYMPTOMS[n % len(content.SYMPTOMS)]
    values = {
        "v": f"{4 + n % 2}.{n % 4}",
        "c": component,
        "cause": sym[2].format(c=component),
        "fix": sym[3],
        "r": 20000 + n,
    }
    return [NOTE_TEMPLATES[i % len(NOTE_TEMPLATES)].format(**values) for i in range(count)]


def from_templates(count: int, journals: int) -> list[dict]:
    components = [c for p in content.PROJECTS for c in p[5]]
    combos = itertools.cycle(itertools.product(components, content.SYMPTOMS))
    # Past creation times, spaced so each issue's journals (one an hour) end
    # before the next issue starts.
    start = datetime.now(UTC) - timedelta(hours=count * (journals + 2))
    rows = []
    for n in range(count):
        c, sym = next(combos)
        rows.append(
            {
                "subject": sym[0].format(c=c, t=content.TRIGGERS[n % 6]) + f" (case {n + 1})",
                "tracker": "Bug",
                "description": f"{sym[1]}\n\nSeen with {c}.",
                "status": content.STATUS_CYCLE[n % 20],
                "created_on": (start + timedelta(hours=n * (journals + 2))).isoformat(),
                "notes": _notes(n, journals, c),
            }
        )
    return rows


def from_jsonl(path: Path, count: int | None, journals: int) -> list[dict]:
    rows = []
    with path.open() as lines:
        for n, line in enumerate(lines):
            if count is not None and n >= count:
                break
            item = json.loads(line)
            category = item.get("category")
            rows.append(
                {
                    "subject": item["subject"],
                    "tracker": TRACKERS.get(item["tracker"], item["tracker"]),
                    "description": (
                        f"Redmine.org #{item['id']}\n\n{item['subject']}.\n\n"
                        f"Category: {category or 'none'}. Fixed in {item['fixed_version']} "
                        f"(released {item['released_on']})."
                    ),
                    "status": "Closed",
                    "category": category,
                    "version": item["fixed_version"],
                    "version_date": item["released_on"],
                    "created_on": f"{item['released_on']}T09:00:00Z",
                    "upstream_id": item["id"],
                    "notes": _notes(item["id"], journals, category or "Redmine"),
                }
            )
    return rows


def main_bulk(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="seed.py bulk", description=__doc__)
    parser.add_argument("--dir", required=True, help="instance DIR of redmine.sh start")
    parser.add_argument("--issues", type=int, help="issue count (default: all of --from-jsonl)")
    parser.add_argument("--journals-per-issue", type=int, default=3)
    parser.add_argument("--from-jsonl", type=Path)
    parser.add_argument("--project", default="bench", help="project identifier (made if missing)")
    parser.add_argument("--mapping", type=Path, help="mapping file (default DIR/bulk-mapping.json)")
    args = parser.parse_args(argv)
    if args.issues is None and args.from_jsonl is None:
        parser.error("--issues is required without --from-jsonl")
    instance = Path(args.dir).resolve()
    if not (instance / "db.sqlite3").is_file():
        parser.error(f"{instance} is not an instance DIR (run redmine.sh start first)")
    started = time.monotonic()
    if args.from_jsonl:
        rows = from_jsonl(args.from_jsonl, args.issues, args.journals_per_issue)
    else:
        rows = from_templates(args.issues, args.journals_per_issue)
    spec = {"project": {"identifier": args.project, "name": args.project.title()}, "issues": rows}
    spec_path = instance / "bulk-spec.json"
    out_path = instance / "bulk-result.json"
    spec_path.write_text(json.dumps(spec))
    # The custom field "Redmine.org ID" is created alongside the seed's fields.
    run_runner(instance, HERE / "custom_fields.rb", str(instance / "custom-fields.json"))
    run_runner(instance, HERE / "bulk.rb", str(spec_path), str(out_path))
    result = json.loads(out_path.read_text())
    mapping_path = args.mapping or instance / "bulk-mapping.json"
    mapping_path.write_text(json.dumps(result.pop("mapping"), indent=0, sort_keys=True))
    result.update(mapping=str(mapping_path), total_seconds=round(time.monotonic() - started, 1))
    print(json.dumps(result, indent=2))
    return 0
