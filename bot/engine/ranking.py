"""The learned parts of the engine: how passages are ranked, when to abstain, and which
sentences answer. Each is a small linear model over a handful of signals, fitted to question
sets with `guidepost eval --fit` (and cross-validated with `--folds K`); the fitted weights ship
in `model.json` beside this file.

Ranking: a passage's score is a weighted sum of
  dense     cosine similarity of the question to the passage,
  keyword   its BM25 score divided by the best candidate's,
  coverage  the IDF-weighted share of the question's words in the passage (title, headings),
  window    the best cosine of two consecutive sentences of the passage,
  sentence  the best cosine of one sentence,
fitted with a listwise (softmax) loss, so the weights are those that put a supporting passage
first, not those that separate easy negatives.

Abstention: a logistic model of whether the knowledge base supports the question, from the best
cosine of the top passages and of their best sentence, the share of the question's rare words the
top passages contain, whether the question names something (a capitalised word: "Java", "Ohio")
the knowledge base never mentions, and how much of the question's meaning rests on words the
knowledge base never uses (the question re-embedded without each such word). The score of the
best passage and its margin over the runner-up were measured and left out: they added nothing
under cross-validation. The operating point (the probability under which Guidepost abstains) is
one setting, `GUIDEPOST_MIN_SUPPORT`.

Answer sentences: a sentence's score is a weighted sum of its cosine, its window's cosine, its
keyword coverage and its passage's rank score, fitted the same listwise way on the sentences that
contain the evidence.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np

RANK_FEATURES = ("dense", "keyword", "coverage", "window", "sentence")
ABSTAIN_FEATURES = ("top_dense", "top_sentence", "rare_coverage", "unknown_name", "unknown_weight")
SENTENCE_FEATURES = ("sentence", "window", "coverage", "passage")
MODEL_PATH = Path(__file__).with_name("model.json")


@dataclass
class Linear:
    """score = x · weights + bias, with features named in order."""

    features: tuple[str, ...]
    weights: list[float]
    bias: float = 0.0

    def score(self, x: np.ndarray) -> np.ndarray:
        return np.asarray(x, dtype=np.float64) @ np.asarray(self.weights) + self.bias


@dataclass
class Abstainer:
    """Logistic model of P(the knowledge base supports the question); abstain below `threshold`."""

    model: Linear
    mean: list[float]
    scale: list[float]
    threshold: float = 0.5

    def probability(self, x: np.ndarray) -> np.ndarray:
        z = (np.asarray(x, dtype=np.float64) - np.asarray(self.mean)) / np.asarray(self.scale)
        return 1.0 / (1.0 + np.exp(-self.model.score(z)))


@dataclass
class Model:
    ranker: Linear
    abstainer: Abstainer
    sentences: Linear
    fitted_on: dict = field(default_factory=dict)  # what the weights were fitted to

    @classmethod
    def load(cls, path: Path = MODEL_PATH) -> "Model":
        d = json.loads(Path(path).read_text(encoding="utf-8"))
        a = d["abstainer"]
        return cls(
            ranker=_linear(d["ranker"]),
            abstainer=Abstainer(_linear(a["model"]), a["mean"], a["scale"], a["threshold"]),
            sentences=_linear(d["sentences"]),
            fitted_on=d.get("fitted_on", {}),
        )

    def save(self, path: Path) -> None:
        Path(path).write_text(json.dumps(asdict(self), indent=2) + "\n", encoding="utf-8")


def _linear(d: dict) -> Linear:
    return Linear(tuple(d["features"]), [float(w) for w in d["weights"]], float(d.get("bias", 0.0)))


# -- fitting -------------------------------------------------------------------------------------
def fit_listwise(groups: Sequence[tuple[np.ndarray, np.ndarray]], features: tuple[str, ...], *,
                 l2: float = 1e-3, steps: int = 600, lr: float = 0.05) -> Linear:
    """Weights that maximise, over groups (one per question: candidates' features X and whether
    each supports the answer y), the softmax probability of the supporting candidates. Groups
    without a supporting candidate teach nothing and are skipped. Adam on the mean loss plus
    an L2 penalty."""
    data = [(np.asarray(X, np.float64), np.asarray(y, bool)) for X, y in groups if np.any(y) and len(y) > 1]
    w = np.ones(len(features))
    if not data:
        return Linear(features, w.tolist())
    m = np.zeros_like(w)
    v = np.zeros_like(w)
    for t in range(1, steps + 1):
        g = 2 * l2 * w
        for X, y in data:
            s = X @ w
            e = np.exp(s - s.max())
            p = e / e.sum()
            pos = e[y] / e[y].sum()
            g += ((p[:, None] * X).sum(0) - (pos[:, None] * X[y]).sum(0)) / len(data)
        m = 0.9 * m + 0.1 * g
        v = 0.999 * v + 0.001 * g * g
        w -= lr * (m / (1 - 0.9**t)) / (np.sqrt(v / (1 - 0.999**t)) + 1e-8)
    return Linear(features, w.tolist())


def fit_logistic(X: np.ndarray, y: np.ndarray, features: tuple[str, ...], *, l2: float = 0.1,
                 steps: int = 2000, lr: float = 0.05, threshold: float = 0.5) -> Abstainer:
    """A logistic regression on standardised features, classes weighted to count equally."""
    X = np.asarray(X, np.float64)
    y = np.asarray(y, np.float64)
    mean, scale = X.mean(0), X.std(0) + 1e-6
    Z = (X - mean) / scale
    pos = max(1.0, y.sum())
    neg = max(1.0, len(y) - y.sum())
    sw = np.where(y > 0, 0.5 / pos, 0.5 / neg)
    w = np.zeros(Z.shape[1])
    b = 0.0
    for _ in range(steps):
        p = 1 / (1 + np.exp(-(Z @ w + b)))
        r = (p - y) * sw
        w -= lr * (Z.T @ r + 2 * l2 * w / len(y)) * 10
        b -= lr * r.sum() * 10
    return Abstainer(Linear(features, w.tolist(), float(b)), mean.tolist(), scale.tolist(), threshold)
