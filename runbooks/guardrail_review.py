# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Runbook: guardrail review
#
# **Purpose.** Review what the guardrails caught: counters per kind, the newest events with
# their reason and context, where planted text was found and whether it looks like a
# red-team test or an attack, and a rerun of the red-team regression set (every planted
# instruction flagged, no benign ticket text flagged).
#
# **Red-team or attack?** A place (an issue with its notes, a wiki page, the questions
# asked) is called *red-team* when many rules fired there at once (`burst`), its text holds
# a published payload (`known_payload`: the red-team suite's, the regression set's, BIPIA's
# when `bipia_dir` is given) or its project is a test project (`test_project`: a word such
# as test, sandbox, redteam, qa in its identifier or name, or listed in `test_projects`);
# otherwise *attack*. It orders the review; it is not proof. For an attack: open the issue
# in Redmine, see who wrote the text, remove it there (the next sync drops it), and rotate
# any secret an `unsafe_content` event names.
#
# **Preconditions.** None; read-only.
#
# Run it with papermill so the executed copy is the audit record (runs/ is git-ignored):
# ```sh
# .venv/bin/papermill runbooks/guardrail_review.ipynb \
#   runbooks/runs/guardrail_review-$(date -u +%Y%m%dT%H%M%SZ).ipynb \
#   -p data_dir ./data
# ```

# %%
from pathlib import Path

from rrag.ops.guardrail_review import guardrail_counters, recent_events, red_team_run, triage
from rrag.ops.runbook import ensure_store, runbook_settings, show_summary
from rrag.ops.tables import Table, mapping_table

# %% tags=["parameters"]
data_dir: str = ""  # RRAG_DATA_DIR; empty means an empty demo store in a temp dir
limit: int = 20  # how many recent events to show
since: str = ""  # ISO time (UTC): only events seen since then; empty means all
test_projects: list = []  # project identifiers that hold red-team tests
bipia_dir: str = ""  # BIPIA payload files, to recognise them; empty means without

# %%
settings = runbook_settings(data_dir)
store = ensure_store(settings)
payloads = Path(bipia_dir) if bipia_dir else None
settings.store.data_dir

# %% [markdown]
# ## 1. Counters per kind

# %%
counters = guardrail_counters(store)
assert set(counters) >= {"prompt_injection"}, counters
mapping_table(counters, key="kind", value="events")

# %% [markdown]
# ## 2. Recent events with reason and context

# %%
events = recent_events(store, limit)
assert len(events) <= limit and len(events) <= sum(counters.values())
Table(events, columns=("last_seen_at", "kind", "rule", "source", "seen", "detail"))

# %% [markdown]
# ## 3. Where planted text was found: red-team test or attack?

# %%
reviews = triage(store, since or None, test_projects, payloads)
assert all(r.verdict in ("red-team", "attack") and r.seen > 0 for r in reviews), reviews
Table(reviews, columns=("where", "project", "verdict", "reasons", "rules", "seen", "last_seen"))

# %% [markdown]
# ## 4. Red-team regression run

# %%
red_team = red_team_run()
assert not red_team["missed"], red_team["missed"]
red_team

# %% [markdown]
# ## Verify
# No false alarms on benign ticket text.

# %%
assert not red_team["false_alarms"], red_team["false_alarms"]

# %% [markdown]
# ## Rollback
# Read-only: nothing to roll back. A detector change that fails step 4 is reverted in git, not here.

# %% [markdown]
# ## Record
# The last cell prints the run's record on one line (`RUNBOOK-SUMMARY {...}`): the
# papermill tests and the scheduled audit copies read it back.

# %% tags=["summary"]
store.close()
summary = show_summary(
    counters=counters,
    recent=len(events),
    kinds_recent=sorted({e["kind"] for e in events}),
    verdicts={r.where: r.verdict for r in reviews},
    reasons={r.where: r.reasons for r in reviews},
    missed=red_team["missed"],
    false_alarms=red_team["false_alarms"],
)
