# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Runbook: incident response (failing syncs, degraded `llm_runtime`)
#
# **Purpose.** Triage a failing or stale sync: health → failed jobs → one job's details →
# connectivity and allowlist checks → a targeted retry of just the affected projects; and
# after an LLM runtime outage, re-run extraction, which resumes where it stopped.
#
# **Preconditions.** Access to the data dir; for steps 4-5 the Redmine base URL and a key
# file. `dry_run=True` (default) stops before the retry. Typical error types:
# `redmine_auth` (key revoked or lacks permission), `outbound_policy` (host not in
# `REDMINE_ALLOWED_HOSTS`, or HTTP to a non-local host), `redmine_transport` (unreachable,
# timeouts), `worker_lost` (the process died; retry); for extract jobs `llm_unavailable` /
# `llm_timeout` (the runtime went away: step 6 once `llm_runtime` is healthy again).
#
# Run it with papermill so the executed copy is the audit record (runs/ is git-ignored):
# ```sh
# .venv/bin/papermill runbooks/incident_response.ipynb \
#   runbooks/runs/incident_response-$(date -u +%Y%m%dT%H%M%SZ).ipynb \
#   -p data_dir ./data -p redmine_base_url https://redmine.example \
#   -p api_key_file .env
# ```

# %%
from rrag.ops.diagnostics import connectivity, health_report
from rrag.ops.plots import jobs_figure
from rrag.ops.runbook import (
    ensure_store,
    rerun_extraction,
    retry_sync,
    runbook_settings,
    show_summary,
    with_llm,
)
from rrag.ops.tables import Table
from rrag.sync.jobs import get_job, job_dict, list_jobs

# %% tags=["parameters"]
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

# %%
settings = runbook_settings(data_dir, redmine_base_url, api_key_file)
settings = with_llm(settings, llm_provider, llm_base_url, llm_model)
store = ensure_store(settings)
settings.store.data_dir, settings.llm.provider

# %% [markdown]
# ## 1. Health

# %%
health = health_report(settings)
assert health["quick_check"] == "ok", health["quick_check"]
health["jobs"], health["problems"]

# %% [markdown]
# ## 2. Failed jobs

# %%
failed = [job_dict(j) for j in list_jobs(store, status="failed", limit=10)]
assert len(failed) == min(health["jobs"]["failed"], 10), failed
Table(failed, columns=("job_id", "kind", "mode", "project_ids", "finished_at", "error"))

# %% [markdown]
# The recent jobs on a timeline: a failure among finished runs, runs that overlap, or a
# run that took far longer than the others.

# %%
recent = [job_dict(j) for j in list_jobs(store, limit=20)]
figure = jobs_figure(recent)

# %% [markdown]
# ## 3. One job's details

# %%
job = job_dict(get_job(store, job_id or failed[0]["job_id"])) if (job_id or failed) else None
assert job is None or job["status"] in ("queued", "running", "finished", "failed", "cancelled")
job

# %% [markdown]
# ## 4. Connectivity and allowlist

# %%
link = connectivity(settings) if redmine_base_url else None
assert link is None or link["policy_ok"], link["problems"]
link

# %% [markdown]
# ## 5. Targeted retry of the affected projects (skipped in a dry run)

# %%
project_ids = retry_project_ids or (job["project_ids"] if job else None)
retry = None if dry_run or not resync else retry_sync(settings, store, project_ids)
assert retry is None or retry["status"] == "finished", retry
retry

# %% [markdown]
# ## 6. Degraded `llm_runtime`: re-run extraction after recovery (skipped in a dry run)
# An extract job that failed with `llm_unavailable` or `llm_timeout` lost at most the batch
# it had in flight. Once `llm_runtime` is healthy again, a new run resumes: `unchanged`
# counts the issues earlier runs committed (not asked again), `extracted` what this run did.

# %%
stalled = [j for j in failed if j["kind"] == "extract"]
extract_ids = stalled[0]["project_ids"] if stalled else None
resumed = rerun_extraction(settings, store, extract_ids) if reextract and not dry_run else None
assert resumed is None or resumed["status"] == "finished", resumed
[(j["job_id"], j["error"], j["counters"]) for j in stalled], resumed and resumed["counters"]

# %% [markdown]
# ## Verify
# After a retry the store is consistent and no job is left running.

# %%
after = health_report(settings)
assert after["jobs"]["running"] == 0 and after["consistency"]["ok"], after["problems"]
after["jobs"]

# %% [markdown]
# ## Rollback
# A retry only refreshes data from Redmine. If it wrote something wrong (for example
# against the wrong Redmine), restore the last snapshot with the restore runbook.

# %% [markdown]
# ## Record
# The last cell prints the run's record on one line (`RUNBOOK-SUMMARY {...}`): the
# papermill tests and the scheduled audit copies read it back.

# %% tags=["summary"]
store.close()
summary = show_summary(
    failed_jobs=len(failed),
    inspected=job["job_id"] if job else None,
    error=job["error"] if job else None,
    project_ids=project_ids,
    retry_status=retry["status"] if retry else None,
    link_ok=None if link is None else link["authenticated"],
    stalled_extractions=len(stalled),
    resumed=resumed["counters"] if resumed else None,
)
