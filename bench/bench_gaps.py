"""Gap grouping: the threshold sweep on the shared out-of-scope questions plus rewordings of
them, and the grouping of the 18 shared out-of-scope questions at the chosen threshold.

    python bench/bench_gaps.py [--shared ../shared]

Pair precision: of the question pairs put in one group, the share that are the same gap.
Pair recall: of the pairs that are the same gap, the share put in one group.
"""

from __future__ import annotations

import argparse
import itertools
import os
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from ingest.embeddings import Encoder  # noqa: E402
from ingest.gaps import DEFAULT_THRESHOLD, GapQuestion, cluster, group_gaps  # noqa: E402
from tests.ingest.gap_questions import labelled, shared_out_of_scope  # noqa: E402


def pair_scores(groups: list[list[int]], labels: list[str]) -> tuple[float, float]:
    together = {frozenset(p) for g in groups for p in itertools.combinations(g, 2)}
    same = {frozenset(p) for p in itertools.combinations(range(len(labels)), 2) if labels[p[0]] == labels[p[1]]}
    precision = len(together & same) / len(together) if together else 1.0
    recall = len(together & same) / len(same) if same else 1.0
    return precision, recall


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    args = ap.parse_args()
    encoder = Encoder()
    texts, labels = labelled(args.shared)
    vec = encoder.encode(texts)
    sim = vec @ vec.T
    same = np.array([[a == b for b in labels] for a in labels])
    off = ~np.eye(len(labels), dtype=bool)
    print(f"questions {len(texts)} ({len(set(labels))} gaps)")
    print(f"cosine, same gap:      min {sim[same & off].min():.2f}  mean {sim[same & off].mean():.2f}")
    print(f"cosine, different gap: max {sim[~same].max():.2f}  mean {sim[~same].mean():.2f}")
    print("threshold  groups  pair-precision  pair-recall  F1")
    for t in np.arange(0.30, 0.81, 0.05):
        groups = cluster(sim, float(t))
        p, r = pair_scores(groups, labels)
        f1 = 2 * p * r / (p + r) if p + r else 0.0
        mark = "  <- default" if abs(t - DEFAULT_THRESHOLD) < 1e-9 else ""
        print(f"  {t:.2f}     {len(groups):>4}      {p:.3f}        {r:.3f}     {f1:.3f}{mark}")

    oos = shared_out_of_scope(args.shared)
    start = datetime(2026, 11, 1, tzinfo=timezone.utc)
    questions = [GapQuestion(q, start + timedelta(hours=i), id=qid) for i, (qid, q) in enumerate(oos)]
    groups = group_gaps(questions, encoder.encode([q.text for q in questions]))
    print(f"shared out-of-scope questions: {len(questions)} -> {len(groups)} groups at threshold {DEFAULT_THRESHOLD}")
    for g in groups:
        if g.count > 1:
            print(f"  {g.count}: " + " | ".join(q.text for q in g.questions))


if __name__ == "__main__":
    main()
