# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Runbook: runtime tuning
#
# **Purpose.** Choose a runtime profile — the M1/laptop set or the server set — by
# measuring what each does to search latency and memory on this store. Profiles are
# settings by environment name, so the winning column goes straight into `.env`.
#
# **Preconditions.** A store with an index (`rrag sync` then `rrag index`). Without a data
# dir the runbook builds a small demo store (offline, hashing embedder). Read-only.
#
# Run it with papermill so the executed copy is the audit record (runs/ is git-ignored):
# ```sh
# .venv/bin/papermill runbooks/runtime_tuning.ipynb \
#   runbooks/runs/runtime_tuning-$(date -u +%Y%m%dT%H%M%SZ).ipynb \
#   -p data_dir ./data -p repeats 20
# ```

# %%
from rrag.ops.demo import seed_demo
from rrag.ops.plots import latency_figure
from rrag.ops.runbook import runbook_settings, show_summary
from rrag.ops.tuning import PROFILES, apply_profile, measure_profile

# %% tags=["parameters"]
data_dir: str = ""  # RRAG_DATA_DIR with an index; empty means build a demo store in a temp dir
embedding_provider: str = "hashing"  # EMBEDDING_PROVIDER the index was built with
demo_issues: int = 300  # size of the demo store when data_dir is ""
queries: list = ["ldap login fails", "printer stuck", "disk full", "slow search"]  # to time
repeats: int = 5  # rounds over the queries per profile

# %%
settings = runbook_settings(data_dir, embedding_provider=embedding_provider)
demo = None if data_dir else seed_demo(settings, demo_issues)
PROFILES

# %% [markdown]
# ## 1. Measure each profile

# %%
results = {
    name: measure_profile(settings, profile, queries, repeats) for name, profile in PROFILES.items()
}
assert all(r["queries"] == len(queries) * repeats for r in results.values())
{
    name: {k: r[k] for k in ("p50_ms", "p95_ms", "mean_ms", "rss_delta_bytes", "py_peak_bytes")}
    for name, r in results.items()
}

# %% [markdown]
# ## 2. Latency histograms

# %%
figure = latency_figure({name: r["samples_ms"] for name, r in results.items()})

# %% [markdown]
# ## Verify
# The profile you pick applies cleanly to the settings.

# %%
chosen = min((r["p95_ms"], name) for name, r in results.items())[1]
tuned = apply_profile(settings, PROFILES[chosen])
assert tuned.retrieval.candidate_multiplier == PROFILES[chosen]["RETRIEVAL_CANDIDATE_MULTIPLIER"]
chosen, PROFILES[chosen]

# %% [markdown]
# ## Rollback
# Profiles are only settings: put the previous values back in `.env` (or the service's
# environment) and restart the API. Nothing on disk changes.

# %% [markdown]
# ## Record
# The last cell prints the run's record on one line (`RUNBOOK-SUMMARY {...}`): the
# papermill tests and the scheduled audit copies read it back.

# %% tags=["summary"]
summary = show_summary(
    profiles={
        n: {k: r[k] for k in ("p50_ms", "p95_ms", "rss_delta_bytes", "py_peak_bytes")}
        for n, r in results.items()
    },
    fastest_p95=chosen,
    demo=demo is not None,
)
