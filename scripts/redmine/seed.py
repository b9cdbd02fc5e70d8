#!/usr/bin/env python3
"""Seed a throwaway Redmine (started by redmine.sh) with deterministic content.

REST seed (the supported case: a fresh instance)::

    python scripts/redmine/seed.py --api-key-file DIR/env [--summary FILE]
    python scripts/redmine/seed.py --base-url URL --api-key-file KEYFILE --dir DIR

The key file is DIR/env as written by `redmine.sh start` (REDMINE_BASE_URL,
REDMINE_API_KEY, REDMINE_DIR), or a file holding only the key. Without
--api-key-file, REDMINE_BASE_URL and REDMINE_API_KEY are read from the
environment. The instance DIR (from --dir or REDMINE_DIR) is needed to create
the issue custom fields, which Redmine 5.0's REST API cannot create. Prints a
JSON summary to stdout. The API key is never printed.

Bulk mode for benchmarks (Rails models, no REST)::

    python scripts/redmine/seed.py bulk --dir DIR --issues N --journals-per-issue J \
        [--from-jsonl ../shared/data/redmine-changelog-issues.jsonl] [--mapping FILE]

With --from-jsonl, subjects and trackers come from the file (Defect -> Bug;
Patch gets a tracker of its own), and each redmine.org id is stored in the
"Redmine.org ID" custom field and as "Redmine.org #ID" in the description.
The mapping file (JSON {redmine.org id: local issue id}) path is printed.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import seed_content as content  # noqa: E402

REDMINE_SH = HERE / "redmine.sh"


class SeedError(RuntimeError):
    """A Redmine request or runner call failed; the message never holds the key."""


def read_env_file(path: Path) -> dict[str, str]:
    """Parse a shell-format KEY=VALUE file; a file with a bare key yields it as API key."""
    text = path.read_text().strip()
    if "=" not in text:
        return {"REDMINE_API_KEY": text}
    values = {}
    for line in text.splitlines():
        name, sep, value = line.partition("=")
        if sep and not line.lstrip().startswith("#"):
            values[name.strip()] = value.strip().strip("'\"")
    return values


def run_runner(instance_dir: Path, script: Path, *args: str) -> None:
    """Run a Ruby file with `rails runner` against the instance's database."""
    cmd = [str(REDMINE_SH), "runner", str(instance_dir), str(script), *args]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode:
        lines = (proc.stdout + proc.stderr).splitlines()
        tail = "\n".join([*lines[:5], "...", *lines[-10:]] if len(lines) > 15 else lines)
        raise SeedError(f"{script.name} failed ({proc.returncode}):\n{tail}")


class Api:
    """Minimal REST client; `user` impersonates via X-Redmine-Switch-User (admin key)."""

    def __init__(self, base_url: str, api_key: str):
        self.client = httpx.Client(
            base_url=base_url,
            headers={"X-Redmine-API-Key": api_key},
            timeout=httpx.Timeout(60.0),
        )

    def call(self, method: str, path: str, *, user: str | None = None, **kwargs):
        headers = kwargs.pop("headers", {})
        if user and user != "admin":
            headers["X-Redmine-Switch-User"] = user
        resp = self.client.request(method, path, headers=headers, **kwargs)
        if resp.status_code >= 400:
            raise SeedError(f"{method} {path} -> {resp.status_code}: {resp.text[:500]}")
        return resp.json() if resp.content.strip() else None

    def get(self, path: str, **params):
        return self.call("GET", path, params=params)

    def total(self, path: str, **params) -> int:
        return self.get(path, limit=1, **params)["total_count"]


class Seeder:
    def __init__(self, api: Api, instance_dir: Path | None):
        self.api = api
        self.dir = instance_dir
        self.ids: dict[str, int] = {}  # issue key -> id
        self.users: dict[str, int] = {"admin": 1}

    def lookups(self) -> None:
        get = self.api.get
        self.trackers = {t["name"]: t["id"] for t in get("/trackers.json")["trackers"]}
        self.statuses = {s["name"]: s["id"] for s in get("/issue_statuses.json")["issue_statuses"]}
        prios = get("/enumerations/issue_priorities.json")["issue_priorities"]
        self.priorities = {p["name"]: p["id"] for p in prios}
        self.roles = {r["name"]: r["id"] for r in get("/roles.json")["roles"]}

    def custom_fields(self) -> dict[str, int]:
        if self.dir is not None:
            with tempfile.NamedTemporaryFile("r", suffix=".json") as out:
                run_runner(self.dir, HERE / "custom_fields.rb", out.name)
                self.cf = json.loads(Path(out.name).read_text())
        else:  # an instance seeded before: find the fields by name
            fields = self.api.get("/custom_fields.json")["custom_fields"]
            self.cf = {f["name"]: f["id"] for f in fields if f["customized_type"] == "issue"}
        missing = {"Customer impact", "Affected version"} - set(self.cf)
        if missing:
            raise SeedError(f"custom fields {sorted(missing)} missing: pass --dir DIR")
        return self.cf

    def create_users(self) -> None:
        for login, first, last, _role in content.USERS:
            body = {
                "user": {
                    "login": login,
                    "firstname": first,
                    "lastname": last,
                    "mail": f"{login}@example.test",
                    "generate_password": True,
                    "mail_notification": "none",
                }
            }
            self.users[login] = self.api.call("POST", "/users.json", json=body)["user"]["id"]

    def create_projects(self) -> dict[str, int]:
        self.projects: dict[str, int] = {}
        roles = {login: role for login, _f, _l, role in content.USERS}
        for ident, name, parent, public, modules, _c, _n in content.PROJECTS:
            body = {
                "name": name,
                "identifier": ident,
                "description": f"{name}: seeded by rrag for development and tests.",
                "is_public": public,
                "enabled_module_names": modules,
                "tracker_ids": list(self.trackers.values()),
            }
            if parent:
                body["parent_id"] = self.projects[parent]
            project = self.api.call("POST", "/projects.json", json={"project": body})["project"]
            self.projects[ident] = project["id"]
            for login in content.MEMBERSHIPS[ident]:
                member = {"user_id": self.users[login], "role_ids": [self.roles[roles[login]]]}
                self.api.call(
                    "POST", f"/projects/{ident}/memberships.json", json={"membership": member}
                )
        return self.projects

    def create_issue(self, spec: content.IssueSpec) -> int:
        body = {
            "project_id": self.projects[spec.project],
            "tracker_id": self.trackers[spec.tracker],
            "subject": spec.subject,
            "description": spec.description,
            "priority_id": self.priorities[spec.priority],
            "is_private": spec.is_private,
            "custom_fields": [
                {"id": self.cf["Customer impact"], "value": spec.impact},
                {"id": self.cf["Affected version"], "value": spec.affected_version},
            ],
        }
        issue = self.api.call("POST", "/issues.json", user=spec.author, json={"issue": body})
        self.ids[spec.key] = issue["issue"]["id"]
        return self.ids[spec.key]

    def step_body(self, step: content.Step) -> dict:
        body: dict = {}
        if step.notes:
            body["notes"] = step.notes
            body["private_notes"] = step.private
        for name, value in step.fields.items():
            if name == "status":
                body["status_id"] = self.statuses[value]
            elif name == "assigned_to":
                body["assigned_to_id"] = self.users[value]
            elif name == "priority":
                body["priority_id"] = self.priorities[value]
            else:
                body[name] = value
        return body

    def apply_steps(self, spec: content.IssueSpec) -> None:
        issue_id = self.ids[spec.key]
        for step in spec.steps:
            self.api.call(
                "PUT",
                f"/issues/{issue_id}.json",
                user=step.user,
                json={"issue": self.step_body(step)},
            )

    def relations(self, specs: list[content.IssueSpec]) -> list[list[int]]:
        pairs = []
        for spec in specs:
            if spec.duplicate_of:
                dup, orig = self.ids[spec.key], self.ids[spec.duplicate_of]
                rel = {"issue_to_id": orig, "relation_type": "duplicates"}
                self.api.call("POST", f"/issues/{dup}/relations.json", json={"relation": rel})
                pairs.append([dup, orig])
        for a, b in (("atlas-2", "atlas-9"), ("atlas-mobile-1", "atlas-4")):
            rel = {"issue_to_id": self.ids[b], "relation_type": "relates"}
            self.api.call("POST", f"/issues/{self.ids[a]}/relations.json", json={"relation": rel})
        return pairs

    def upload(self, filename: str, data: bytes) -> dict:
        token = self.api.call(
            "POST",
            "/uploads.json",
            params={"filename": filename},
            content=data,
            headers={"Content-Type": "application/octet-stream"},
        )["upload"]["token"]
        return {"token": token, "filename": filename, "content_type": "text/plain"}

    def attachments(self, specs: list[content.IssueSpec]) -> list[dict]:
        target = next(
            s for s in specs if s.subject.startswith("LDAP authentication fails with timeout")
        )
        upload = self.upload("ldap-timeout.log", content.LDAP_LOG.encode())
        upload["description"] = "LDAP log from dc1 during the outage"
        issue_id = self.ids[target.key]
        body = {"notes": "Attached the LDAP log from dc1.", "uploads": [upload]}
        self.api.call("PUT", f"/issues/{issue_id}.json", json={"issue": body})
        issue = self.api.get(f"/issues/{issue_id}.json", include="attachments")["issue"]
        return [
            {"issue_id": issue_id, "attachment_id": a["id"], "filename": a["filename"]}
            for a in issue["attachments"]
        ]

    def wiki(self) -> dict[str, list[str]]:
        titles: dict[str, list[str]] = {}
        for ident, pages in content.WIKI.items():
            for title, parent, text in pages:
                page = {"text": text, "comments": "Seeded"}
                if parent:
                    page["parent_title"] = parent
                self.api.call(
                    "PUT", f"/projects/{ident}/wiki/{title}.json", json={"wiki_page": page}
                )
                titles.setdefault(ident, []).append(title)
        # A second version of one page, with a diagram attached.
        upload = self.upload("architecture.txt", b"LB -> app servers -> job queue -> storage\n")
        text = content.WIKI["atlas"][2][2] + "\n\nh2. Diagram\n\nSee attachment:architecture.txt"
        page = {"text": text, "comments": "Add diagram", "uploads": [upload]}
        self.api.call("PUT", "/projects/atlas/wiki/Architecture.json", json={"wiki_page": page})
        return titles

    def private_note_journals(self, specs: list[content.IssueSpec]) -> list[int]:
        ids = []
        for spec in specs:
            if any(step.private for step in spec.steps):
                issue_id = self.ids[spec.key]
                issue = self.api.get(f"/issues/{issue_id}.json", include="journals")["issue"]
                ids += [j["id"] for j in issue["journals"] if j.get("private_notes")]
        return sorted(ids)

    def verify(self, specs: list[content.IssueSpec]) -> dict:
        """Counts read back over REST; fails when Redmine silently ignored a change."""
        counts: dict = {}
        for ident, _name, parent, public, modules, _c, _n in content.PROJECTS:
            pid = self.projects[ident]
            counts[ident] = {
                "id": pid,
                "is_public": public,
                "parent": parent,
                "modules": modules,
                "issues": self.api.total(
                    "/issues.json", project_id=pid, subproject_id="!*", status_id="*"
                ),
                "open": self.api.total("/issues.json", project_id=pid, subproject_id="!*"),
            }
        by_status = {
            name: self.api.total("/issues.json", status_id=sid)
            for name, sid in self.statuses.items()
        }
        expected = {name: sum(s.status == name for s in specs) for name in self.statuses}
        if by_status != expected:
            raise SeedError(f"statuses after seeding {by_status} != expected {expected}")
        return {"projects": counts, "issues_by_status": by_status}

    def run(self) -> dict:
        started = time.monotonic()
        specs = content.issues()
        self.lookups()
        self.custom_fields()
        self.create_users()
        self.create_projects()
        # Writes stay sequential: issue ids follow the spec order, and Redmine
        # 5.0 (Rails 6.1) on SQLite answers concurrent writes with 500
        # "SQLite3::BusyException: database is locked" (deferred transactions
        # that both try to upgrade to a write lock).
        for spec in specs:
            self.create_issue(spec)
        for spec in specs:
            self.apply_steps(spec)
        duplicates = self.relations(specs)
        attachments = self.attachments(specs)
        wiki = self.wiki()
        summary = self.verify(specs)
        by_tracker: dict[str, int] = {}
        for spec in specs:
            by_tracker[spec.tracker] = by_tracker.get(spec.tracker, 0) + 1
        summary.update(
            base_url=str(self.api.client.base_url).rstrip("/"),
            issues_total=len(specs),
            issue_id_range=[min(self.ids.values()), max(self.ids.values())],
            issues_by_tracker=by_tracker,
            private_projects=[p[0] for p in content.PROJECTS if not p[3]],
            subprojects={p[0]: p[2] for p in content.PROJECTS if p[2]},
            private_issue_ids=[self.ids[s.key] for s in specs if s.is_private],
            private_note_journal_ids=self.private_note_journals(specs),
            description_change_issue_ids=[
                self.ids[s.key]
                for s in specs
                if any("description" in step.fields for step in s.steps)
            ],
            duplicates=duplicates,
            attachments=attachments,
            custom_fields=self.cf,
            users={k: v for k, v in self.users.items() if k != "admin"},
            wiki=wiki,
            wiki_parents={
                ident: {t: p for t, p, _ in pages if p} for ident, pages in content.WIKI.items()
            },
            seconds=round(time.monotonic() - started, 1),
        )
        return summary


def connection(args) -> tuple[str, str, Path | None]:
    env: dict[str, str] = {}
    if args.api_key_file:
        env = read_env_file(Path(args.api_key_file))
    base_url = args.base_url or env.get("REDMINE_BASE_URL") or os.environ.get("REDMINE_BASE_URL")
    api_key = env.get("REDMINE_API_KEY") or os.environ.get("REDMINE_API_KEY")
    instance = args.dir or env.get("REDMINE_DIR") or os.environ.get("REDMINE_DIR")
    if not base_url or not api_key:
        raise SystemExit(
            "seed.py: need --base-url/--api-key-file or REDMINE_BASE_URL/REDMINE_API_KEY"
        )
    return base_url, api_key, Path(instance) if instance else None


def main_rest(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description="Seed a fresh Redmine over REST.")
    parser.add_argument("--base-url")
    parser.add_argument("--api-key-file", help="DIR/env from redmine.sh start, or a bare key file")
    parser.add_argument("--dir", help="instance DIR (for custom fields via rails runner)")
    parser.add_argument("--summary", help="also write the JSON summary to this file")
    args = parser.parse_args(argv)
    base_url, api_key, instance_dir = connection(args)
    summary = Seeder(Api(base_url, api_key), instance_dir).run()
    text = json.dumps(summary, indent=2, sort_keys=True)
    if args.summary:
        Path(args.summary).write_text(text + "\n")
    print(text)
    return 0


def main(argv: list[str]) -> int:
    try:
        if argv[:1] == ["bulk"]:
            from bulk_seed import main_bulk

            return main_bulk(argv[1:])
        return main_rest(argv)
    except SeedError as exc:
        print(f"seed.py: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    # Run the importable module `seed`, so that bulk_seed (which imports it)
    # and this entry point share one SeedError class.
    import seed

    sys.exit(seed.main(sys.argv[1:]))
