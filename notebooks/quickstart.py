# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Quickstart
#
# rrag keeps a local copy of a Redmine tracker (issues, notes and wiki pages), indexes
# it, and answers questions about it with links to the issues that say so. This tour
# shows the parts you will use most from Python: getting data in, the three ways to
# search, and "similar issues".
#
# As committed, the notebook runs offline on a demo store: a small invented tracker with
# about 150 issues (a helpdesk, a web shop and an infrastructure team), built in a
# temporary directory. To use your own Redmine, set `redmine_base_url` and
# `api_key_file` in the parameters cell (or run it with papermill and `-p`). The same
# steps from a shell are `rrag sync` and then `rrag search "..."`.

# %%
from rrag.ops.demo import seed_demo
from rrag.ops.diagnostics import health_report
from rrag.ops.plots import jobs_figure
from rrag.ops.runbook import ensure_store, retry_sync, runbook_settings, show_summary
from rrag.ops.tables import hits_table, mapping_table
from rrag.retrieval import Retriever
from rrag.sync.jobs import job_dict, list_jobs

# %% tags=["parameters"]
data_dir: str = ""  # RRAG_DATA_DIR; empty means a demo store in a temp dir
redmine_base_url: str = ""  # REDMINE_BASE_URL to sync from; empty means offline demo data
api_key_file: str = ""  # file with the key (or a REDMINE_API_KEY line)
project_ids: list = []  # projects to sync; empty means every visible project
query: str = "cannot sign in with ldap"  # what to search for

# %%
settings = runbook_settings(data_dir, redmine_base_url, api_key_file)
store = ensure_store(settings)
settings.store.data_dir

# %% [markdown]
# ## 1. Data in
#
# With a Redmine URL, rrag runs a sync job: it pages through the projects' issues and
# journals, stores them in SQLite and then indexes what changed. Offline, the demo store
# is written straight into an empty store and indexed the same way. Either way you get
# counts back: what was stored, and how many chunks (an issue's own text, and each note
# on its own) the index added.

# %%
loaded = (
    retry_sync(settings, store, project_ids or None) if redmine_base_url else seed_demo(settings)
)
mapping_table(loaded if not redmine_base_url else loaded["counters"])

# %% [markdown]
# Every sync is a job with a start, an end and a status; the same jobs are listed by
# `rrag jobs` and `GET /v1/sync/jobs`. The demo store is written without a sync, so
# offline the timeline is empty.

# %%
jobs = [job_dict(j) for j in list_jobs(store, limit=10)]
figure = jobs_figure(jobs)

# %% [markdown]
# ## 2. Three ways to search
#
# **Lexical** search matches the words of the query (ranked by BM25): precise
# when you know the words the reporter used.

# %%
retriever = Retriever(settings, store)
lexical = retriever.search(query, k=5, mode="lexical")
hits_table(lexical)

# %% [markdown]
# **Vector** search compares meanings: the query and every chunk are embedded, and the
# nearest chunks win, so "cannot sign in" can find "login fails". Offline the embedder is
# a hashing stand-in, so here it mostly rewards shared words; a real model (Ollama or an
# OpenAI-compatible server) does better.

# %%
vector = retriever.search(query, k=5, mode="vector")
hits_table(vector)

# %% [markdown]
# **Hybrid**, the default, asks both for candidates and blends their scores. Results are
# per issue: the best chunk leads, with a snippet around the query's words.

# %%
hybrid = retriever.search(query, k=5, mode="hybrid")
hits_table(hybrid, columns=("issue_id", "subject", "score", "snippet"))

# %% [markdown]
# ## 3. Similar issues
#
# Before filing a new issue, look for the old one. `similar` takes an issue and returns
# the issues whose text is nearest to it (the issue itself left out); near-duplicates come
# first.

# %%
top = next(r.issue_id for r in hybrid.results if r.issue_id is not None)
similar = retriever.similar(top, k=5)
hits_table(similar)

# %% [markdown]
# ## 4. Is the store healthy?
#
# The health report checks that SQLite is intact and that the index matches the store (the
# same chunks, the same generation). `rrag ops health` and `GET /healthz` show the same.

# %%
health = health_report(settings)
mapping_table({k: v for k, v in health["consistency"].items() if k != "problems"})

# %% [markdown]
# ## Where next
#
# - `notebooks/retrieval_tuning.ipynb`: try queries interactively and tune the candidate
#   pool.
# - `notebooks/evaluation.ipynb`: measure recall, MRR and nDCG per mode on labelled
#   queries.
# - `runbooks/`: backup, restore, health checks and incident response, as procedures.
# - `rrag serve` starts the HTTP API; `rrag ask "..."` answers with citations.
#
# The demo store lives in a temporary directory and is removed when the kernel exits.

# %% [markdown]
# The last cell prints this run's record on one line (`RUNBOOK-SUMMARY {...}`), which the
# tests read back.

# %% tags=["summary"]
store.close()
hits = {"lexical": lexical, "vector": vector, "hybrid": hybrid}
summary = show_summary(
    live=bool(redmine_base_url),
    hits={mode: len(found.results) for mode, found in hits.items()},
    top=top,
    similar=len(similar.results),
    issues=loaded.get("issues"),
    chunks=health["consistency"]["chunks_in_store"],
)
