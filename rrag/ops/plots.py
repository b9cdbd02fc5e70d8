"""Matplotlib figures for the runbooks: soak iterations, sizes, latency histograms."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import matplotlib.pyplot as plt
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


def latency_figure(samples: dict[str, Sequence[float]]) -> Figure:
    """Overlaid latency histograms (ms), one per profile or mode."""
    fig, ax = plt.subplots(figsize=(7, 3))
    for label, values in samples.items():
        ax.hist(list(values), bins=30, alpha=0.5, label=label)
    ax.set(xlabel="latency (ms)", ylabel="queries", title="search latency")
    ax.legend()
    fig.tight_layout()
    return fig


__all__ = ["latency_figure", "sizes_figure", "soak_figure"]
