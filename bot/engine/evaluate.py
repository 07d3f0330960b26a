"""Evaluation over question sets (JSONL: docs/eval-format.md).

A retrieved passage *supports* a question when it contains one of the question's evidence phrases,
compared case-insensitively after folding whitespace and typographic quotes. Metrics: recall@1/3/5
and MRR@10 over answerable questions (an abstention counts as a miss), abstention on out-of-scope
questions, false abstention on answerable ones, answer_has_evidence (the answer text itself
contains an evidence phrase), and milliseconds per question. Baselines (plain dense, plain BM25)
run over the same index so that the gain shows side by side.

The engine's ranker, abstention model and sentence scorer are fitted to question sets
(`fit_model`); `cross_validate` reports what they do on questions they were not fitted to: the
questions are split into K folds, and each fold is answered by a model fitted on the others.
"""

from __future__ import annotations

import json
import random
import re
import statistics
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

import numpy as np

from ingest.domain import Answer
from ingest.errors import GuidepostError
from ingest.stores import keyword_terms

from .answer import Engine
from .ranking import ABSTAIN_FEATURES, RANK_FEATURES, SENTENCE_FEATURES, Model, fit_listwise, fit_logistic
from .retrieval import Retrieval

EVAL_K = 10
INNER_FOLDS = 4
MAX_FALSE_REFUSAL = 0.06  # the operating point refuses at most this share of answerable questions
_QUOTES = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"'})
_WS = re.compile(r"\s+")
_MARKS = re.compile(r"\[\d+\]|•")


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
    """What a method returned for one question: ranked passages, whether it abstained, and the
    answer text (None for a baseline, which writes none)."""

    passages: list[str]
    abstained: bool
    ms: float
    result: dict[str, Any]
    answer: str | None = None
    support: float = 0.0


def answer_text_has(answer: str, evidence: Iterable[str]) -> bool:
    """Whether the text a teacher reads ([n] marks and bullets removed) contains an evidence phrase."""
    return supports(_MARKS.sub(" ", answer), evidence)


def run_engine(engine: Engine, q: Question) -> Ranked:
    t = time.perf_counter()
    ans: Answer = engine.answer(q.question, k=EVAL_K)
    ms = (time.perf_counter() - t) * 1e3
    # An abstention shows the closest material, but it answers nothing: no passage counts.
    passages = [] if ans.abstained else [s.text for s in ans.sources]
    return Ranked(passages, ans.abstained, ms, {"id": q.id, **ans.to_dict(), "support": ans.support},
                  "" if ans.abstained else ans.text, ans.support)


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
    if all(r.answer is not None for _, r in answerable):
        out["answer_has_evidence"] = round(sum(answer_text_has(r.answer or "", q.evidence) for q, r in answerable) / n, 4)
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
        "tradeoff": tradeoff(questions, ranked, engine.min_support),
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
    rows = ["recall@1", "recall@3", "recall@5", "mrr@10", "oos_abstention", "false_abstention", "answer_has_evidence",
            "ms_per_question", "ms_p95"]
    width = max(len(c) for c in cols) + 2
    lines = ["metric".ljust(20) + "".join(c.rjust(width) for c in cols)]
    for r in rows:
        vals = []
        for c in cols:
            v = report["metrics"][c].get(r)
            vals.append(("-" if v is None else f"{v:g}").rjust(width))
        lines.append(r.ljust(20) + "".join(vals))
    m = report["metrics"]["guidepost"]
    lines.append(f"questions: {m['questions']} ({m['answerable']} answerable, {m['out_of_scope']} out of scope)")
    if m["missed"]:
        lines.append("not supported in the top 5: " + ", ".join(m["missed"]))
    return "\n".join(lines)


def tradeoff_table(report: dict[str, Any]) -> str:
    lines = ["abstention trade-off (threshold on P(supported)): answerable refused / out-of-scope refused"]
    for row in report.get("tradeoff", []):
        mark = "  <- operating point" if row.get("chosen") else ""
        lines.append(f"  {row['threshold']:.2f}   {row['false_abstention']:.2f} / {row['oos_abstention']:.2f}{mark}")
    return "\n".join(lines)


# -- fitting and cross-validation ----------------------------------------------------------------
@dataclass
class Gathered:
    """One question's candidates and signals, gathered once and re-ranked by each fold's model."""

    question: Question
    retrieval: Retrieval
    labels: list[bool] = field(default_factory=list)  # per candidate: does it support the question


def gather(engine: Engine, questions: list[Question]) -> list[Gathered]:
    out = []
    for q in questions:
        r = engine.retriever.gather(q.question)
        labels = [q.kind == "answerable" and supports(h.chunk.text, q.evidence) for h in r.candidates]
        out.append(Gathered(q, r, labels))
    return out


def _sentence_groups(engine: Engine, ranked: list[tuple[Gathered, Retrieval]]) -> list[tuple[np.ndarray, np.ndarray]]:
    groups = []
    for g, r in ranked:
        if g.question.kind != "answerable":
            continue
        cands = engine.sentence_candidates(r)
        if not cands:
            continue
        labels = []
        for c in cands:
            text = r.hits[c.hit].chunk.text
            nxt = [o for o in cands if o.hit == c.hit and o.unit.start > c.unit.start]
            end = min((o.unit.end for o in nxt), default=c.unit.end)
            labels.append(supports(text[c.unit.start : end], g.question.evidence))
        groups.append((np.array([c.features(r.hits) for c in cands]), np.array(labels)))
    return groups


def choose_threshold(p_answerable: np.ndarray, p_oos: np.ndarray) -> float:
    """The operating point: of the thresholds that refuse at most MAX_FALSE_REFUSAL of the
    answerable questions (a teacher left without an answer is the costlier error), the one that
    refuses the most out-of-scope questions, and the lowest of those. The cap sits under the
    10% the product allows because the probabilities it is chosen on come from inner folds and
    refusals grow a little on new questions."""
    grid = np.round(np.arange(0.05, 0.96, 0.01), 2)
    allowed = [t for t in grid if np.mean(p_answerable < t) <= MAX_FALSE_REFUSAL] or [grid[0]]
    refused = [np.mean(p_oos < t) if len(p_oos) else 0.0 for t in allowed]
    return float(allowed[int(np.argmax(refused))])  # argmax: the first, so the lowest, of the best


def fit_model(engine: Engine, data: list[Gathered]) -> Model:
    """Fit the ranker on every candidate of the answerable questions; then, ranking with it, the
    abstention model (answerable vs out-of-scope) and the sentence scorer."""
    k = EVAL_K
    ranker = fit_listwise([(np.array([h.features(g.retrieval.best_keyword) for h in g.retrieval.candidates]),
                            np.array(g.labels)) for g in data if g.question.kind == "answerable" and g.labels],
                          RANK_FEATURES)
    model = Model.load()
    model.ranker = ranker
    previous = engine.model
    engine.use_model(model)
    try:
        ranked = [(g, engine.retriever.rank(g.retrieval, k)) for g in data]
        X = np.array([engine.signals(r) for _, r in ranked])
        y = np.array([g.question.kind == "answerable" for g, _ in ranked])
        abstainer = fit_logistic(X, y, ABSTAIN_FEATURES)
        # The operating point is chosen on probabilities of questions each inner model was not
        # fitted to: in-sample probabilities are over-confident and would set it too low.
        p = np.zeros(len(y))
        for inner in folds_of([g.question for g, _ in ranked], INNER_FOLDS, seed=1):
            rest = np.setdiff1d(np.arange(len(y)), inner)
            p[inner] = fit_logistic(X[rest], y[rest], ABSTAIN_FEATURES).probability(X[inner])
        abstainer.threshold = choose_threshold(p[y], p[~y])
        model.abstainer = abstainer
        model.sentences = fit_listwise(_sentence_groups(engine, ranked), SENTENCE_FEATURES)
    finally:
        engine.use_model(previous)
    model.fitted_on = {"questions": len(data), "answerable": int(sum(g.question.kind == "answerable" for g in data))}
    return model


def folds_of(questions: list[Question], k: int, seed: int = 0) -> list[list[int]]:
    """K folds, answerable and out-of-scope questions spread evenly."""
    out: list[list[int]] = [[] for _ in range(k)]
    for kind in ("answerable", "out_of_scope"):
        idx = [i for i, q in enumerate(questions) if (q.kind == "answerable") == (kind == "answerable")]
        random.Random(seed).shuffle(idx)
        for j, i in enumerate(idx):
            out[j % k].append(i)
    return out


def cross_validate(engine: Engine, questions: list[Question], k: int, seed: int = 0,
                   train_also: list[Question] = ()) -> dict[str, Any]:
    """Answer each fold with a model fitted on the other folds; metrics over all held-out answers,
    and the abstention trade-off over the held-out probabilities. `train_also` questions join
    every fold's fitting and are never scored (our own development questions: more examples,
    above all of out-of-scope ones, than a shared set holds)."""
    engine.warm()
    data = gather(engine, questions)
    extra = gather(engine, list(train_also))
    ranked: list[Ranked | None] = [None] * len(questions)
    previous = engine.model
    thresholds = []
    try:
        for fold in folds_of(questions, k, seed):
            held = set(fold)
            model = fit_model(engine, [d for i, d in enumerate(data) if i not in held] + extra)
            thresholds.append(model.abstainer.threshold)
            engine.use_model(model)
            for i in fold:
                ranked[i] = run_engine(engine, questions[i])
    finally:
        engine.use_model(previous)
    results: list[Ranked] = [r for r in ranked if r is not None]
    report: dict[str, Any] = {
        "results": [dict(r.result, first_support_rank=first_support_rank(q, r)) for q, r in zip(questions, results)],
        "metrics": {"guidepost": metrics(questions, results)},
        "folds": k,
        "trained_also": len(extra),
        "thresholds": thresholds,
    }
    # Each fold's probabilities come from its own model: the curve pools them, the operating
    # point marked is the median of the folds' chosen thresholds.
    report["tradeoff"] = tradeoff(questions, results, float(np.median(thresholds)))
    return report


def tradeoff(questions: list[Question], ranked: list[Ranked], chosen: float) -> list[dict[str, Any]]:
    p_ans = np.array([r.support for q, r in zip(questions, ranked) if q.kind == "answerable"])
    p_oos = np.array([r.support for q, r in zip(questions, ranked) if q.kind != "answerable"])
    chosen = round(chosen, 2)
    return [
        {"threshold": t, "false_abstention": round(float(np.mean(p_ans < t)) if len(p_ans) else 0.0, 3),
         "oos_abstention": round(float(np.mean(p_oos < t)) if len(p_oos) else 0.0, 3), "chosen": abs(t - chosen) < 1e-9}
        for t in sorted({0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, chosen})
    ]
