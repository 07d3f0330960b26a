"""The same sentence-transformers model run by ONNX Runtime (`GUIDEPOST_ENCODER=onnx|onnx-int8`).

The transformer is exported once, locally, from the packaged weights (`torch.onnx.export`;
nothing is downloaded) into `data_dir/models/<model>-onnx/model.onnx`; `onnx-int8` quantises
that export (dynamic int8 weights per channel, `onnxruntime.quantization`; per channel
keeps 1-cos to torch near 0.005-0.01 where per tensor gave 0.03-0.13) into `<model>-onnx-int8/`. The
export runs under a file lock, into a temporary folder renamed into place when complete, so
two processes never race and a killed export leaves nothing half-written. A `manifest.json`
beside the model names the weights it came from: a changed model folder is exported again.

The graph returns the last hidden state; pooling (mean over the attention mask) and L2
normalisation are done here with numpy, as sentence-transformers does them for this model, so
the token vectors are at hand for `Encoder.encode_with_spans`.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
import threading
from pathlib import Path
from typing import Sequence

import numpy as np

from .errors import IndexUnavailable
from .stores.files import ensure_private_dir
from .stores.lock import WriteLock

log = logging.getLogger(__name__)

INPUTS = ("input_ids", "attention_mask", "token_type_ids")
OUTPUT = "last_hidden_state"
OPSET = 17
EXPORT_WAIT_S = 600.0  # an export takes seconds; a quantised one under a minute
EXPORT_VERSION = 1  # bump when the way the model is exported changes: caches are redone


def fingerprint(model_path: Path) -> str:
    """What the export depends on: the model's config and weight files (names, sizes, mtimes)
    and how we export. Cheap: no weight is read."""
    h = hashlib.sha256(f"export {EXPORT_VERSION} opset {OPSET}\0".encode())
    for name in ("config.json", "model.safetensors", "pytorch_model.bin", "tokenizer.json"):
        f = model_path / name
        if f.is_file():
            st = f.stat()
            h.update(f"{name}\0{st.st_size}\0{int(st.st_mtime)}\0".encode())
    h.update((model_path / "config.json").read_bytes() if (model_path / "config.json").is_file() else b"")
    return h.hexdigest()[:16]


class OnnxModel:
    """A cached ONNX export of a sentence-transformers BERT-like model, with two ONNX Runtime
    sessions opened on demand: one for batches (`threads` threads, 0 = ORT's default) and one
    on a single thread for questions (see `Encoder.encode_query`)."""

    def __init__(self, model_path: Path, cache_dir: Path, model_id: str, *, quantized: bool = False,
                 threads: int = 0) -> None:  # fmt: skip
        self.model_path = Path(model_path)
        self.cache_dir = Path(cache_dir)
        self.model_id = model_id
        self.quantized = quantized
        self.threads = threads
        self._sessions: dict[int, object] = {}
        self._lock = threading.Lock()

    # --- the files -------------------------------------------------------------------------

    def folder(self, quantized: bool | None = None) -> Path:
        q = self.quantized if quantized is None else quantized
        return self.cache_dir / f"{self.model_id}-onnx{'-int8' if q else ''}"

    @property
    def path(self) -> Path:
        return self.folder() / "model.onnx"

    def _current(self, folder: Path, fp: str) -> bool:
        try:
            manifest = json.loads((folder / "manifest.json").read_text())
        except (OSError, ValueError):
            return False
        return manifest.get("fingerprint") == fp and (folder / "model.onnx").is_file()

    def ensure(self) -> Path:
        """The model file, exported (and quantised) first if the cache lacks it or is stale."""
        fp = fingerprint(self.model_path)
        target = self.folder()
        if self._current(target, fp):
            return self.path
        import importlib.util

        if importlib.util.find_spec("onnx") is None:  # the exporter and the quantiser need it
            raise IndexUnavailable("GUIDEPOST_ENCODER=onnx needs the onnx package to export the model: "
                                   "run `make install` (or `pip install onnx`), or set GUIDEPOST_ENCODER=torch")  # fmt: skip
        ensure_private_dir(self.cache_dir)
        lock = WriteLock(self.cache_dir, EXPORT_WAIT_S, name=f"{self.model_id}-onnx.lock")
        with lock.hold("export the ONNX model"):  # one process exports; the others wait, then reuse it
            fp32 = self.folder(False)
            if not self._current(fp32, fp):  # another process may have made it while we waited
                self._build(fp32, fp, self._export)
            if self.quantized and not self._current(target, fp):
                self._build(target, fp, lambda tmp: self._quantize(fp32 / "model.onnx", tmp / "model.onnx"))
        return self.path

    def _build(self, folder: Path, fp: str, make) -> None:
        tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}-", dir=self.cache_dir))
        try:
            make(tmp)
            (tmp / "manifest.json").write_text(json.dumps({
                "fingerprint": fp, "model": self.model_id, "source": str(self.model_path),
                "quantized": folder.name.endswith("-int8"), "opset": OPSET, "export_version": EXPORT_VERSION,
            }, indent=1))  # fmt: skip
            if folder.exists():
                shutil.rmtree(folder)
            os.rename(tmp, folder)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise

    def _export(self, out: Path) -> None:
        """torch.onnx.export of the transformer (the TorchScript exporter: it needs only the
        `onnx` package). Eager attention, and a padded example batch, so that the traced graph
        keeps the attention mask for every batch."""
        import warnings

        import torch
        import transformers
        from transformers import AutoModel

        transformers.utils.logging.disable_progress_bar()
        transformers.utils.logging.set_verbosity_error()
        log.info("exporting %s to ONNX in %s (once)", self.model_id, out)
        model = AutoModel.from_pretrained(str(self.model_path), local_files_only=True, attn_implementation="eager").eval()

        class LastHidden(torch.nn.Module):
            def __init__(self, inner):
                super().__init__()
                self.inner = inner

            def forward(self, input_ids, attention_mask, token_type_ids):
                return self.inner(input_ids=input_ids, attention_mask=attention_mask,
                                  token_type_ids=token_type_ids).last_hidden_state  # fmt: skip

        ids = torch.tensor([[101, 2023, 2003, 1037, 3231, 102], [101, 3231, 102, 0, 0, 0]], dtype=torch.long)
        mask = (ids != 0).long()
        dynamic = {name: {0: "batch", 1: "tokens"} for name in (*INPUTS, OUTPUT)}
        with warnings.catch_warnings(), torch.no_grad():
            warnings.simplefilter("ignore")  # the legacy exporter's and the tracer's notices
            torch.onnx.export(
                LastHidden(model), (ids, mask, torch.zeros_like(ids)), str(out / "model.onnx"), dynamo=False,
                input_names=list(INPUTS), output_names=[OUTPUT], dynamic_axes=dynamic, opset_version=OPSET,
                do_constant_folding=True,
            )  # fmt: skip

    @staticmethod
    def _quantize(src: Path, dst: Path) -> None:
        from onnxruntime.quantization import QuantType, quantize_dynamic

        log.info("quantising %s to int8", src)
        root = logging.getLogger()
        level = root.level
        root.setLevel(logging.ERROR)  # its advice to pre-process is logged on the root logger
        try:
            quantize_dynamic(str(src), str(dst), weight_type=QuantType.QInt8, per_channel=True)
        finally:
            root.setLevel(level)

    # --- running ---------------------------------------------------------------------------

    def session(self, threads: int | None = None):
        """An ONNX Runtime session on `threads` threads (None = the configured number)."""
        n = self.threads if threads is None else threads
        with self._lock:
            if n not in self._sessions:
                import onnxruntime as ort

                path = self.ensure()
                opts = ort.SessionOptions()
                opts.intra_op_num_threads = n
                opts.inter_op_num_threads = 1
                opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
                opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
                opts.log_severity_level = 3
                self._sessions[n] = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
            return self._sessions[n]

    def token_embeddings(self, encodings: Sequence, threads: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Run one padded batch of `tokenizers` encodings: (last hidden state [batch, tokens,
        dim] as float32, attention mask [batch, tokens])."""
        width = max(len(e.ids) for e in encodings)
        ids = np.zeros((len(encodings), width), dtype=np.int64)
        mask = np.zeros_like(ids)
        types = np.zeros_like(ids)
        for i, e in enumerate(encodings):
            n = len(e.ids)
            ids[i, :n] = e.ids
            mask[i, :n] = 1
            types[i, :n] = e.type_ids
        (hidden,) = self.session(threads).run([OUTPUT], {"input_ids": ids, "attention_mask": mask, "token_type_ids": types})
        return hidden.astype(np.float32, copy=False), mask


def mean_pool(hidden: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Mean of the token vectors the mask keeps, L2-normalised (as the model's Pooling and
    Normalize modules do)."""
    m = mask[..., None].astype(np.float32)
    summed = (hidden * m).sum(axis=1)
    pooled = summed / np.clip(m.sum(axis=1), 1e-9, None)
    norms = np.linalg.norm(pooled, axis=1, keepdims=True)
    return (pooled / np.clip(norms, 1e-12, None)).astype(np.float32)
