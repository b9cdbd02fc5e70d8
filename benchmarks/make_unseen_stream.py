#!/usr/bin/env python3
"""Writes benchmarks/queries/unseen-stream.jsonl: the speed benchmark's default query stream.

A stream of unique queries, none of which warms anything before it is timed (issue #17): the
speed benchmark times each once, in order, from a fresh process's first query. It is built
reproducibly from the real redmine.org changelog titles in ../shared/data (read here, never
copied into the repo) with ``random.Random(SEED)``:

- ``WORD_BAGS`` bags of 2-8 title words drawn by their frequency in the titles (stop words
  included, as people type them; the synthetic speed corpus draws its words the same way);
- ``FRAGMENTS`` runs of 2-7 consecutive words of a randomly drawn title;
- ``QUESTIONS`` user-phrased questions: a title fragment inside one of the ``TEMPLATES``
  ("how do I ...", "... not working").

Queries are lower-cased words only (punctuation dropped), deduplicated, and none equals or
shares a title with a labelled query of benchmarks/queries (those are for quality, and the
old speed benchmark cycled the 73 original ones). The three kinds are interleaved in a
shuffled order. Nothing is tuned on this stream; it is only timed.

    python benchmarks/make_unseen_stream.py [--check]

``--check`` rebuilds the stream in memory and fails if the committed file differs.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "data" / "redmine-changelog-issues.jsonl"
QUERY_DIR = ROOT / "benchmarks" / "queries"
OUT = QUERY_DIR / "unseen-stream.jsonl"
SEED = 20261217
WORD_BAGS, FRAGMENTS, QUESTIONS = 240, 160, 100
TEMPLATES = (
    "how do i {}",
    "how can i {}",
    "is it possible to {}",
    "why does {} not work",
    "{} not working",
    "where can i find {}",
    "can redmine {}",
    "is there a setting for {}",
    "{} after upgrade",
    "problem with {}",
)
WORD = re.compile(r"[a-z0-9]+")


def title_words() -> list[list[str]]:
    """Each title as its lower-cased words."""
    if not CORPUS.exists():
        raise SystemExit(f"{CORPUS} not found: run from a checkout with ../shared beside it")
    rows = [json.loads(line) for line in CORPUS.read_text().splitlines() if line.strip()]
    return [WORD.findall(r["subject"].lower()) for r in rows]


def labelled() -> set[str]:
    """The labelled queries' texts, normalised like the stream's."""
    seen: set[str] = set()
    for path in sorted(QUERY_DIR.glob("*.jsonl")):
        if path == OUT:
            continue
        for line in path.read_text().splitlines():
            if line.strip():
                seen.add(" ".join(WORD.findall(json.loads(line)["q"].lower())))
    return seen


def build() -> list[str]:
    rng = random.Random(SEED)
    titles = [t for t in title_words() if len(t) >= 2]
    counts = Counter(w for t in titles for w in t)
    words, weights = zip(*sorted(counts.items()), strict=True)
    taken = labelled() | {" ".join(t) for t in titles}  # never a whole title verbatim

    def fragment(low: int, high: int) -> str:
        t = rng.choice(titles)
        n = min(len(t), rng.randint(low, high))
        start = rng.randint(0, len(t) - n)
        return " ".join(t[start : start + n])

    makers = [
        (WORD_BAGS, lambda: " ".join(rng.choices(words, weights, k=rng.randint(2, 8)))),
        (FRAGMENTS, lambda: fragment(2, 7)),
        (QUESTIONS, lambda: rng.choice(TEMPLATES).format(fragment(2, 5))),
    ]
    stream: list[str] = []
    for wanted, make in makers:
        made = 0
        while made < wanted:
            q = make()
            if q not in taken:
                taken.add(q)
                stream.append(q)
                made += 1
    rng.shuffle(stream)
    return stream


def render(stream: list[str]) -> str:
    return "".join(json.dumps({"q": q}) + "\n" for q in stream)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="fail if the file is stale")
    args = parser.parse_args()
    text = render(build())
    if args.check:
        if OUT.read_text() != text:
            print(f"{OUT} differs from what this script builds", file=sys.stderr)
            return 1
        return 0
    OUT.write_text(text)
    print(f"wrote {len(text.splitlines())} queries to {OUT}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
