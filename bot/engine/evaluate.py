"""Evaluation over question sets (JSONL, see the shared eval/README.md format).

A retrieved passage *supports* a question when it contains one of the question's evidence phrases,
compared case-insensitively after folding whitespace and typographic quotes. Metrics: recall@1/3/5
and MRR@10 over answerable questions, abstention on out-of-scope questions, false abstention on
answerable ones, and milliseconds per question. Baselines (plain dense, plain BM25) run over the
same index so that the gain shows side by side.
"""

from __future__ import annotations

import json
import re
import statistics
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

from ingest.domain import Answer
from ingest.errors import GuidepostError
from ingest.stores import keyword_terms

from .answer import Engine

EVAL_K = 10
_QUOTES = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"'})
_WS = re.compile(r"\s+")


def fold(text: str) -> str:
    return _WS.sub(" ", text.translate(_QUOTES)).strip().lower()


def supports(passage: str, evidence: Iterable[str]) -> bool:
    p = fold(passage)
    return any(fold(e) in p for e in evidence)


@dataclass
class Question:
    id: str
    question: str
    kind: str
    evidence: list[str]
    source: str | None


def load_questions(paths: Iterable[Path]) -> list[Question]:
    out = []
    for path in paths:
        for lineno, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            try:
                d = json.loads(line)
                out.append(Question(d["id"], d["question"], d.get("kind", "answerable"), d.get("evidence") or [], d.get("source")))
            except (json.JSONDecodeError, KeyError) as exc:
                raise GuidepostError(f"{path}:{lineno}: not a question record ({exc})") from exc
    return out


@dataclass
class Ranked:
    """What a method returned for one question: ranked passages and whether it abstained."""

    passages: list[str]
    abstained: bool
    ms: float
    result: dict[str, Any]


def run_engine(engine: Engine, q: Question) -> Ranked:
    t = time.perf_counter()
    ans: Answer = engine.answer(q.question, k=EVAL_K)
    ms = (time.perf_counter() - t) * 1e3
    return Ranked([s.text for s in ans.sources], ans.abstained, ms, {"id": q.id, **ans.to_dict(), "support": ans.support})


def run_baseline(engine: Engine, q: Question, kind: str) -> Ranked:
    t = time.perf_counter()
    if kind == "dense":
        ids = [cid for cid, _ in engine.retriever.dense(engine.encoder.encode_query(q.question), EVAL_K)]
    elif kind == "bm25":
        ids = [cid for cid, _ in engine.kb.search_keyword(keyword_terms(q.question), EVAL_K)]
    else:
        raise GuidepostError(f"unknown baseline {kind!r}: use dense or bm25")
    chunks = engine.kb.chunks(ids)
    passages = [chunks[i].text for i in ids if i in chunks]
    ms = (time.perf_counter() - t) * 1e3
    return Ranked(passages, False, ms, {"id": q.id, "question": q.question, "abstained": False,
                                        "sources": [{"n": n, "text": p} for n, p in enumerate(passages, 1)]})


def metrics(questions: list[Question], ranked: list[Ranked]) -> dict[str, Any]:
    answerable = [(q, r) for q, r in zip(questions, ranked) if q.kind == "answerable"]
    oos = [(q, r) for q, r in zip(questions, ranked) if q.kind != "answerable"]

    ranks = [first_support_rank(q, r) for q, r in answerable]
    n = max(1, len(answerable))
    out: dict[str, Any] = {
        "questions": len(questions),
        "answerable": len(answerable),
        "out_of_scope": len(oos),
    }
    for k in (1, 3, 5):
        out[f"recall@{k}"] = round(sum(1 for x in ranks if x is not None and x <= k) / n, 4)
    out["mrr@10"] = round(sum(1.0 / x for x in ranks if x is not None) / n, 4)
    out["oos_abstention"] = round(sum(r.abstained for _, r in oos) / max(1, len(oos)), 4) if oos else None
    out["false_abstention"] = round(sum(r.abstained for _, r in answerable) / n, 4)
    ms = [r.ms for r in ranked]
    out["ms_per_question"] = round(statistics.mean(ms), 1) if ms else None
    out["ms_p95"] = round(sorted(ms)[int(0.95 * (len(ms) - 1))], 1) if ms else None
    out["missed"] = [q.id for (q, _), x in zip(answerable, ranks) if x is None or x > 5]
    return out


def evaluate(engine: Engine, questions: list[Question], baselines: Iterable[str] = ()) -> dict[str, Any]:
    engine.warm()
    ranked = [run_engine(engine, q) for q in questions]
    report: dict[str, Any] = {
        "results": [dict(r.result, first_support_rank=first_support_rank(q, r)) for q, r in zip(questions, ranked)],
        "metrics": {"guidepost": metrics(questions, ranked)},
    }
    for kind in baselines:
        report["metrics"][f"baseline_{kind}"] = metrics(questions, [run_baseline(engine, q, kind) for q in questions])
    return report


def first_support_rank(q: Question, r: Ranked) -> int | None:
    """1-based rank of the first passage (within the top EVAL_K) that supports an answerable
    question; None when none does or the question is out of scope."""
    if q.kind != "answerable":
        return None
    for i, p in enumerate(r.passages[:EVAL_K], start=1):
        if supports(p, q.evidence):
            return i
    return None


def metrics_table(report: dict[str, Any]) -> str:
    cols = list(report["metrics"])
    rows = ["recall@1", "recall@3", "recall@5", "mrr@10", "oos_abstention", "false_abstention", "ms_per_question", "ms_p95"]
    width = max(len(c) for c in cols) + 2
    lines = ["metric".ljust(18) + "".join(c.rjust(width) for c in cols)]
    for r in rows:
        vals = []
        for c in cols:
            v = report["metrics"][c].get(r)
            vals.append(("-" if v is None else f"{v:g}").rjust(width))
        lines.append(r.ljust(18) + "".join(vals))
    m = report["metrics"]["guidepost"]
    lines.append(f"questions: {m['questions']} ({m['answerable']} answerable, {m['out_of_scope']} out of scope)")
    if m["missed"]:
        lines.append("not supported in the top 5: " + ", ".join(m["missed"]))
    return "\n".join(lines)
