"""What sentence vectors cost at ingest: the encoder on the same chunks, plain passage vectors
(`Encoder.encode`) against passage vectors plus the vector of every sentence read off the same
forward pass (`Encoder.encode_with_spans`), alternated so that machine noise hits both alike.
CPU seconds of this process are reported beside wall time: on a shared machine they are the
steadier measure.

    python bench/bench_sentence_vectors.py [--shared ../shared] [--chunks 600] [--rounds 3]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ingest.chunking import Chunker  # noqa: E402
from ingest.embeddings import Encoder  # noqa: E402
from ingest.loaders import load_file, supported_suffixes  # noqa: E402
from ingest.settings import Settings  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    ap.add_argument("--chunks", type=int, default=600)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    settings = Settings(_env_file=None)
    encoder = Encoder()
    chunker = Chunker(encoder.count_tokens, target_tokens=settings.chunk_tokens, max_tokens=encoder.max_tokens)
    chunks = []
    suffixes = set(supported_suffixes())
    for folder in (args.shared / "seeds", args.shared / "corpus" / "teals-intro-cs-2"):
        for f in sorted(folder.rglob("*")):
            if f.suffix.lower() in suffixes and f.suffix.lower() in (".md", ".txt") and len(chunks) < args.chunks:
                chunks += chunker.chunk(load_file(f, settings))
    chunks = chunks[: args.chunks]
    texts = [c.embed_text for c in chunks]
    spans = [[(a + len(c.embed_text) - len(c.text), b + len(c.embed_text) - len(c.text)) for a, b in c.units] for c in chunks]
    units = sum(len(s) for s in spans)
    encoder.encode(texts[:32])  # load and warm
    plain, with_spans, plain_cpu, with_cpu = [], [], [], []
    for _ in range(args.rounds):
        t, c = time.perf_counter(), time.process_time()
        encoder.encode(texts)
        plain.append(time.perf_counter() - t)
        plain_cpu.append(time.process_time() - c)
        t, c = time.perf_counter(), time.process_time()
        encoder.encode_with_spans(texts, spans)
        with_spans.append(time.perf_counter() - t)
        with_cpu.append(time.process_time() - c)
    p, w, pc, wc = min(plain), min(with_spans), min(plain_cpu), min(with_cpu)
    print(f"chunks                         {len(chunks)}  ({units} sentences, list items and rows)")
    print(f"passage vectors only           {len(chunks) / p:.1f} chunks/s  (best of {args.rounds}: {p:.1f} s wall, {pc:.1f} s CPU)")
    print(f"passage + sentence vectors     {len(chunks) / w:.1f} chunks/s  (best of {args.rounds}: {w:.1f} s wall, {wc:.1f} s CPU)")
    print(f"cost of sentence vectors       {w / p - 1:+.1%} wall, {wc / pc - 1:+.1%} CPU  (issue 8 budget: within 20%)")


if __name__ == "__main__":
    main()
