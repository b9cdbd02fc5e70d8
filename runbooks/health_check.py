# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Runbook: health check
#
# **Purpose.** Is rrag healthy? The store opens and passes `quick_check`, the vector index
# matches the store, no sync job is stuck or failing, who holds the store, how big it is,
# and (when a Redmine URL is given) whether outbound policy allows it and it accepts our
# key. Same facts as `python -m rrag.cli ops health --json`.
#
# **Preconditions.** None; read-only except that opening a store creates and migrates it.
# Leave `redmine_base_url` empty to skip the network checks (offline).
#
# Run it with papermill so the executed copy is the audit record (runs/ is git-ignored):
# ```sh
# .venv/bin/papermill runbooks/health_check.ipynb \
#   runbooks/runs/health_check-$(date -u +%Y%m%dT%H%M%SZ).ipynb \
#   -p data_dir ./data -p redmine_base_url https://redmine.example \
#   -p api_key_file .env
# ```

# %%
from rrag.ops.diagnostics import connectivity, health_report
from rrag.ops.runbook import runbook_settings, show_summary

# %% tags=["parameters"]
data_dir: str = ""  # RRAG_DATA_DIR; empty means an empty demo store in a temp dir
redmine_base_url: str = ""  # REDMINE_BASE_URL; empty means skip the Redmine checks
api_key_file: str = ""  # file with the key (or a REDMINE_API_KEY line); never the key itself

# %%
settings = runbook_settings(data_dir, redmine_base_url, api_key_file)
settings.store.data_dir

# %% [markdown]
# ## 1. Store

# %%
health = health_report(settings)
assert health["quick_check"] == "ok", health["quick_check"]
health["sizes"], health["disk_free_bytes"], health["locks_held"]

# %% [markdown]
# ## 2. Index matches store

# %%
assert health["consistency"]["ok"], health["consistency"]["problems"]
health["consistency"]

# %% [markdown]
# ## 3. Sync jobs
# A failed job is not an outage by itself: the incident-response runbook walks through it.

# %%
assert health["jobs"]["running"] <= 1, health["jobs"]
health["jobs"], [(j["job_id"], j["error"]) for j in health["recent_failed"]]

# %% [markdown]
# ## 4. Redmine: outbound policy, reachability, authentication

# %%
link = connectivity(settings) if redmine_base_url else None
assert link is None or (link["policy_ok"] and link["authenticated"]), link
link

# %% [markdown]
# ## Verify
# No problems left unexplained.

# %%
assert health["ok"] or health["recent_failed"], health["problems"]
health["problems"]

# %% [markdown]
# ## Rollback
# Read-only: nothing to roll back.

# %% [markdown]
# ## Record
# The last cell prints the run's record on one line (`RUNBOOK-SUMMARY {...}`): the
# papermill tests and the scheduled audit copies read it back.

# %% tags=["summary"]
summary = show_summary(
    ok=health["ok"],
    problems=health["problems"],
    jobs=health["jobs"],
    consistent=health["consistency"]["ok"],
    redmine=None
    if link is None
    else {k: link[k] for k in ("policy_ok", "reachable", "authenticated")},
)
