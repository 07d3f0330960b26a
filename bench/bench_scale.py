"""Scale benchmark: knowledge bases of growing size built from realistic text (the shared
corpus's Markdown paragraphs recombined into new documents, tagged by type and grade), with,
for each size: warm query p50/p95 (the full answer path: query embedding, keyword and dense
search, sentence vectors, rank, compose) without and with filters, RSS, disk, the time of an
unchanged re-run beside the build, and growth from the previous size.

    python bench/bench_scale.py --sizes 10000 30000 100000 --data-dir /work/benchdata/scale
    python bench/bench_scale.py --real-chunks 5000           # ingest throughput, real embeddings

Embedding 100k chunks with the real model takes over an hour on 2 cores, so the SIZE runs use
CACHED vectors (the output says so): real MiniLM embeddings of a sample of corpus sentences,
computed once and kept beside the data dir; each sentence of a chunk takes one of them (chosen
by a hash of its text) as its token-vector sum, and the chunk's vector is their normalised sum.
Vectors therefore have the real model's distribution, and query timings include every stage,
but retrieval QUALITY at scale is not measured here (the eval sets are for that). The
`--real-chunks` run uses the real encoder end to end and prints chunks/s.

Build once, late: the 100k build takes a long while on a shared CPU. Keep the data dir out of
the repository.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import resource
import shutil
import statistics
import subprocess
import sys
import time
import zlib
from pathlib import Path

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ingest.domain import Filters, Tags  # noqa: E402
from ingest.pipeline import Ingestor  # noqa: E402
from ingest.settings import Settings  # noqa: E402

TYPES = ("report", "lesson_template", "choice_board", "guide")
GRADES = ("K", "1", "2", "3", "4", "5", "6-8", "9-12")
DOCS_PER_BATCH = 200
CACHE_SENTENCES = 4000


def corpus_paragraphs(shared: Path) -> list[str]:
    paras: list[str] = []
    for path in sorted((shared / "corpus").rglob("*.md")) + sorted((shared / "seeds").rglob("*.md")):
        text = path.read_text(errors="replace")
        for p in re.split(r"\n\s*\n", text):
            p = p.strip()
            if len(p) >= 80 and not p.startswith(("|", "```", "![", "<")):
                paras.append(re.sub(r"\s+", " ", p))
    return sorted(set(paras))


def sentences_of(paras: list[str]) -> list[str]:
    out = {s.strip() for p in paras for s in re.split(r"(?<=[.!?])\s+", p) if 30 <= len(s.strip()) <= 400}
    return sorted(out)


def write_batch(folder: Path, batch: int, paras: list[str], rng: random.Random) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for d in range(DOCS_PER_BATCH):
        title = " ".join(rng.choice(paras).split()[:6]).strip(" .,:;#*")
        lines = [f"# {title} ({batch}-{d})", ""]
        for s in range(rng.randint(2, 4)):
            heading = " ".join(rng.choice(paras).split()[:5]).strip(" .,:;#*")
            lines += [f"## {heading}", ""]
            lines += [p for _ in range(rng.randint(3, 7)) for p in (rng.choice(paras), "")]
        (folder / f"doc-{batch:04d}-{d:03d}.md").write_text("\n".join(lines))


class CachedVectors:
    """`encode_with_spans` from a cache of real sentence embeddings (see the module docstring)."""

    def __init__(self, vectors: np.ndarray) -> None:
        self.vectors = vectors

    def __call__(self, texts, spans):  # noqa: ANN001
        n = len(self.vectors)
        chunk_vecs = np.zeros((len(texts), self.vectors.shape[1]), dtype=np.float32)
        sums = []
        for i, (text, text_spans) in enumerate(zip(texts, spans)):
            rows = np.zeros((len(text_spans), self.vectors.shape[1]), dtype=np.float32)
            for j, (a, b) in enumerate(text_spans):
                unit = text[a:b]
                rows[j] = self.vectors[zlib.crc32(unit.encode()) % n] * max(1, len(unit) // 4)  # ~ a token count
            total = rows.sum(axis=0) if len(rows) else self.vectors[zlib.crc32(text.encode()) % n]
            chunk_vecs[i] = total / (np.linalg.norm(total) or 1.0)
            sums.append(rows)
        return chunk_vecs, sums


def sentence_cache(path: Path, sentences: list[str], ingestor: Ingestor) -> np.ndarray:
    if path.exists():
        return np.load(path)
    rng = random.Random(7)
    sample = rng.sample(sentences, min(CACHE_SENTENCES, len(sentences)))
    t0 = time.perf_counter()
    vecs = ingestor.encoder.encode(sample)
    print(f"  cached {len(sample)} real sentence embeddings in {time.perf_counter() - t0:.0f} s -> {path}")
    path.parent.mkdir(parents=True, exist_ok=True)
    np.save(path, vecs)
    return vecs


def rss_mb() -> tuple[float, float]:
    now = 0.0
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            now = int(line.split()[1]) / 1024
    return now, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def disk_mb(data_dir: Path) -> float:
    out = subprocess.run(["du", "-sk", "--exclude=docs", str(data_dir)], capture_output=True, text=True, check=True)
    return int(out.stdout.split()[0]) / 1024


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def questions(shared: Path) -> list[str]:
    qs = []
    for path in sorted((shared / "eval").glob("*.jsonl")):
        qs += [json.loads(line)["question"] for line in path.read_text().splitlines() if line.strip()]
    return qs


def time_queries(engine, qs: list[str], filters_list: list[Filters | None]) -> tuple[list[float], list[float]]:  # noqa: ANN001
    """Wall and CPU (this process, all its threads) milliseconds of each answer. CPU time is the
    figure to trust when another job shares the cores: it does not count time spent waiting."""
    wall, cpu = [], []
    for i, q in enumerate(qs):
        f = filters_list[i % len(filters_list)]
        t0, c0 = time.perf_counter(), time.process_time()
        engine.answer(q, f)
        wall.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
    return wall, cpu


def load_average() -> str:
    return "/".join(f"{x:.1f}" for x in os.getloadavg())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    ap.add_argument("--data-dir", type=Path, default=Path("/work/benchdata/scale"))
    ap.add_argument("--sizes", type=int, nargs="*", default=[10_000, 30_000, 100_000])
    ap.add_argument("--real-chunks", type=int, default=0, help="also measure ingest with real embeddings on this many chunks")
    ap.add_argument("--queries", type=int, default=60)
    ap.add_argument("--reuse", action="store_true",
                    help="keep the index already in --data-dir (built by an earlier run) and grow it from there")
    args = ap.parse_args()

    from bot.engine import Engine

    paras = corpus_paragraphs(args.shared)
    qs = questions(args.shared)[: args.queries]
    print(f"corpus: {len(paras)} distinct paragraphs recombined into documents of 6-28 paragraphs; {len(qs)} questions")

    if args.real_chunks:
        real_dir = args.data_dir.with_name(args.data_dir.name + "-real")
        shutil.rmtree(real_dir, ignore_errors=True)
        ingestor = Ingestor.from_settings(Settings(data_dir=real_dir))
        ingestor.encoder.load()  # the model load is not ingest
        rng = random.Random(1)
        spent, batch = 0.0, 0
        while ingestor.kb.chunk_count() < args.real_chunks:
            folder = real_dir / "docs" / f"b{batch:04d}"
            write_batch(folder, batch, paras, rng)
            t0 = time.perf_counter()
            ingestor.ingest_paths([folder], Tags.parse(TYPES[batch % 4], GRADES[batch % 8]))
            spent += time.perf_counter() - t0
            batch += 1
        n = ingestor.kb.chunk_count()
        print(f"REAL embeddings: {n} chunks in {spent:.0f} s = {n / spent:.1f} chunks/s (parse, chunk, embed, store)")
        ingestor.kb.close()

    if not args.sizes:
        return
    state_file = args.data_dir / "bench-state.json"
    state = json.loads(state_file.read_text()) if args.reuse and state_file.exists() else None
    if state is None:
        shutil.rmtree(args.data_dir, ignore_errors=True)
    settings = Settings(data_dir=args.data_dir)
    ingestor = Ingestor.from_settings(settings)
    cache = sentence_cache(args.data_dir.parent / "scale-sentence-cache.npy", sentences_of(paras), ingestor)
    ingestor.encoder.encode_with_spans = CachedVectors(cache)  # type: ignore[method-assign]
    print(f"SIZES below use CACHED vectors ({len(cache)} real sentence embeddings reused by hash), not the encoder")
    engine = Engine(settings, ingestor.kb, ingestor.encoder)
    t0, c0 = time.perf_counter(), time.process_time()
    engine.warm()
    print(f"engine warm-up on {ingestor.kb.chunk_count()} chunks (model load, keyword scores of common words): "
          f"{time.perf_counter() - t0:.1f} s wall, {time.process_time() - c0:.1f} s CPU")
    filters = [Filters(type="report"), Filters(grade="5"), Filters(type="lesson_template", grade="3")]

    rng = random.Random(2)
    folders: list[tuple[Path, Tags]] = []
    build_s, batch, prev = 0.0, 0, None
    if state is not None:  # --reuse: the documents written so far, with the tags they were given
        build_s, batch = state["build_s"], state["batches"]
        folders = [(args.data_dir / "docs" / f"b{b:04d}", Tags.parse(TYPES[b % 4], GRADES[b % 8])) for b in range(batch)]
        rng = random.Random(2 + batch)  # new documents still differ from the old ones
        print(f"reusing {ingestor.kb.chunk_count()} chunks in {batch} batches from {args.data_dir} (built in {build_s:.0f} s)")
    print(f"{'chunks':>8} {'docs':>6} {'build s':>8} {'p50 ms':>7} {'p95 ms':>7} {'filt p50':>8} {'filt p95':>8} "
          f"{'cpu p50':>7} {'cpu p95':>7} {'fcpu p95':>8} {'RSS MB':>7} {'peak MB':>7} {'disk MB':>8} {'re-run s':>8} "
          f"{'re-run %':>8} {'load avg':>14}")  # fmt: skip
    for size in args.sizes:
        while ingestor.kb.chunk_count() < size:
            folder = args.data_dir / "docs" / f"b{batch:04d}"
            write_batch(folder, batch, paras, rng)
            t0 = time.perf_counter()
            tags = Tags.parse(TYPES[batch % 4], GRADES[batch % 8])
            ingestor.ingest_paths([folder], tags)
            build_s += time.perf_counter() - t0
            folders.append((folder, tags))
            batch += 1
            state_file.write_text(json.dumps({"build_s": build_s, "batches": batch}))
        engine.index_changed()
        t0, c0 = time.perf_counter(), time.process_time()
        engine.kb.warm()  # as a server started on this index does (the common words' keyword scores)
        print(f"   keyword warm-up on {ingestor.kb.chunk_count()} chunks: {time.perf_counter() - t0:.1f} s wall, "
              f"{time.process_time() - c0:.1f} s CPU (nothing to read if the index did not change)", flush=True)
        time_queries(engine, qs[:10], [None])  # warm
        time_queries(engine, qs[:6], filters)
        load = load_average()
        plain, plain_cpu = time_queries(engine, qs, [None])
        filtered, filtered_cpu = time_queries(engine, qs, filters)
        t0 = time.perf_counter()
        reindexed = sum(len(ingestor.ingest_paths([f], tags).indexed) for f, tags in folders)  # same tags as given
        rerun = time.perf_counter() - t0
        assert not reindexed, f"an unchanged re-run re-indexed {reindexed} documents"
        rss, peak = rss_mb()
        row = dict(chunks=ingestor.kb.chunk_count(), docs=batch * DOCS_PER_BATCH, build=build_s,
                   p50=statistics.median(plain), p95=pct(plain, 95), fp50=statistics.median(filtered),
                   fp95=pct(filtered, 95), rss=rss, peak=peak, disk=disk_mb(args.data_dir), rerun=rerun,
                   cp50=statistics.median(plain_cpu), cp95=pct(plain_cpu, 95), fcp95=pct(filtered_cpu, 95))  # fmt: skip
        load = f"{load}>{load_average()}"  # before the timed queries > after the re-run
        print(f"{row['chunks']:>8} {row['docs']:>6} {build_s:>8.0f} {row['p50']:>7.0f} {row['p95']:>7.0f} "
              f"{row['fp50']:>8.0f} {row['fp95']:>8.0f} {row['cp50']:>7.0f} {row['cp95']:>7.0f} {row['fcp95']:>8.0f} "
              f"{rss:>7.0f} {peak:>7.0f} {row['disk']:>8.0f} {rerun:>8.1f} {rerun / build_s:>8.1%} {load:>14}", flush=True)  # fmt: skip
        slow = sorted(zip(plain, qs), reverse=True)[:3]
        print("   slowest: " + "; ".join(f"{ms:.0f} ms {q[:50]!r}" for ms, q in slow))
        if prev:
            f = row["chunks"] / prev["chunks"]
            print(f"   growth x{f:.1f} chunks: p95 x{row['p95'] / prev['p95']:.2f} (cpu x{row['cp95'] / prev['cp95']:.2f}), "
                  f"filtered p95 x{row['fp95'] / prev['fp95']:.2f}, RSS x{row['rss'] / prev['rss']:.2f}, disk "
                  f"x{row['disk'] / prev['disk']:.2f}, re-run x{row['rerun'] / prev['rerun']:.2f}")  # fmt: skip
        prev = row
    print(f"index kept in {args.data_dir} (documents under docs/, not counted in disk)")


if __name__ == "__main__":
    main()
