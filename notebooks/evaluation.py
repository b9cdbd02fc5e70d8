# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Evaluation
#
# How good is search, and which mode should you use? This notebook scores rrag's three
# modes on labelled queries (queries whose relevant issues are known) and, when you give
# it a Redmine, Redmine's own search as the baseline to beat.
#
# Three numbers per mode, each between 0 and 1, higher is better, over the first `k`
# results:
# - **recall@k**: the share of the relevant issues that were found;
# - **MRR@k**: one over the rank of the first relevant issue (1 when it comes first);
# - **nDCG@k**: how well the whole list is ordered, relevant issues near the top.
#
# As committed it runs offline on the demo store and its queries. For your tracker, pass
# `data_dir` (an indexed store) and `queries_file` (`benchmarks/queries/*.jsonl` fit the
# synced changelog corpus); `rrag eval` runs the same from a shell.

# %%
from pathlib import Path

import httpx

from rrag.ops.demo import demo_queries, seed_demo
from rrag.ops.plots import latency_figure, modes_figure
from rrag.ops.runbook import ensure_store, read_key_file, runbook_settings, show_summary
from rrag.ops.tables import Table
from rrag.ops.tuning import latency_samples
from rrag.retrieval import MODES, Retriever
from rrag.retrieval.evaluate import evaluate, load_queries, redmine_search, retriever_ranker

# %% tags=["parameters"]
data_dir: str = ""  # RRAG_DATA_DIR with an index; empty means a demo store in a temp dir
queries_file: str = ""  # JSON lines {"q", "relevant"}; empty means the demo store's queries
redmine_base_url: str = ""  # also evaluate Redmine's /search.json; empty means skip
api_key_file: str = ""  # file with the key (or a REDMINE_API_KEY line)
k: int = 10  # cut-off for recall, MRR and nDCG

# %%
settings = runbook_settings(data_dir, redmine_base_url, api_key_file)
demo = None if data_dir else seed_demo(settings)
queries = load_queries(Path(queries_file)) if queries_file else demo_queries()
store = ensure_store(settings)
retriever = Retriever(settings, store)

# %% [markdown]
# ## 1. The labelled queries
#
# Each query is written the way a user would ask, not in the issues' own words, and comes
# with the issues that answer it.

# %%
Table([{"query": q.q, "relevant issues": len(q.relevant)} for q in queries])

# %% [markdown]
# ## 2. rrag's three modes
#
# Every query runs through each mode; the table holds the means, with the median and 95th
# percentile time per query.

# %%
rows = [evaluate(mode, retriever_ranker(retriever, mode), queries, k).as_dict() for mode in MODES]
Table(rows)

# %%
figure = modes_figure(rows)

# %% [markdown]
# ## 3. Redmine's own search (the baseline)
#
# With `redmine_base_url` and `api_key_file` set, the same queries go to Redmine's
# `/search.json`, which matches words in subjects and descriptions. Offline this step is
# skipped.

# %%
http = (
    httpx.Client(
        base_url=redmine_base_url,
        timeout=30,
        headers={"X-Redmine-API-Key": read_key_file(api_key_file)},
    )
    if redmine_base_url
    else None
)
baseline = evaluate("redmine", redmine_search(http), queries, k).as_dict() if http else None
Table([baseline] if baseline else [], columns=list(rows[0]))

# %% [markdown]
# ## 4. Latency per mode
#
# Means hide the slow queries; the histograms show every query's time. Lexical search
# reads the term index, vector search the embeddings, and hybrid does both.

# %%
figure = latency_figure(latency_samples(retriever, queries, MODES, k))

# %% [markdown]
# ## Reading the results
#
# Pick the mode with the best nDCG unless its latency is out of budget. On the demo
# store the offline hashing embedder only rewards shared words, so vector search trails;
# with a real embedding model the vector and hybrid modes find issues worded differently
# from the query.

# %% [markdown]
# The last cell prints this run's record on one line (`RUNBOOK-SUMMARY {...}`), which the
# tests read back.

# %% tags=["summary"]
store.close()
if http:
    http.close()
summary = show_summary(queries=len(queries), modes={r["name"]: r for r in rows}, baseline=baseline)
