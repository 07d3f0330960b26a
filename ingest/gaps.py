"""Knowledge gaps: the questions the knowledge base could not answer, grouped by meaning.

    vectors = encoder.encode([q.text for q in questions])      # unit-length rows
    groups = group_gaps(questions, vectors)                      # newest group first
    {"groups": [g.to_dict() for g in groups]}                    # `guidepost gaps --json`

Grouping is agglomerative clustering with average linkage on cosine similarity: two groups
merge while the mean similarity between their questions is at least `threshold`. Average
linkage keeps a group about one thing (single linkage chains 'reset my email password' to
'email the parents' through a question in between); a threshold rather than a number of
groups, because nobody knows in advance how many gaps there are. numpy only.

DEFAULT_THRESHOLD was chosen on the 18 shared out-of-scope questions plus 27 rewordings of 9
of them (tests/ingest/gap_questions.py; bench/bench_gaps.py prints the sweep). Every rewording
joins its question from 0.35 up to 0.50 and some fall away from 0.55; 0.45 sits inside that
range. At 0.45 the only two different questions put together are the IEP and the Section 504
legal questions (one gap for a coach: special-education law); from 0.50 they stay apart.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np

DEFAULT_THRESHOLD = 0.45


@dataclass(frozen=True)
class GapQuestion:
    """One unanswered question: an abstention or a 👎, as recorded."""

    text: str
    asked_at: datetime
    channel: str | None = None
    reason: str = "abstention"  # or "thumbs_down"
    id: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "text": self.text,
            "asked_at": self.asked_at.isoformat(),
            "channel": self.channel,
            "reason": self.reason,
        }


@dataclass
class GapGroup:
    example: GapQuestion  # the question most like the others in the group
    questions: list[GapQuestion]  # newest first
    handled: bool = False  # set by whoever stores the coach's "mark handled"
    similarity: float = 1.0  # mean cosine between the group's questions (1.0 for one question)
    members: list[int] = field(default_factory=list)  # indexes into the input, newest first

    @property
    def count(self) -> int:
        return len(self.questions)

    @property
    def newest(self) -> datetime:
        return self.questions[0].asked_at

    def to_dict(self) -> dict[str, Any]:
        """The `--json` shape: count, example, questions (texts, newest first), handled."""
        return {
            "count": self.count,
            "example": self.example.text,
            "questions": [q.text for q in self.questions],
            "handled": self.handled,
        }


def group_gaps(
    questions: Sequence[GapQuestion], vectors: np.ndarray, *, threshold: float = DEFAULT_THRESHOLD
) -> list[GapGroup]:
    """Group `questions` (row i of `vectors` embeds question i) by meaning; groups come newest
    first (by their newest question), the questions of a group newest first."""
    vectors = np.asarray(vectors, dtype=np.float64)
    if len(questions) != len(vectors):
        raise ValueError(f"{len(questions)} questions but {len(vectors)} vectors")
    if not questions:
        return []
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    unit = vectors / np.where(norms == 0, 1, norms)
    sim = unit @ unit.T
    groups = []
    for members in cluster(sim, threshold):
        members = sorted(members, key=lambda i: (questions[i].asked_at, i), reverse=True)
        block = sim[np.ix_(members, members)]
        n = len(members)
        centrality = (block.sum(axis=1) - 1) / max(n - 1, 1)
        example = members[int(np.argmax(centrality))] if n > 1 else members[0]
        mean = float((block.sum() - n) / (n * (n - 1))) if n > 1 else 1.0
        groups.append(GapGroup(questions[example], [questions[i] for i in members], similarity=mean, members=members))
    groups.sort(key=lambda g: (g.newest, g.count), reverse=True)
    return groups


def cluster(sim: np.ndarray, threshold: float) -> list[list[int]]:
    """Average-linkage agglomerative clustering of a similarity matrix: merge the two most
    similar clusters while their mean pairwise similarity is at least `threshold`."""
    n = len(sim)
    members: dict[int, list[int]] = {i: [i] for i in range(n)}
    if n < 2:
        return list(members.values())
    link = np.array(sim, dtype=np.float64, copy=True)
    np.fill_diagonal(link, -np.inf)
    active = np.ones(n, dtype=bool)
    while True:
        masked = np.where(active[:, None] & active[None, :], link, -np.inf)
        flat = int(np.argmax(masked))
        a, b = divmod(flat, n)
        if masked[a, b] < threshold:
            break
        na, nb = len(members[a]), len(members[b])
        # Lance-Williams update for average linkage: the merged cluster's mean similarity to k.
        merged = (na * link[a] + nb * link[b]) / (na + nb)
        link[a, :] = merged
        link[:, a] = merged
        link[a, a] = -np.inf
        active[b] = False
        link[b, :] = -np.inf
        link[:, b] = -np.inf
        members[a].extend(members.pop(b))
    return [sorted(m) for m in members.values()]
