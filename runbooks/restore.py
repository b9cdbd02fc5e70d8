# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Runbook: restore
#
# **Purpose.** Replace the store's database and index with a snapshot, together: a crash at
# any moment leaves the old pair or the new pair, never a mix. Same as
# `python -m rrag.cli ops restore --source-dir backups/snapshot-<UTC> --force`.
#
# **Preconditions.** Stop the API server and let syncs finish: the restore refuses while
# either holds the store. Pick the snapshot (`rrag ops verify --source-dir ...` checks one).
# With `dry_run=True` (the default) this runbook only verifies and shows what would change.
#
# Run it with papermill so the executed copy is the audit record (runs/ is git-ignored):
# ```sh
# .venv/bin/papermill runbooks/restore.ipynb \
#   runbooks/runs/restore-$(date -u +%Y%m%dT%H%M%SZ).ipynb \
#   -p data_dir ./data -p source_dir backups/snapshot-... -p dry_run False
# ```

# %%
from pathlib import Path

from rrag.ops import backup, busy_holders, plan_restore, restore
from rrag.ops.diagnostics import health_report
from rrag.ops.runbook import ensure_store, runbook_settings, show_summary

# %% tags=["parameters"]
data_dir: str = ""  # RRAG_DATA_DIR to restore into; empty means an empty demo store in a temp dir
source_dir: str = ""  # the snapshot-<UTC>/ to restore; empty means demo: snapshot the store first
backups_dir: str = ""  # where the safety backup goes; empty means <data_dir>/../backups
dry_run: bool = True  # True: verify and show what would be overwritten, change nothing
rollback: bool = False  # True: afterwards put the safety backup back (a restore drill)

# %%
settings = runbook_settings(data_dir)
ensure_store(settings).close()
backups = Path(backups_dir) if backups_dir else settings.store.data_dir.parent / "backups"
source = Path(source_dir) if source_dir else Path(backup(settings, backups)["path"])
source

# %% [markdown]
# ## 1. Verify the snapshot and see what it would replace
# Nothing live is touched.

# %%
plan = plan_restore(settings, source)
assert plan["manifest"]["files"], plan
plan["would_overwrite"], plan["manifest"]["index_generation"], plan["manifest"]["row_counts"]

# %% [markdown]
# ## 2. Nobody holds the store
# Stop the API server (`serve.lock`) and wait for syncs (`sync.lock`) and index saves
# (`index.lock`).

# %%
holders = busy_holders(settings.store.data_dir)
assert not holders, f"stop these first: {holders}"

# %% [markdown]
# ## 3. Safety backup of the current store (skipped in a dry run)

# %%
safety = None if dry_run else backup(settings, backups)
assert dry_run or (safety is not None and Path(safety["path"]).is_dir())

# %% [markdown]
# ## 4. Restore

# %%
result = None if dry_run else restore(settings, source, force=True)
generation = plan["manifest"]["index_generation"]
assert dry_run or (result is not None and result["index_generation"] == generation)
result

# %% [markdown]
# ## Verify
# The store opens, passes `quick_check`, and its index matches it.

# %%
after = health_report(settings)
assert after["quick_check"] == "ok" and after["consistency"]["ok"], after["problems"]
expected_generation = int(plan["manifest"]["index_generation"] or 0)
assert dry_run or after["consistency"]["store_generation"] == expected_generation

# %% [markdown]
# ## Rollback
# Put the pre-restore store back from the safety backup taken in step 3: rerun with
# `rollback=True`, or `python -m rrag.cli ops restore --source-dir <safety path> --force`.

# %%
rolled_back = restore(settings, Path(safety["path"]), force=True) if (rollback and safety) else None
assert rolled_back is None or health_report(settings)["consistency"]["ok"]

# %% [markdown]
# ## Record
# The last cell prints the run's record on one line (`RUNBOOK-SUMMARY {...}`): the
# papermill tests and the scheduled audit copies read it back.

# %% tags=["summary"]
summary = show_summary(
    dry_run=dry_run,
    source=str(source),
    would_overwrite=[f["path"] for f in plan["would_overwrite"]],
    restored_generation=result["index_generation"] if result else None,
    safety_backup=safety["path"] if safety else None,
    rolled_back=rolled_back is not None,
    issues_after=after["consistency"]["chunks_in_store"],
)
