"""The cells of every runbook (``scripts/build_notebooks.py`` turns them into .ipynb).

Keys are paths without ``.ipynb``. Kinds: ``md``, ``code``, ``params`` (tagged
``parameters``) and ``summary`` (tagged ``summary``; prints the recorded values).
"""

from __future__ import annotations

PAPERMILL = (
    "Run it with papermill so the executed copy is the audit record (runs/ is git-ignored):\n"
    "`.venv/bin/papermill runbooks/{name}.ipynb "
    "runbooks/runs/{name}-$(date -u +%Y%m%dT%H%M%SZ).ipynb "
    "-p data_dir ./data{extra}`"
)

BACKUP = [
    (
        "md",
        """
# Runbook: backup

**Purpose.** Take a consistent snapshot of the rrag store: the SQLite database (SQLite's
online backup API, consistent while syncs and searches run), the vector index files and
a sealed `manifest.json` (versions, index generation, embedder, row counts, size and
SHA-256 of every file). Same as `python -m rrag.cli ops backup --output-dir backups`.

**Preconditions.** The data dir exists; free disk space of about one database plus one
index; a running sync is fine (the backup waits only for an index save, up to
`lock_timeout_s`). The snapshot appears under its final name only when complete.

"""
        + PAPERMILL.format(name="backup", extra=" -p output_dir ./backups"),
    ),
    (
        "code",
        """
from pathlib import Path

from rrag.ops import backup, list_snapshots, verify_snapshot
from rrag.ops.health import health_report
from rrag.ops.runbook import ensure_store, runbook_settings, show_summary
""",
    ),
    (
        "params",
        """
data_dir: str = ""  # RRAG_DATA_DIR to back up; empty means a new, empty demo store in a temp dir
output_dir: str = ""  # where snapshot-<UTC>/ is written; empty means <data_dir>/../backups
lock_timeout_s: float = 60.0  # seconds to wait for a running index save before giving up
""",
    ),
    (
        "code",
        """
settings = runbook_settings(data_dir)
ensure_store(settings).close()
backups = Path(output_dir) if output_dir else settings.store.data_dir.parent / "backups"
snapshots_before = len(list_snapshots(backups))
settings.store.data_dir, backups
""",
    ),
    ("md", "## 1. The store is healthy before we copy it"),
    (
        "code",
        """
health = health_report(settings)
assert health["quick_check"] == "ok" and health["consistency"]["ok"], health["problems"]
""",
    ),
    ("md", "## 2. Take the snapshot"),
    (
        "code",
        """
result = backup(settings, backups, lock_timeout_s=lock_timeout_s)
assert Path(result["path"]).name.startswith("snapshot-"), result
result["path"], result["bytes"]
""",
    ),
    (
        "md",
        "## Verify\nEvery checksum, `PRAGMA integrity_check`, row counts and generations, "
        "exactly as a restore will check them.",
    ),
    (
        "code",
        """
manifest = verify_snapshot(Path(result["path"]))
assert manifest["row_counts"] == result["manifest"]["row_counts"]
assert len(list_snapshots(backups)) == snapshots_before + 1
manifest["row_counts"]
""",
    ),
    (
        "md",
        """
## Rollback
A backup changes nothing in the live store. To undo it, delete the snapshot directory
printed in step 2 (`rm -r <path>`). Half-written snapshots never need cleaning by hand
beyond `.tmp-snapshot-*` directories left by a crash, which are safe to delete.
""",
    ),
    (
        "summary",
        """
summary = show_summary(snapshot=result["path"], bytes=result["bytes"],
                       index_generation=manifest["index_generation"],
                       row_counts=manifest["row_counts"], snapshots=len(list_snapshots(backups)))
""",
    ),
]

RESTORE = [
    (
        "md",
        """
# Runbook: restore

**Purpose.** Replace the store's database and index with a snapshot, together: a crash at
any moment leaves the old pair or the new pair, never a mix. Same as
`python -m rrag.cli ops restore --source-dir backups/snapshot-<UTC> --force`.

**Preconditions.** Stop the API server and let syncs finish: the restore refuses while
either holds the store. Pick the snapshot (`rrag ops verify --source-dir ...` checks one).
With `dry_run=True` (the default) this runbook only verifies and shows what would change.

"""
        + PAPERMILL.format(
            name="restore", extra=" -p source_dir backups/snapshot-... -p dry_run False"
        ),
    ),
    (
        "code",
        """
from pathlib import Path

from rrag.ops import backup, busy_holders, plan_restore, restore
from rrag.ops.health import health_report
from rrag.ops.runbook import ensure_store, runbook_settings, show_summary
""",
    ),
    (
        "params",
        """
data_dir: str = ""  # RRAG_DATA_DIR to restore into; empty means an empty demo store in a temp dir
source_dir: str = ""  # the snapshot-<UTC>/ to restore; empty means demo: snapshot the store first
backups_dir: str = ""  # where the safety backup goes; empty means <data_dir>/../backups
dry_run: bool = True  # True: verify and show what would be overwritten, change nothing
rollback: bool = False  # True: afterwards put the safety backup back (a restore drill)
""",
    ),
    (
        "code",
        """
settings = runbook_settings(data_dir)
ensure_store(settings).close()
backups = Path(backups_dir) if backups_dir else settings.store.data_dir.parent / "backups"
source = Path(source_dir) if source_dir else Path(backup(settings, backups)["path"])
source
""",
    ),
    ("md", "## 1. Verify the snapshot and see what it would replace\nNothing live is touched."),
    (
        "code",
        """
plan = plan_restore(settings, source)
assert plan["manifest"]["files"], plan
plan["would_overwrite"], plan["manifest"]["index_generation"], plan["manifest"]["row_counts"]
""",
    ),
    (
        "md",
        "## 2. Nobody holds the store\nStop the API server (`serve.lock`) and wait for "
        "syncs (`sync.lock`) and index saves (`index.lock`).",
    ),
    (
        "code",
        """
holders = busy_holders(settings.store.data_dir)
assert not holders, f"stop these first: {holders}"
""",
    ),
    ("md", "## 3. Safety backup of the current store (skipped in a dry run)"),
    (
        "code",
        """
safety = None if dry_run else backup(settings, backups)
assert dry_run or Path(safety["path"]).is_dir()
""",
    ),
    ("md", "## 4. Restore"),
    (
        "code",
        """
result = None if dry_run else restore(settings, source, force=True)
assert dry_run or result["index_generation"] == plan["manifest"]["index_generation"]
result
""",
    ),
    ("md", "## Verify\nThe store opens, passes `quick_check`, and its index matches it."),
    (
        "code",
        """
after = health_report(settings)
assert after["quick_check"] == "ok" and after["consistency"]["ok"], after["problems"]
expected_generation = int(plan["manifest"]["index_generation"] or 0)
assert dry_run or after["consistency"]["store_generation"] == expected_generation
""",
    ),
    (
        "md",
        """
## Rollback
Put the pre-restore store back from the safety backup taken in step 3: rerun with
`rollback=True`, or `python -m rrag.cli ops restore --source-dir <safety path> --force`.
""",
    ),
    (
        "code",
        """
rolled_back = restore(settings, Path(safety["path"]), force=True) if (rollback and safety) else None
assert rolled_back is None or health_report(settings)["consistency"]["ok"]
""",
    ),
    (
        "summary",
        """
summary = show_summary(dry_run=dry_run, source=str(source),
                       would_overwrite=[f["path"] for f in plan["would_overwrite"]],
                       restored_generation=result["index_generation"] if result else None,
                       safety_backup=safety["path"] if safety else None,
                       rolled_back=rolled_back is not None,
                       issues_after=after["consistency"]["chunks_in_store"])
""",
    ),
]

MAINTENANCE = [
    (
        "md",
        """
# Runbook: maintenance

**Purpose.** Keep the SQLite store compact and fast: `wal_checkpoint(TRUNCATE)`,
`VACUUM`, `ANALYZE`, then the index/store consistency check, with sizes before and after
and the time of each step. Same as `python -m rrag.cli ops maintenance`.

**Preconditions.** No sync or index save running (the steps wait up to a minute for
them). Free disk of about one database size (VACUUM rewrites the file). Searches may keep
running. With `dry_run=True` (default) only sizes and the consistency check are taken.

"""
        + PAPERMILL.format(name="maintenance", extra=" -p dry_run False"),
    ),
    (
        "code",
        """
from rrag.ops.maintenance import maintenance, store_sizes
from rrag.ops.plots import sizes_figure
from rrag.ops.runbook import ensure_store, runbook_settings, show_summary
""",
    ),
    (
        "params",
        """
data_dir: str = ""  # RRAG_DATA_DIR; empty means an empty demo store in a temp dir
dry_run: bool = True  # True: measure and check only; False: checkpoint, VACUUM, ANALYZE
""",
    ),
    (
        "code",
        """
settings = runbook_settings(data_dir)
ensure_store(settings).close()
settings.store.data_dir
""",
    ),
    ("md", "## 1. Sizes before"),
    (
        "code",
        """
before = store_sizes(settings.store.data_dir)
assert before["rrag.db"] > 0, before
before
""",
    ),
    ("md", "## 2. Checkpoint, VACUUM, ANALYZE, consistency check"),
    (
        "code",
        """
report = maintenance(settings, dry_run=dry_run)
assert report["consistency"]["ok"], report["consistency"]["problems"]
report["steps"]
""",
    ),
    ("md", "## Verify\nThe WAL is empty after a real run, and the index still matches the store."),
    (
        "code",
        """
assert dry_run or report["after"]["rrag.db-wal"] == 0, report["after"]
figure = sizes_figure(report["before"], report["after"])
""",
    ),
    (
        "md",
        """
## Rollback
Maintenance changes no data. An interrupted VACUUM is rolled back by SQLite itself. If
`integrity_check` or the consistency check fails afterwards, restore the latest snapshot
with the restore runbook; if only the index is behind, `rrag index` catches it up.
""",
    ),
    (
        "summary",
        """
summary = show_summary(dry_run=dry_run, before=report["before"], after=report["after"],
                       steps={s["step"]: s["seconds"] for s in report["steps"]},
                       consistent=report["consistency"]["ok"])
""",
    ),
]

HEALTH = [
    (
        "md",
        """
# Runbook: health check

**Purpose.** Is rrag healthy? The store opens and passes `quick_check`, the vector index
matches the store, no sync job is stuck or failing, who holds the store, how big it is,
and (when a Redmine URL is given) whether outbound policy allows it and it accepts our
key. Same facts as `python -m rrag.cli ops health --json`.

**Preconditions.** None; read-only except that opening a store creates and migrates it.
Leave `redmine_base_url` empty to skip the network checks (offline).

"""
        + PAPERMILL.format(
            name="health_check",
            extra=" -p redmine_base_url https://redmine.example -p api_key_file .env",
        ),
    ),
    (
        "code",
        """
from rrag.ops.health import connectivity, health_report
from rrag.ops.runbook import runbook_settings, show_summary
""",
    ),
    (
        "params",
        """
data_dir: str = ""  # RRAG_DATA_DIR; empty means an empty demo store in a temp dir
redmine_base_url: str = ""  # REDMINE_BASE_URL; empty means skip the Redmine checks
api_key_file: str = ""  # file with the key (or a REDMINE_API_KEY line); never the key itself
""",
    ),
    (
        "code",
        """
settings = runbook_settings(data_dir, redmine_base_url, api_key_file)
settings.store.data_dir
""",
    ),
    ("md", "## 1. Store"),
    (
        "code",
        """
health = health_report(settings)
assert health["quick_check"] == "ok", health["quick_check"]
health["sizes"], health["disk_free_bytes"], health["locks_held"]
""",
    ),
    ("md", "## 2. Index matches store"),
    (
        "code",
        """
assert health["consistency"]["ok"], health["consistency"]["problems"]
health["consistency"]
""",
    ),
    (
        "md",
        "## 3. Sync jobs\nA failed job is not an outage by itself: the incident-response "
        "runbook walks through it.",
    ),
    (
        "code",
        """
assert health["jobs"]["running"] <= 1, health["jobs"]
health["jobs"], [(j["job_id"], j["error"]) for j in health["recent_failed"]]
""",
    ),
    ("md", "## 4. Redmine: outbound policy, reachability, authentication"),
    (
        "code",
        """
link = connectivity(settings) if redmine_base_url else None
assert link is None or (link["policy_ok"] and link["authenticated"]), link
link
""",
    ),
    ("md", "## Verify\nNo problems left unexplained."),
    (
        "code",
        """
assert health["ok"] or health["recent_failed"], health["problems"]
health["problems"]
""",
    ),
    ("md", "## Rollback\nRead-only: nothing to roll back."),
    (
        "summary",
        """
summary = show_summary(ok=health["ok"], problems=health["problems"], jobs=health["jobs"],
                       consistent=health["consistency"]["ok"],
                       redmine=None if link is None else {
                           k: link[k] for k in ("policy_ok", "reachable", "authenticated")})
""",
    ),
]

INCIDENT = [
    (
        "md",
        """
# Runbook: incident response (failing syncs, degraded `llm_runtime`)

**Purpose.** Triage a failing or stale sync: health → failed jobs → one job's details →
connectivity and allowlist checks → a targeted retry of just the affected projects; and
after an LLM runtime outage, re-run extraction, which resumes where it stopped.

**Preconditions.** Access to the data dir; for steps 4-5 the Redmine base URL and a key
file. `dry_run=True` (default) stops before the retry. Typical error types:
`redmine_auth` (key revoked or lacks permission), `outbound_policy` (host not in
`REDMINE_ALLOWED_HOSTS`, or HTTP to a non-local host), `redmine_transport` (unreachable,
timeouts), `worker_lost` (the process died; retry); for extract jobs `llm_unavailable` /
`llm_timeout` (the runtime went away: step 6 once `llm_runtime` is healthy again).

"""
        + PAPERMILL.format(
            name="incident_response",
            extra=" -p redmine_base_url https://redmine.example -p api_key_file .env",
        ),
    ),
    (
        "code",
        """
from rrag.ops.health import connectivity, health_report
from rrag.ops.runbook import (
    ensure_store,
    rerun_extraction,
    retry_sync,
    runbook_settings,
    show_summary,
    with_llm,
)
from rrag.sync.jobs import get_job, job_dict, list_jobs
""",
    ),
    (
        "params",
        """
data_dir: str = ""  # RRAG_DATA_DIR; empty means an empty demo store in a temp dir
redmine_base_url: str = ""  # REDMINE_BASE_URL; empty means skip connectivity checks
api_key_file: str = ""  # file with the key (or a REDMINE_API_KEY line)
job_id: str = ""  # the job to inspect; empty means the newest failed job
retry_project_ids: list = []  # projects to re-sync; empty means the inspected job's projects
resync: bool = True  # step 5: re-sync the affected projects (when not a dry run)
reextract: bool = False  # step 6: re-run extraction after an LLM outage (when not a dry run)
llm_provider: str = "none"  # LLM_PROVIDER for step 6: ollama or openai
llm_base_url: str = ""  # OLLAMA_BASE_URL / LLM_BASE_URL; empty means the default
llm_model: str = ""  # OLLAMA_MODEL / LLM_MODEL; empty means the default
dry_run: bool = True  # True: diagnose only; False: run the steps chosen above
""",
    ),
    (
        "code",
        """
settings = runbook_settings(data_dir, redmine_base_url, api_key_file)
settings = with_llm(settings, llm_provider, llm_base_url, llm_model)
store = ensure_store(settings)
settings.store.data_dir, settings.llm.provider
""",
    ),
    ("md", "## 1. Health"),
    (
        "code",
        """
health = health_report(settings)
assert health["quick_check"] == "ok", health["quick_check"]
health["jobs"], health["problems"]
""",
    ),
    ("md", "## 2. Failed jobs"),
    (
        "code",
        """
failed = [job_dict(j) for j in list_jobs(store, status="failed", limit=10)]
assert len(failed) == min(health["jobs"]["failed"], 10), failed
[(j["job_id"], j["finished_at"], j["error"]) for j in failed]
""",
    ),
    ("md", "## 3. One job's details"),
    (
        "code",
        """
job = job_dict(get_job(store, job_id or failed[0]["job_id"])) if (job_id or failed) else None
assert job is None or job["status"] in ("queued", "running", "finished", "failed", "cancelled")
job
""",
    ),
    ("md", "## 4. Connectivity and allowlist"),
    (
        "code",
        """
link = connectivity(settings) if redmine_base_url else None
assert link is None or link["policy_ok"], link["problems"]
link
""",
    ),
    ("md", "## 5. Targeted retry of the affected projects (skipped in a dry run)"),
    (
        "code",
        """
project_ids = retry_project_ids or (job["project_ids"] if job else None)
retry = None if dry_run or not resync else retry_sync(settings, store, project_ids)
assert retry is None or retry["status"] == "finished", retry
retry
""",
    ),
    (
        "md",
        """
## 6. Degraded `llm_runtime`: re-run extraction after recovery (skipped in a dry run)
An extract job that failed with `llm_unavailable` or `llm_timeout` lost at most the batch
it had in flight. Once `llm_runtime` is healthy again, a new run resumes: `unchanged`
counts the issues earlier runs committed (not asked again), `extracted` what this run did.
""",
    ),
    (
        "code",
        """
stalled = [j for j in failed if j["kind"] == "extract"]
extract_ids = stalled[0]["project_ids"] if stalled else None
resumed = rerun_extraction(settings, store, extract_ids) if reextract and not dry_run else None
assert resumed is None or resumed["status"] == "finished", resumed
[(j["job_id"], j["error"], j["counters"]) for j in stalled], resumed and resumed["counters"]
""",
    ),
    ("md", "## Verify\nAfter a retry the store is consistent and no job is left running."),
    (
        "code",
        """
after = health_report(settings)
assert after["jobs"]["running"] == 0 and after["consistency"]["ok"], after["problems"]
after["jobs"]
""",
    ),
    (
        "md",
        """
## Rollback
A retry only refreshes data from Redmine. If it wrote something wrong (for example
against the wrong Redmine), restore the last snapshot with the restore runbook.
""",
    ),
    (
        "summary",
        """
store.close()
summary = show_summary(failed_jobs=len(failed), inspected=job["job_id"] if job else None,
                       error=job["error"] if job else None, project_ids=project_ids,
                       retry_status=retry["status"] if retry else None,
                       link_ok=None if link is None else link["authenticated"],
                       stalled_extractions=len(stalled),
                       resumed=resumed["counters"] if resumed else None)
""",
    ),
]

SOAK = [
    (
        "md",
        """
# Runbook: soak test

**Purpose.** Before a release: run many incremental syncs against a real Redmine,
optionally injecting changes between them, and check for failed jobs, unexplained
growth (RSS within `max_rss_growth` after warm-up; storage within what the changes
explain) and store/index consistency. Same as
`python scripts/ops/soak_sync.py --iterations 3 --project-id 1`.

**Preconditions.** A Redmine URL and key file for a live run, and a data dir that may
be written. Injected changes create and edit issues in Redmine (`dry_run=False` needed).
Offline (no URL) the runbook plots a saved report instead (`report_file`, by default the
committed 20-iteration benchmark run).

"""
        + PAPERMILL.format(
            name="soak_test",
            extra=" -p redmine_base_url http://127.0.0.1:3000 -p api_key_file .env",
        ),
    ),
    (
        "code",
        """
import json
from pathlib import Path

from rrag.ops.plots import soak_figure
from rrag.ops.runbook import ensure_store, index_hook, runbook_settings, show_summary
from rrag.ops.soak import SoakConfig, run_soak
""",
    ),
    (
        "params",
        """
data_dir: str = ""  # RRAG_DATA_DIR; empty means an empty store in a temp dir
redmine_base_url: str = ""  # REDMINE_BASE_URL; empty means offline: plot report_file instead
api_key_file: str = ""  # file with the key (or a REDMINE_API_KEY line)
project_ids: list = [1]  # projects to sync; empty means every visible project
iterations: int = 3  # incremental syncs to run
inject_changes: int = 0  # changes made in Redmine before each iteration after the first
inject_project_id: int = 0  # project receiving them; zero means the first of project_ids
max_rss_growth: float = 0.10  # allowed RSS rise after warm-up
report_file: str = "soak-example.json"  # offline: report to plot; live: "" or where to save
dry_run: bool = True  # True: never inject changes into Redmine, even if inject_changes > 0
""",
    ),
    (
        "code",
        """
settings = runbook_settings(data_dir, redmine_base_url, api_key_file)
store = ensure_store(settings)
config = SoakConfig(iterations=iterations, project_ids=project_ids or None,
                    inject_per_iteration=0 if dry_run else inject_changes,
                    inject_project_id=inject_project_id or None, max_rss_growth=max_rss_growth)
config
""",
    ),
    ("md", "## 1. Run the soak (live) or load a saved report (offline)"),
    (
        "code",
        """
report = (run_soak(settings, store, config, after_sync=index_hook(settings, store))
          if redmine_base_url else json.loads(Path(report_file).read_text()))
assert len(report["iterations"]) >= 1, report
""",
    ),
    ("md", "## 2. Per iteration"),
    (
        "code",
        """
rows = [{k: r[k] for k in ("iteration", "seconds", "status", "errors", "rss_bytes",
                           "db_bytes", "index_bytes", "issues")} for r in report["iterations"]]
assert all(r["status"] == "finished" for r in rows), rows
rows
""",
    ),
    ("md", "## 3. RSS and store size over the iterations"),
    (
        "code",
        """
figure = soak_figure(report)
""",
    ),
    ("md", "## Verify\nThe verdict passes: no failed job, no unexplained growth, consistent."),
    (
        "code",
        """
assert report["verdict"]["passed"], report["verdict"]["reasons"]
report["verdict"]
""",
    ),
    (
        "md",
        """
## Rollback
The soak only adds what it injected: the issue ids are in
`report["injected_issue_ids"]` (delete them in Redmine if unwanted). To drop the synced
data locally, restore the pre-soak snapshot with the restore runbook.
""",
    ),
    (
        "code",
        """
saved = Path(report_file) if (redmine_base_url and report_file) else None
saved and saved.write_text(json.dumps(report, indent=2, default=str))
""",
    ),
    (
        "summary",
        """
store.close()
summary = show_summary(live=bool(redmine_base_url), iterations=len(rows),
                       passed=report["verdict"]["passed"], reasons=report["verdict"]["reasons"],
                       injected=report["injected"], rss_bytes=[r["rss_bytes"] for r in rows],
                       issues=[r["issues"] for r in rows])
""",
    ),
]

TUNING = [
    (
        "md",
        """
# Runbook: runtime tuning

**Purpose.** Choose a runtime profile — the M1/laptop set or the server set — by
measuring what each does to search latency and memory on this store. Profiles are
settings by environment name, so the winning column goes straight into `.env`.

**Preconditions.** A store with an index (`rrag sync` then `rrag index`). Without a data
dir the runbook builds a small demo store (offline, hashing embedder). Read-only.

"""
        + PAPERMILL.format(name="runtime_tuning", extra=" -p repeats 20"),
    ),
    (
        "code",
        """
from rrag.ops.demo import seed_demo
from rrag.ops.plots import latency_figure
from rrag.ops.runbook import runbook_settings, show_summary
from rrag.ops.tuning import PROFILES, apply_profile, measure_profile
""",
    ),
    (
        "params",
        """
data_dir: str = ""  # RRAG_DATA_DIR with an index; empty means build a demo store in a temp dir
embedding_provider: str = "hashing"  # EMBEDDING_PROVIDER the index was built with
demo_issues: int = 300  # size of the demo store when data_dir is ""
queries: list = ["ldap login fails", "printer stuck", "disk full", "slow search"]  # to time
repeats: int = 5  # rounds over the queries per profile
""",
    ),
    (
        "code",
        """
settings = runbook_settings(data_dir, embedding_provider=embedding_provider)
demo = None if data_dir else seed_demo(settings, demo_issues)
PROFILES
""",
    ),
    ("md", "## 1. Measure each profile"),
    (
        "code",
        """
results = {name: measure_profile(settings, profile, queries, repeats)
           for name, profile in PROFILES.items()}
assert all(r["queries"] == len(queries) * repeats for r in results.values())
{name: {k: r[k] for k in ("p50_ms", "p95_ms", "mean_ms", "rss_delta_bytes", "py_peak_bytes")}
 for name, r in results.items()}
""",
    ),
    ("md", "## 2. Latency histograms"),
    (
        "code",
        """
figure = latency_figure({name: r["samples_ms"] for name, r in results.items()})
""",
    ),
    ("md", "## Verify\nThe profile you pick applies cleanly to the settings."),
    (
        "code",
        """
chosen = min((r["p95_ms"], name) for name, r in results.items())[1]
tuned = apply_profile(settings, PROFILES[chosen])
assert tuned.retrieval.candidate_multiplier == PROFILES[chosen]["RETRIEVAL_CANDIDATE_MULTIPLIER"]
chosen, PROFILES[chosen]
""",
    ),
    (
        "md",
        """
## Rollback
Profiles are only settings: put the previous values back in `.env` (or the service's
environment) and restart the API. Nothing on disk changes.
""",
    ),
    (
        "summary",
        """
summary = show_summary(profiles={n: {k: r[k] for k in ("p50_ms", "p95_ms", "rss_delta_bytes",
                                                          "py_peak_bytes")}
                                 for n, r in results.items()},
                       fastest_p95=chosen, demo=demo is not None)
""",
    ),
]

GUARDRAILS = [
    (
        "md",
        """
# Runbook: guardrail review

**Purpose.** Review what the guardrails caught: counters per kind, the newest events with
their reason and context, where planted text was found and whether it looks like a
red-team test or an attack, and a rerun of the red-team regression set (every planted
instruction flagged, no benign ticket text flagged).

**Red-team or attack?** A place (an issue with its notes, a wiki page, the questions
asked) is called *red-team* when many rules fired there at once (`burst`), its text holds
a published payload (`known_payload`: the red-team suite's, the regression set's, BIPIA's
when `bipia_dir` is given) or its project is a test project (`test_project`: a word such
as test, sandbox, redteam, qa in its identifier or name, or listed in `test_projects`);
otherwise *attack*. It orders the review; it is not proof. For an attack: open the issue
in Redmine, see who wrote the text, remove it there (the next sync drops it), and rotate
any secret an `unsafe_content` event names.

**Preconditions.** None; read-only.

"""
        + PAPERMILL.format(name="guardrail_review", extra=""),
    ),
    (
        "code",
        """
from pathlib import Path

from rrag.ops.guardrail_review import guardrail_counters, recent_events, red_team_run, triage
from rrag.ops.runbook import ensure_store, runbook_settings, show_summary
""",
    ),
    (
        "params",
        """
data_dir: str = ""  # RRAG_DATA_DIR; empty means an empty demo store in a temp dir
limit: int = 20  # how many recent events to show
since: str = ""  # ISO time (UTC): only events seen since then; empty means all
test_projects: list = []  # project identifiers that hold red-team tests
bipia_dir: str = ""  # BIPIA payload files, to recognise them; empty means without
""",
    ),
    (
        "code",
        """
settings = runbook_settings(data_dir)
store = ensure_store(settings)
payloads = Path(bipia_dir) if bipia_dir else None
settings.store.data_dir
""",
    ),
    ("md", "## 1. Counters per kind"),
    (
        "code",
        """
counters = guardrail_counters(store)
assert set(counters) >= {"prompt_injection"}, counters
counters
""",
    ),
    ("md", "## 2. Recent events with reason and context"),
    (
        "code",
        """
events = recent_events(store, limit)
assert len(events) <= limit and len(events) <= sum(counters.values())
events
""",
    ),
    ("md", "## 3. Where planted text was found: red-team test or attack?"),
    (
        "code",
        """
reviews = triage(store, since or None, test_projects, payloads)
assert all(r.verdict in ("red-team", "attack") and r.seen > 0 for r in reviews), reviews
[(r.where, r.project, r.verdict, r.reasons, r.rules, r.seen, r.last_seen) for r in reviews]
""",
    ),
    ("md", "## 4. Red-team regression run"),
    (
        "code",
        """
red_team = red_team_run()
assert not red_team["missed"], red_team["missed"]
red_team
""",
    ),
    ("md", "## Verify\nNo false alarms on benign ticket text."),
    (
        "code",
        """
assert not red_team["false_alarms"], red_team["false_alarms"]
""",
    ),
    (
        "md",
        "## Rollback\nRead-only: nothing to roll back. A detector change that fails step 4 "
        "is reverted in git, not here.",
    ),
    (
        "summary",
        """
store.close()
summary = show_summary(counters=counters, recent=len(events),
                       kinds_recent=sorted({e["kind"] for e in events}),
                       verdicts={r.where: r.verdict for r in reviews},
                       reasons={r.where: r.reasons for r in reviews},
                       missed=red_team["missed"], false_alarms=red_team["false_alarms"])
""",
    ),
]


QUICKSTART = [
    (
        "md",
        """
# Quickstart

**Purpose.** A first tour of rrag from Python: get data into the local store (sync a
real Redmine, or build a demo store offline), search it three ways, find similar issues,
and check the store's health.

**Preconditions.** For a real sync, a Redmine URL and a key file; otherwise nothing (the
defaults run offline on a demo store in a temp dir). The CLI equivalent is
`rrag sync`, then `rrag search "..."`.
""",
    ),
    (
        "code",
        """
from rrag.ops.demo import seed_demo
from rrag.ops.health import health_report
from rrag.ops.runbook import ensure_store, retry_sync, runbook_settings, show_summary
from rrag.retrieval import Retriever
""",
    ),
    (
        "params",
        """
data_dir: str = ""  # RRAG_DATA_DIR; empty means a demo store in a temp dir
redmine_base_url: str = ""  # REDMINE_BASE_URL to sync from; empty means offline demo data
api_key_file: str = ""  # file with the key (or a REDMINE_API_KEY line)
project_ids: list = []  # projects to sync; empty means every visible project
query: str = "cannot sign in with ldap"  # what to search for
""",
    ),
    (
        "code",
        """
settings = runbook_settings(data_dir, redmine_base_url, api_key_file)
store = ensure_store(settings)
settings.store.data_dir
""",
    ),
    ("md", "## 1. Data in: a sync (live) or the demo store (offline)"),
    (
        "code",
        """
loaded = (retry_sync(settings, store, project_ids or None) if redmine_base_url
          else seed_demo(settings, 200))
assert loaded.get("status", "finished") == "finished", loaded
loaded
""",
    ),
    ("md", "## 2. Search: lexical (FTS5), vector (FAISS) and hybrid (a weighted blend of the two)"),
    (
        "code",
        """
retriever = Retriever(settings, store)
found = {mode: retriever.search(query, k=5, mode=mode)["results"]
         for mode in ("lexical", "vector", "hybrid")}
assert found["hybrid"], "no results"
[(r["issue_id"], r["subject"], round(r["score"], 3)) for r in found["hybrid"]]
""",
    ),
    ("md", "## 3. Similar issues to the best issue hit (wiki pages have no issue id)"),
    (
        "code",
        """
top = next(r["issue_id"] for r in found["hybrid"] if r["issue_id"] is not None)
similar = retriever.similar(top, k=5)["results"]
assert all(r["issue_id"] != top for r in similar)
[(r["issue_id"], r["subject"]) for r in similar]
""",
    ),
    ("md", "## Verify\\nThe store is healthy and its index matches it."),
    (
        "code",
        """
health = health_report(settings)
assert health["consistency"]["ok"], health["problems"]
health["consistency"]
""",
    ),
    (
        "md",
        "## Rollback\\nNothing outside `data_dir` changed; delete that directory to start over.",
    ),
    (
        "summary",
        """
store.close()
summary = show_summary(live=bool(redmine_base_url), hits={m: len(r) for m, r in found.items()},
                       top=top, similar=len(similar),
                       chunks=health["consistency"]["chunks_in_store"])
""",
    ),
]

RETRIEVAL_TUNING = [
    (
        "md",
        """
# Retrieval tuning

**Purpose.** Try queries interactively (ipywidgets: query, mode, k) and measure how the
candidate pool (`RETRIEVAL_CANDIDATE_MULTIPLIER`) changes quality and latency of hybrid
search on labelled queries.

**Preconditions.** An indexed store (offline default: a demo store with its labelled
queries). Read-only. The widgets need a live Jupyter front end; under papermill/nbval
they render once with the defaults.
""",
    ),
    (
        "code",
        """
import ipywidgets as widgets

from rrag.ops.demo import demo_queries, seed_demo
from rrag.ops.runbook import ensure_store, runbook_settings, show_summary
from rrag.ops.tuning import apply_profile
from rrag.retrieval import MODES, Retriever
from rrag.retrieval.evaluate import evaluate, load_queries, retriever_ranker
""",
    ),
    (
        "params",
        """
data_dir: str = ""  # RRAG_DATA_DIR with an index; empty means a demo store in a temp dir
queries_file: str = ""  # JSON lines {"q", "relevant"}; empty means the demo store's queries
multipliers: list = [1, 4, 10]  # RETRIEVAL_CANDIDATE_MULTIPLIER values to compare
k: int = 10  # results per query
""",
    ),
    (
        "code",
        """
settings = runbook_settings(data_dir)
demo = None if data_dir else seed_demo(settings, 200)
queries = load_queries(queries_file) if queries_file else demo_queries(200)
store = ensure_store(settings)
retriever = Retriever(settings, store)
len(queries)
""",
    ),
    ("md", "## 1. Try it: change the query, the mode and k"),
    (
        "code",
        """
explorer = widgets.interactive(retriever.search, query="cannot sign in with ldap",
                               k=widgets.IntSlider(value=5, min=1, max=20),
                               mode=widgets.Dropdown(options=list(MODES), value="hybrid"),
                               caller=widgets.fixed(None), project_ids=widgets.fixed(None),
                               tracker=widgets.fixed(None), status=widgets.fixed(None),
                               updated_since=widgets.fixed(None))
assert explorer.result["results"], explorer.result
explorer
""",
    ),
    ("md", "## 2. Candidate pool size vs quality and latency"),
    (
        "code",
        """
rows = [evaluate(f"x{m}", retriever_ranker(Retriever(apply_profile(
            settings, {"RETRIEVAL_CANDIDATE_MULTIPLIER": m}), store), "hybrid"), queries, k)
        .as_dict() for m in multipliers]
assert all(r["queries"] == len(queries) for r in rows)
rows
""",
    ),
    (
        "md",
        "## Verify\\nEvery setting returns results; pick the smallest multiplier whose recall "
        "matches the best.",
    ),
    (
        "code",
        """
best = max(r["recall"] for r in rows)
chosen = next(r["name"] for r in rows if r["recall"] == best)
assert best > 0, rows
chosen
""",
    ),
    ("md", "## Rollback\\nRead-only: set `RETRIEVAL_CANDIDATE_MULTIPLIER` back in `.env`."),
    (
        "summary",
        """
store.close()
summary = show_summary(queries=len(queries), rows=rows, chosen=chosen,
                       widget_hits=len(explorer.result["results"]))
""",
    ),
]

EVALUATION = [
    (
        "md",
        """
# Evaluation

**Purpose.** Measure retrieval quality — recall@k, MRR@k, nDCG@k — and latency for the
three modes on labelled queries, and optionally Redmine's own search as the baseline.

**Preconditions.** An indexed store and a query file (`benchmarks/queries/*.jsonl` for
the synced changelog corpus); offline the demo store and its queries are used. Redmine's
search needs its URL and a key file. Read-only.
""",
    ),
    (
        "code",
        """
import httpx

from rrag.ops.demo import demo_queries, seed_demo
from rrag.ops.plots import latency_figure
from rrag.ops.runbook import ensure_store, read_key_file, runbook_settings, show_summary
from rrag.retrieval import MODES, Retriever
from rrag.retrieval.evaluate import evaluate, load_queries, redmine_search, retriever_ranker
""",
    ),
    (
        "params",
        """
data_dir: str = ""  # RRAG_DATA_DIR with an index; empty means a demo store in a temp dir
queries_file: str = ""  # JSON lines {"q", "relevant"}; empty means the demo store's queries
redmine_base_url: str = ""  # also evaluate Redmine's /search.json; empty means skip
api_key_file: str = ""  # file with the key (or a REDMINE_API_KEY line)
k: int = 10  # cut-off for recall, MRR and nDCG
""",
    ),
    (
        "code",
        """
settings = runbook_settings(data_dir, redmine_base_url, api_key_file)
demo = None if data_dir else seed_demo(settings, 200)
queries = load_queries(queries_file) if queries_file else demo_queries(200)
store = ensure_store(settings)
retriever = Retriever(settings, store)
len(queries)
""",
    ),
    ("md", "## 1. rrag's three modes"),
    (
        "code",
        """
rows = [evaluate(mode, retriever_ranker(retriever, mode), queries, k).as_dict() for mode in MODES]
assert all(0 <= r["recall"] <= 1 and r["queries"] == len(queries) for r in rows)
rows
""",
    ),
    ("md", "## 2. Redmine's own search (baseline, optional)"),
    (
        "code",
        """
http = (httpx.Client(base_url=redmine_base_url, timeout=30,
                     headers={"X-Redmine-API-Key": read_key_file(api_key_file)})
        if redmine_base_url else None)
baseline = evaluate("redmine", redmine_search(http), queries, k).as_dict() if http else None
assert baseline is None or baseline["queries"] == len(queries)
baseline
""",
    ),
    ("md", "## 3. Latency per mode"),
    (
        "code",
        """
samples = {mode: [retriever.search(q.q, k=k, mode=mode)["took_ms"] for q in queries]
           for mode in MODES}
figure = latency_figure(samples)
""",
    ),
    ("md", "## Verify\\nHybrid is at least as good as the weaker single mode."),
    (
        "code",
        """
by_mode = {r["name"]: r for r in rows}
assert by_mode["hybrid"]["ndcg"] >= min(by_mode["lexical"]["ndcg"], by_mode["vector"]["ndcg"])
by_mode["hybrid"]
""",
    ),
    ("md", "## Rollback\\nRead-only: nothing to roll back."),
    (
        "summary",
        """
store.close()
http and http.close()
summary = show_summary(queries=len(queries), modes=by_mode, baseline=baseline)
""",
    ),
]

NOTEBOOKS = {
    "runbooks/health_check": HEALTH,
    "runbooks/incident_response": INCIDENT,
    "runbooks/backup": BACKUP,
    "runbooks/restore": RESTORE,
    "runbooks/maintenance": MAINTENANCE,
    "runbooks/soak_test": SOAK,
    "runbooks/runtime_tuning": TUNING,
    "runbooks/guardrail_review": GUARDRAILS,
    "notebooks/quickstart": QUICKSTART,
    "notebooks/retrieval_tuning": RETRIEVAL_TUNING,
    "notebooks/evaluation": EVALUATION,
}
