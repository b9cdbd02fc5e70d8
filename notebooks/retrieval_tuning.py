# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Retrieval tuning
#
# Two questions come up once rrag holds your tracker: "what does it find for *this*
# query?" and "how much searching is enough?". This notebook answers the first with a
# small search form, and the second by measuring hybrid search with different candidate
# pool sizes on labelled queries.
#
# As committed it runs offline on the demo store and its labelled queries (one per
# problem area, each with the issues that report it). Point `data_dir` at an indexed
# store and `queries_file` at your own JSON lines (`{"q": ..., "relevant": [ids]}`) to tune
# on your data. Nothing is written: the settings you pick go into `.env`.

# %%
from pathlib import Path

from rrag.ops.demo import demo_queries, seed_demo
from rrag.ops.plots import modes_figure
from rrag.ops.runbook import ensure_store, runbook_settings, show_summary
from rrag.ops.tables import Table
from rrag.ops.tuning import compare_multipliers, search_explorer
from rrag.retrieval import MODES, Retriever
from rrag.retrieval.evaluate import load_queries

# %% tags=["parameters"]
data_dir: str = ""  # RRAG_DATA_DIR with an index; empty means a demo store in a temp dir
queries_file: str = ""  # JSON lines {"q", "relevant"}; empty means the demo store's queries
multipliers: list = [1, 4, 10]  # RETRIEVAL_CANDIDATE_MULTIPLIER values to compare
k: int = 10  # results per query

# %%
settings = runbook_settings(data_dir)
demo = None if data_dir else seed_demo(settings)
queries = load_queries(Path(queries_file)) if queries_file else demo_queries()
store = ensure_store(settings)
retriever = Retriever(settings, store)
len(queries)

# %% [markdown]
# ## 1. Try it
#
# Type a query, pick a mode and the number of results; the table follows. The form needs
# a live Jupyter front end (run the notebook in JupyterLab).

# %%
explorer = search_explorer(retriever, "cannot sign in with ldap", MODES)
explorer

# %% [markdown]
# Before you touch the form (and in a rendered copy, which has no live form) it shows the
# hybrid results for its default query:

# %%
explorer.result

# %% [markdown]
# ## 2. How big a candidate pool?
#
# Hybrid search asks the lexical and the vector side each for `k * multiplier`
# candidates, then blends them. A small pool is fast but can drop an issue that only one
# side ranks highly; a large pool costs time. The table scores each multiplier on the
# labelled queries: recall@k (the share of relevant issues found), MRR@k (how high the
# first relevant issue is) and nDCG@k (how well the whole list is ordered), with the
# median and 95th percentile latency.

# %%
rows = compare_multipliers(settings, store, queries, multipliers, k)
Table(rows)

# %% [markdown]
# The same scores as bars, one colour per multiplier:

# %%
figure = modes_figure(rows)

# %% [markdown]
# ## 3. Choosing
#
# Take the smallest multiplier whose recall matches the best one: more candidates only
# pay when they find something. Set it as `RETRIEVAL_CANDIDATE_MULTIPLIER` in `.env`.

# %%
best = max(r["recall"] for r in rows)
chosen = next(r["name"] for r in rows if r["recall"] == best)
chosen

# %% [markdown]
# The last cell prints this run's record on one line (`RUNBOOK-SUMMARY {...}`), which the
# tests read back.

# %% tags=["summary"]
store.close()
summary = show_summary(
    queries=len(queries), rows=rows, chosen=chosen, widget_hits=len(explorer.result)
)
