"""Matplotlib figures for the runbooks and tutorials: soak iterations, store sizes,
latency histograms, quality by retrieval mode and sync job timelines."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure


def soak_figure(report: dict[str, Any]) -> Figure:
    """RSS and storage per soak iteration (MiB), with the RSS ceiling after warm-up."""
    rows = report["iterations"]
    its = [r["iteration"] for r in rows]
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.5))
    left.plot(its, [r["rss_bytes"] / 2**20 for r in rows], marker="o", label="RSS")
    verdict = report["verdict"]
    ceiling = verdict["rss_warm_bytes"] * (1 + report["config"]["max_rss_growth"]) / 2**20
    left.axhline(ceiling, color="red", linestyle="--", label="ceiling after warm-up")
    left.set(xlabel="iteration", ylabel="MiB", title="process RSS")
    left.legend()
    right.plot(its, [r["db_bytes"] / 2**20 for r in rows], marker="o", label="database")
    right.plot(its, [r["index_bytes"] / 2**20 for r in rows], marker="s", label="index")
    right.set(xlabel="iteration", ylabel="MiB", title="store size")
    right.legend()
    fig.tight_layout()
    return fig


def sizes_figure(before: dict[str, int], after: dict[str, int]) -> Figure:
    """Bar chart of file sizes before and after maintenance (KiB)."""
    names = list(before)
    fig, ax = plt.subplots(figsize=(7, 3))
    xs = range(len(names))
    ax.bar([x - 0.2 for x in xs], [before[n] / 1024 for n in names], width=0.4, label="before")
    ax.bar([x + 0.2 for x in xs], [after[n] / 1024 for n in names], width=0.4, label="after")
    ax.set_xticks(list(xs), names)
    ax.set(ylabel="KiB", title="store files")
    ax.legend()
    fig.tight_layout()
    return fig


def latency_figure(samples: Mapping[str, Sequence[float]]) -> Figure:
    """Overlaid latency histograms (ms), one per profile or mode, on shared bins."""
    fig, ax = plt.subplots(figsize=(7, 3))
    everything = [v for values in samples.values() for v in values]
    bins: list[float] | int = np.histogram_bin_edges(everything, 30).tolist() if everything else 30
    for label, values in samples.items():
        ax.hist(list(values), bins=bins, alpha=0.5, label=label)
    ax.set(xlabel="latency (ms)", ylabel="queries", title="search latency")
    ax.legend()
    fig.tight_layout()
    return fig


METRICS = {"recall": "recall@k", "mrr": "MRR@k", "ndcg": "nDCG@k"}


def modes_figure(rows: Sequence[Mapping[str, Any]], metrics: Mapping[str, str] = METRICS) -> Figure:
    """Grouped bars: each metric (recall@k, MRR@k, nDCG@k) for each evaluated row."""
    fig, ax = plt.subplots(figsize=(7, 3))
    width = 0.8 / len(rows)
    for n, row in enumerate(rows):
        xs = [m + n * width - 0.4 + width / 2 for m in range(len(metrics))]
        bars = ax.bar(xs, [row[m] for m in metrics], width=width, label=str(row["name"]))
        ax.bar_label(bars, fmt="%.2f", fontsize=8)
    ax.set_xticks(range(len(metrics)), list(metrics.values()))
    ax.set(ylim=(0, 1.3), ylabel="score (higher is better)", title="search quality")
    ax.legend(loc="upper center", ncol=len(rows), frameon=False)
    fig.tight_layout()
    return fig


STATUS_COLOURS = {"finished": "tab:green", "failed": "tab:red", "running": "tab:blue"}


def _when(stamp: str) -> float:
    return float(mdates.date2num(datetime.fromisoformat(stamp)))


def _job_label(job: Mapping[str, Any]) -> str:
    projects = ",".join(str(p) for p in job.get("project_ids") or []) or "all"
    return f"{job['kind']} {job['mode']} (projects {projects})"


def jobs_figure(jobs: Sequence[Mapping[str, Any]]) -> Figure:
    """A timeline of jobs (one bar from start to finish each, coloured by status)."""
    fig, ax = plt.subplots(figsize=(8, 1.2 + 0.4 * len(jobs)))
    if not jobs:
        ax.text(0.5, 0.5, "no jobs yet", ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()
    for n, job in enumerate(jobs):
        start = _when(job["started_at"] or job["created_at"])
        end = _when(job["finished_at"]) if job.get("finished_at") else start
        colour = STATUS_COLOURS.get(job["status"], "tab:gray")
        ax.barh(n, max(end - start, 1e-6), left=start, color=colour, label=job["status"])
    ax.set_yticks(range(len(jobs)), [_job_label(j) for j in jobs])
    locator = mdates.AutoDateLocator()
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    handles, labels = ax.get_legend_handles_labels()
    by_status = dict(zip(labels, handles, strict=True))  # one legend entry per status
    if by_status:
        ax.legend(by_status.values(), by_status.keys(), loc="upper left", bbox_to_anchor=(1, 1))
    ax.set(title="sync and extract jobs", xlabel="time (UTC)")
    fig.tight_layout()
    return fig


__all__ = ["jobs_figure", "latency_figure", "modes_figure", "sizes_figure", "soak_figure"]
