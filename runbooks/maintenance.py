# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Runbook: maintenance
#
# **Purpose.** Keep the SQLite store compact and fast: `wal_checkpoint(TRUNCATE)`,
# `VACUUM`, `ANALYZE`, then the index/store consistency check, with sizes before and after
# and the time of each step. Same as `python -m rrag.cli ops maintenance`.
#
# **Preconditions.** No sync or index save running (the steps wait up to a minute for
# them). Free disk of about one database size (VACUUM rewrites the file). Searches may keep
# running. With `dry_run=True` (default) only sizes and the consistency check are taken.
#
# Run it with papermill so the executed copy is the audit record (runs/ is git-ignored):
# ```sh
# .venv/bin/papermill runbooks/maintenance.ipynb \
#   runbooks/runs/maintenance-$(date -u +%Y%m%dT%H%M%SZ).ipynb \
#   -p data_dir ./data -p dry_run False
# ```

# %%
from rrag.ops.maintenance import maintenance, store_sizes
from rrag.ops.plots import sizes_figure
from rrag.ops.runbook import ensure_store, runbook_settings, show_summary

# %% tags=["parameters"]
data_dir: str = ""  # RRAG_DATA_DIR; empty means an empty demo store in a temp dir
dry_run: bool = True  # True: measure and check only; False: checkpoint, VACUUM, ANALYZE

# %%
settings = runbook_settings(data_dir)
ensure_store(settings).close()
settings.store.data_dir

# %% [markdown]
# ## 1. Sizes before

# %%
before = store_sizes(settings.store.data_dir)
assert before["rrag.db"] > 0, before
before

# %% [markdown]
# ## 2. Checkpoint, VACUUM, ANALYZE, consistency check

# %%
report = maintenance(settings, dry_run=dry_run)
assert report["consistency"]["ok"], report["consistency"]["problems"]
report["steps"]

# %% [markdown]
# ## Verify
# The WAL is empty after a real run, and the index still matches the store.

# %%
assert dry_run or report["after"]["rrag.db-wal"] == 0, report["after"]
figure = sizes_figure(report["before"], report["after"])

# %% [markdown]
# ## Rollback
# Maintenance changes no data. An interrupted VACUUM is rolled back by SQLite itself. If
# `integrity_check` or the consistency check fails afterwards, restore the latest snapshot
# with the restore runbook; if only the index is behind, `rrag index` catches it up.

# %% [markdown]
# ## Record
# The last cell prints the run's record on one line (`RUNBOOK-SUMMARY {...}`): the
# papermill tests and the scheduled audit copies read it back.

# %% tags=["summary"]
summary = show_summary(
    dry_run=dry_run,
    before=report["before"],
    after=report["after"],
    steps={s["step"]: s["seconds"] for s in report["steps"]},
    consistent=report["consistency"]["ok"],
)
