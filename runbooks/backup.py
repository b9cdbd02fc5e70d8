# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Runbook: backup
#
# **Purpose.** Take a consistent snapshot of the rrag store: the SQLite database (SQLite's
# online backup API, consistent while syncs and searches run), the vector index files and
# a sealed `manifest.json` (versions, index generation, embedder, row counts, size and
# SHA-256 of every file). Same as `python -m rrag.cli ops backup --output-dir backups`.
#
# **Preconditions.** The data dir exists; free disk space of about one database plus one
# index; a running sync is fine (the backup waits only for an index save, up to
# `lock_timeout_s`). The snapshot appears under its final name only when complete.
#
# Run it with papermill so the executed copy is the audit record (runs/ is git-ignored):
# ```sh
# .venv/bin/papermill runbooks/backup.ipynb \
#   runbooks/runs/backup-$(date -u +%Y%m%dT%H%M%SZ).ipynb \
#   -p data_dir ./data -p output_dir ./backups
# ```

# %%
from pathlib import Path

from rrag.ops import backup, list_snapshots, verify_snapshot
from rrag.ops.diagnostics import health_report
from rrag.ops.runbook import ensure_store, runbook_settings, show_summary

# %% tags=["parameters"]
data_dir: str = ""  # RRAG_DATA_DIR to back up; empty means a new, empty demo store in a temp dir
output_dir: str = ""  # where snapshot-<UTC>/ is written; empty means <data_dir>/../backups
lock_timeout_s: float = 60.0  # seconds to wait for a running index save before giving up

# %%
settings = runbook_settings(data_dir)
ensure_store(settings).close()
backups = Path(output_dir) if output_dir else settings.store.data_dir.parent / "backups"
snapshots_before = len(list_snapshots(backups))
settings.store.data_dir, backups

# %% [markdown]
# ## 1. The store is healthy before we copy it

# %%
health = health_report(settings)
assert health["quick_check"] == "ok" and health["consistency"]["ok"], health["problems"]

# %% [markdown]
# ## 2. Take the snapshot

# %%
result = backup(settings, backups, lock_timeout_s=lock_timeout_s)
assert Path(result["path"]).name.startswith("snapshot-"), result
result["path"], result["bytes"]

# %% [markdown]
# ## Verify
# Every checksum, `PRAGMA integrity_check`, row counts and generations, exactly as a
# restore will check them.

# %%
manifest = verify_snapshot(Path(result["path"]))
assert manifest["row_counts"] == result["manifest"]["row_counts"]
assert len(list_snapshots(backups)) == snapshots_before + 1
manifest["row_counts"]

# %% [markdown]
# ## Rollback
# A backup changes nothing in the live store. To undo it, delete the snapshot directory
# printed in step 2 (`rm -r <path>`). Half-written snapshots never need cleaning by hand
# beyond `.tmp-snapshot-*` directories left by a crash, which are safe to delete.

# %% [markdown]
# ## Record
# The last cell prints the run's record on one line (`RUNBOOK-SUMMARY {...}`): the
# papermill tests and the scheduled audit copies read it back.

# %% tags=["summary"]
summary = show_summary(
    snapshot=result["path"],
    bytes=result["bytes"],
    index_generation=manifest["index_generation"],
    row_counts=manifest["row_counts"],
    snapshots=len(list_snapshots(backups)),
)
