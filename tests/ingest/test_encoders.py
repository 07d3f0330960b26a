"""GUIDEPOST_ENCODER: the ONNX Runtime encoders against torch, the cached export, the setting,
and one encoder's vectors per index. The export is made once per session in a temp folder."""

from __future__ import annotations

import json
import shutil
import threading
import time

import numpy as np
import pytest

from ingest.embeddings import Encoder
from ingest.errors import ConfigError, EncoderMismatch
from ingest.onnx_model import OnnxModel

TEXTS = [
    "How do I run a choice board in 5th grade math?",
    "Exit tickets.",
    "Students pair up and compare answers. Then they swap roles, and the teacher circulates with a checklist.",
    # longer than the model's 256 positions: truncated the same way by both
    "A long passage about classroom routines, with warm-ups, pair work and exit tickets. " * 30,
]
SPANS = [[(0, 10), (11, 47)], [(0, 13)], [(0, 37), (38, 104)], [(0, 84), (85, 169), (2000, 2100)]]


def cos(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a, b = np.atleast_2d(a), np.atleast_2d(b)
    return (a * b).sum(1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)


@pytest.fixture(scope="session")
def onnx_cache(tmp_path_factory):
    return tmp_path_factory.mktemp("models")


@pytest.fixture(scope="session")
def onnx_encoder(onnx_cache):
    enc = Encoder(backend="onnx", cache_dir=onnx_cache)
    enc.load()
    return enc


@pytest.fixture(scope="session")
def int8_encoder(onnx_cache, onnx_encoder):
    enc = Encoder(backend="onnx-int8", cache_dir=onnx_cache)
    enc.load()
    return enc


def test_onnx_vectors_are_torchs(encoder, onnx_encoder):
    assert cos(encoder.encode(TEXTS), onnx_encoder.encode(TEXTS)).min() > 0.9999
    # one at a time (no padding) equals in a batch (padded): the mask is honoured
    alone = np.stack([onnx_encoder.encode([t])[0] for t in TEXTS])
    assert cos(alone, onnx_encoder.encode(TEXTS)).min() > 0.9999
    assert cos(encoder.encode_queries(TEXTS[:2]), onnx_encoder.encode_queries(TEXTS[:2])).min() > 0.9999
    assert cos(encoder.encode_query(TEXTS[0]), onnx_encoder.encode_query(TEXTS[0]))[0] > 0.9999
    assert np.allclose(np.linalg.norm(onnx_encoder.encode(TEXTS), axis=1), 1.0, atol=1e-5)


def test_onnx_span_sums_are_torchs(encoder, onnx_encoder):
    tv, ts = encoder.encode_with_spans(TEXTS, SPANS)
    ov, os_ = onnx_encoder.encode_with_spans(TEXTS, SPANS)
    assert cos(tv, ov).min() > 0.9999
    assert cos(ov, onnx_encoder.encode(TEXTS)).min() > 0.9999  # the same pass as plain vectors
    for t, o, spans in zip(ts, os_, SPANS):
        assert t.shape == o.shape == (len(spans), 384)
        for i in range(len(spans)):
            if not t[i].any():  # a span past the truncation: no tokens in either
                assert not o[i].any()
                continue
            assert cos(t[i], o[i])[0] > 0.9999
            assert np.linalg.norm(t[i] - o[i]) < 1e-3 * np.linalg.norm(t[i])  # sums, not just directions
    assert ts[3][2].any() == False  # noqa: E712 - the span at 2000+ lies beyond 256 tokens


def test_int8_is_close_but_a_vector_space_of_its_own(encoder, onnx_encoder, int8_encoder):
    assert cos(encoder.encode(TEXTS), int8_encoder.encode(TEXTS)).min() > 0.97
    assert onnx_encoder.vector_space == encoder.vector_space
    assert int8_encoder.vector_space != encoder.vector_space
    vecs, sums = int8_encoder.encode_with_spans(TEXTS, SPANS)
    assert vecs.shape == (4, 384) and [s.shape[0] for s in sums] == [2, 1, 2, 3]


def test_the_export_is_cached_and_reused(onnx_cache, onnx_encoder, monkeypatch):
    folder = onnx_encoder.onnx.folder()
    assert folder.parent == onnx_cache and (folder / "model.onnx").is_file()
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["model"] == onnx_encoder.model_id and not manifest["quantized"]
    before = (folder / "model.onnx").stat().st_mtime_ns

    def no_export(self, out):
        raise AssertionError("exported again")

    monkeypatch.setattr(OnnxModel, "_export", no_export)
    again = Encoder(backend="onnx", cache_dir=onnx_cache)
    again.load()
    assert cos(again.encode(TEXTS[:1]), onnx_encoder.encode(TEXTS[:1]))[0] > 0.99999
    assert (folder / "model.onnx").stat().st_mtime_ns == before
    assert not [p for p in onnx_cache.iterdir() if p.name.startswith(".")]  # no temporary folder left


def test_the_settings_data_dir_holds_the_cache(tmp_path):
    from ingest.settings import Settings

    enc = Encoder.from_settings(Settings(data_dir=tmp_path / "data", encoder="onnx", _env_file=None))
    assert enc.backend == "onnx" and enc.onnx.folder().parent == tmp_path / "data" / "models"


def test_a_stale_or_concurrent_export_is_made_once(onnx_cache, onnx_encoder, tmp_path, monkeypatch):
    calls = []

    def fake_export(self, out):
        calls.append(out)
        time.sleep(0.3)  # long enough for the other thread to wait on the lock
        shutil.copy(onnx_encoder.onnx.path, out / "model.onnx")

    monkeypatch.setattr(OnnxModel, "_export", fake_export)
    cache = tmp_path / "models"
    models = [OnnxModel(onnx_encoder.model_path, cache, onnx_encoder.model_id) for _ in range(2)]
    threads = [threading.Thread(target=m.ensure) for m in models]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(calls) == 1  # the second waited for the first and took its file
    # weights that changed (another fingerprint) are exported again
    manifest = models[0].folder() / "manifest.json"
    manifest.write_text(json.dumps({**json.loads(manifest.read_text()), "fingerprint": "other"}))
    models[0].ensure()
    assert len(calls) == 2


def test_a_bad_encoder_setting_is_a_clear_error(monkeypatch):
    from ingest.settings import load_settings

    monkeypatch.setenv("GUIDEPOST_ENCODER", "gpu")
    with pytest.raises(ConfigError, match="GUIDEPOST_ENCODER=gpu") as err:
        load_settings()
    assert "onnx-int8" in str(err.value)  # says what would do
    with pytest.raises(ConfigError, match="GUIDEPOST_ENCODER=gpu"):
        Encoder(backend="gpu")
    monkeypatch.setenv("GUIDEPOST_ENCODER", "onnx-int8")
    assert load_settings().encoder == "onnx-int8"


DOC = b"# Exit tickets\n\nAt the end of the lesson, students answer one question on a slip of paper.\n"


def _ingest(settings, encoder, name="exit.md"):
    from ingest.pipeline import Ingestor
    from ingest.stores import KnowledgeBase

    kb = KnowledgeBase(settings)
    return Ingestor(settings, kb, encoder).ingest_bytes(DOC, name, source_key=name), kb


def test_an_index_keeps_one_encoders_vectors(settings, encoder, onnx_encoder, int8_encoder):
    from bot.engine import Engine
    from ingest.pipeline import Ingestor
    from ingest.stores import KnowledgeBase

    _, kb = _ingest(settings, encoder)
    assert kb.catalog.info("vector_space") == encoder.vector_space
    # fp32 ONNX makes the same vectors: it searches and extends a torch index
    engine = Engine(settings, KnowledgeBase(settings), onnx_encoder)
    assert engine.kb.search_dense(onnx_encoder.encode_query("exit ticket"), 3)
    assert _ingest(settings, onnx_encoder, "other.md")[0].status == "indexed"
    # int8 vectors differ: a clear error when opened, for asking and for ingesting
    with pytest.raises(EncoderMismatch, match="GUIDEPOST_ENCODER") as err:
        Engine(settings, KnowledgeBase(settings), int8_encoder)
    assert str(settings.data_dir) in str(err.value) and "GUIDEPOST_DATA_DIR" in str(err.value)
    with pytest.raises(EncoderMismatch):
        Ingestor(settings, KnowledgeBase(settings), int8_encoder)


def test_a_write_by_another_encoder_is_caught_later_too(settings, encoder, int8_encoder):
    from ingest.pipeline import Ingestor
    from ingest.stores import KnowledgeBase

    # both open the empty index; int8 writes first, so torch may neither search nor write
    late = KnowledgeBase(settings)
    late_ingestor = Ingestor(settings, late, encoder)
    _ingest(settings, int8_encoder)
    with pytest.raises(EncoderMismatch):
        late.search_dense(encoder.encode_query("exit ticket"), 3)
    with pytest.raises(Exception, match="GUIDEPOST_ENCODER"):
        late_ingestor.ingest_bytes(DOC.replace(b"slip", b"card"), "second.md", source_key="second.md")
    assert KnowledgeBase(settings).catalog.chunk_count() == 1  # nothing of torch's was added


def test_an_index_from_before_the_record_counts_as_torchs(settings, encoder, int8_encoder):
    from ingest.stores import KnowledgeBase

    _, kb = _ingest(settings, encoder)
    with kb.catalog.db.transaction() as tx:
        tx.execute("DELETE FROM index_info")
    with pytest.raises(EncoderMismatch):
        KnowledgeBase(settings).use_encoder(int8_encoder.vector_space, legacy=int8_encoder.model_id)
    fresh = KnowledgeBase(settings)
    fresh.use_encoder(encoder.vector_space, legacy=encoder.model_id)
    assert fresh.search_dense(encoder.encode_query("exit ticket"), 3)


def test_without_the_onnx_package_the_error_says_what_to_do(tmp_path, monkeypatch):
    import importlib.util

    from ingest.embeddings import default_model_path
    from ingest.errors import IndexUnavailable

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "onnx" else real(name, *a))
    with pytest.raises(IndexUnavailable, match="GUIDEPOST_ENCODER=torch"):
        OnnxModel(default_model_path(), tmp_path / "models", "m").ensure()
    assert not (tmp_path / "models").exists()  # nothing half-made
