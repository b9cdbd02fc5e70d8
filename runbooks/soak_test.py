# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Runbook: soak test
#
# **Purpose.** Before a release: run many incremental syncs against a real Redmine,
# optionally injecting changes between them, and check for failed jobs, unexplained
# growth (RSS within `max_rss_growth` after warm-up; storage within what the changes
# explain) and store/index consistency. Same as
# `python scripts/ops/soak_sync.py --iterations 3 --project-id 1`.
#
# **Preconditions.** A Redmine URL and key file for a live run, and a data dir that may
# be written. Injected changes create and edit issues in Redmine (`dry_run=False` needed).
# Offline (no URL) the runbook plots a saved report instead (`report_file`, by default the
# committed 20-iteration benchmark run).
#
# Run it with papermill so the executed copy is the audit record (runs/ is git-ignored):
# ```sh
# .venv/bin/papermill runbooks/soak_test.ipynb \
#   runbooks/runs/soak_test-$(date -u +%Y%m%dT%H%M%SZ).ipynb \
#   -p data_dir ./data -p redmine_base_url http://127.0.0.1:3000 -p api_key_file .env
# ```

# %%
import json
from pathlib import Path

from rrag.ops.plots import soak_figure
from rrag.ops.runbook import ensure_store, index_hook, runbook_settings, show_summary
from rrag.ops.soak import SoakConfig, run_soak

# %% tags=["parameters"]
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

# %%
settings = runbook_settings(data_dir, redmine_base_url, api_key_file)
store = ensure_store(settings)
config = SoakConfig(
    iterations=iterations,
    project_ids=project_ids or None,
    inject_per_iteration=0 if dry_run else inject_changes,
    inject_project_id=inject_project_id or None,
    max_rss_growth=max_rss_growth,
)
config

# %% [markdown]
# ## 1. Run the soak (live) or load a saved report (offline)

# %%
report = (
    run_soak(settings, store, config, after_sync=index_hook(settings, store))
    if redmine_base_url
    else json.loads(Path(report_file).read_text())
)
assert len(report["iterations"]) >= 1, report

# %% [markdown]
# ## 2. Per iteration

# %%
rows = [
    {
        k: r[k]
        for k in (
            "iteration",
            "seconds",
            "status",
            "errors",
            "rss_bytes",
            "db_bytes",
            "index_bytes",
            "issues",
        )
    }
    for r in report["iterations"]
]
assert all(r["status"] == "finished" for r in rows), rows
rows

# %% [markdown]
# ## 3. RSS and store size over the iterations

# %%
figure = soak_figure(report)

# %% [markdown]
# ## Verify
# The verdict passes: no failed job, no unexplained growth, consistent.

# %%
assert report["verdict"]["passed"], report["verdict"]["reasons"]
report["verdict"]

# %% [markdown]
# ## Rollback
# The soak only adds what it injected: the issue ids are in
# `report["injected_issue_ids"]` (delete them in Redmine if unwanted). To drop the synced
# data locally, restore the pre-soak snapshot with the restore runbook.

# %%
saved = Path(report_file) if (redmine_base_url and report_file) else None
saved and saved.write_text(json.dumps(report, indent=2, default=str))

# %% [markdown]
# ## Record
# The last cell prints the run's record on one line (`RUNBOOK-SUMMARY {...}`): the
# papermill tests and the scheduled audit copies read it back.

# %% tags=["summary"]
store.close()
summary = show_summary(
    live=bool(redmine_base_url),
    iterations=len(rows),
    passed=report["verdict"]["passed"],
    reasons=report["verdict"]["reasons"],
    injected=report["injected"],
    rss_bytes=[r["rss_bytes"] for r in rows],
    issues=[r["issues"] for r in rows],
)
