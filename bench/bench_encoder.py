"""Encoder benchmark: torch, onnx and onnx-int8 (`GUIDEPOST_ENCODER`) in the same run.

Speed: chunks/s of `Encoder.encode_with_spans` (the ingest path: passage vectors and sentence
sums) on real chunks of the shared curriculum, and the p50 of one question through
`encode_query`, the encoders interleaved round by round (the machine's noise hits all alike).
Each figure is given as wall time and as this process's CPU time, with the load average.

With --eval: an index per encoder built from ../shared (seeds, teals-intro-cs-2, report-pdf) in
a scratch data dir outside the repo, then the engine's evaluation on the shared question sets:
MRR@10 and recall@5 with the shipped model (fitted to those questions: not held out) and, with
--folds K, cross-validated (held out), as `guidepost eval --folds K --train-also ...` does.

    python bench/bench_encoder.py [--shared ../shared] [--chunks 400] [--rounds 3] [--eval [--folds 5]]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.engine import Engine  # noqa: E402 - imported now: the code under test is what was there at the start
from bot.engine.evaluate import cross_validate, evaluate as run_eval, load_questions  # noqa: E402
from ingest.chunking import Chunker  # noqa: E402
from ingest.embeddings import ENCODERS, Encoder  # noqa: E402
from ingest.loaders import load_file, supported_suffixes  # noqa: E402
from ingest.pipeline import Ingestor  # noqa: E402
from ingest.settings import Settings  # noqa: E402


def load() -> str:
    return "/".join(f"{x:.2f}" for x in os.getloadavg())


def corpus_chunks(shared: Path, n: int, settings: Settings, encoder: Encoder) -> list:
    chunker = Chunker(encoder.count_tokens, target_tokens=settings.chunk_tokens, max_tokens=encoder.max_tokens)
    suffixes = set(supported_suffixes())
    chunks: list = []
    for folder in (shared / "corpus" / "teals-intro-cs-2", shared / "seeds"):
        for f in sorted(folder.rglob("*")):
            if len(chunks) >= n:
                break
            if f.is_file() and f.suffix.lower() in suffixes:
                try:
                    chunks += chunker.chunk(load_file(f, settings))
                except Exception:  # noqa: BLE001 - a file the loaders refuse is not this benchmark's business
                    continue
    return chunks[:n]


def questions(shared: Path) -> list[str]:
    out = []
    for f in sorted((shared / "eval").glob("*.jsonl")):
        out += [json.loads(line)["question"] for line in f.read_text().splitlines() if line.strip()]
    return out


def speed(encoders: dict[str, Encoder], chunks: list, qs: list[str], rounds: int) -> dict[str, dict]:
    texts = [c.embed_text for c in chunks]
    spans = [[(a + len(c.embed_text) - len(c.text), b + len(c.embed_text) - len(c.text)) for a, b in c.units] for c in chunks]
    for enc in encoders.values():  # load (and export) outside the timing; warm up
        enc.load()
        enc.encode_with_spans(texts[:8], spans[:8])
        enc.encode_query(qs[0])
    names = list(encoders)
    res = {n: {"wall": [], "cpu": [], "q_wall": [], "q_cpu": []} for n in names}
    loads = []
    for r in range(rounds):
        order = names[r % len(names):] + names[: r % len(names)]  # rotate who goes first
        loads.append(load())
        for n in order:
            w0, c0 = time.perf_counter(), time.process_time()
            encoders[n].encode_with_spans(texts, spans)
            res[n]["wall"].append(time.perf_counter() - w0)
            res[n]["cpu"].append(time.process_time() - c0)
            print(f"  round {r + 1} {n:9s} {len(texts) / res[n]['wall'][-1]:6.1f} chunks/s "
                  f"(cpu {res[n]['cpu'][-1]:.1f} s, load {loads[-1]})", file=sys.stderr, flush=True)  # fmt: skip
        for q in qs:  # one question through every encoder in turn
            for n in order:
                w0, c0 = time.perf_counter(), time.process_time()
                encoders[n].encode_query(q)
                res[n]["q_wall"].append(time.perf_counter() - w0)
                res[n]["q_cpu"].append(time.process_time() - c0)
    loads.append(load())
    out = {}
    for n in names:
        x = res[n]
        out[n] = {
            "chunks_per_s": round(len(texts) * rounds / sum(x["wall"]), 1),
            "chunks_per_cpu_s": round(len(texts) * rounds / sum(x["cpu"]), 1),
            "chunks_per_s_rounds": [round(len(texts) / w, 1) for w in x["wall"]],
            "query_p50_ms": round(1000 * statistics.median(x["q_wall"]), 1),
            "query_p90_ms": round(1000 * statistics.quantiles(x["q_wall"], n=10)[-1], 1),
            "query_cpu_p50_ms": round(1000 * statistics.median(x["q_cpu"]), 1),
        }
    out["_loads"] = loads  # type: ignore[assignment]
    return out


def evaluate(shared: Path, scratch: Path, name: str, folds: int | None) -> dict:
    settings = Settings(data_dir=scratch / name, encoder=name, _env_file=None)
    folders = [shared / "seeds", shared / "corpus" / "teals-intro-cs-2", shared / "corpus" / "report-pdf"]
    ingestor = Ingestor.from_settings(settings)
    w0, c0, l0 = time.perf_counter(), time.process_time(), load()
    report = ingestor.ingest_paths(folders)
    build = {"build_s": round(time.perf_counter() - w0, 1), "build_cpu_s": round(time.process_time() - c0, 1),
             "chunks": report.chunks, "embed_s": round(report.embed_seconds, 1), "load": f"{l0} -> {load()}"}  # fmt: skip
    ingestor.kb.close()
    qs = load_questions(sorted((shared / "eval").glob("*.jsonl")))
    engine = Engine.from_settings(Settings(data_dir=scratch / name, encoder=name, _env_file=None))
    m = run_eval(engine, qs)["metrics"]["guidepost"]
    out = {**build, "mrr@10": m["mrr@10"], "recall@5": m["recall@5"]}
    if folds:
        dev = load_questions(sorted((ROOT / "bench" / "questions").glob("*.jsonl")))
        h = cross_validate(engine, qs, folds, train_also=dev)["metrics"]["guidepost"]
        out.update({"heldout_mrr@10": h["mrr@10"], "heldout_recall@5": h["recall@5"]})
    print(f"  eval {name}: {out}", file=sys.stderr, flush=True)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    ap.add_argument("--chunks", type=int, default=400)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--threads", type=int, default=0, help="GUIDEPOST_TORCH_THREADS for every encoder (0 = default)")
    ap.add_argument("--encoders", default=",".join(ENCODERS))
    ap.add_argument("--eval", action="store_true", help="also build an index per encoder and measure retrieval")
    ap.add_argument("--folds", type=int, default=None, help="with --eval: also cross-validated (held-out) figures")
    ap.add_argument("--scratch", type=Path, help="scratch data dirs (default: a temporary folder, removed after)")
    ap.add_argument("--json", type=Path, help="write the results here as well")
    args = ap.parse_args()
    if (ROOT in (args.scratch or Path("/")).resolve().parents) or (args.scratch and args.scratch.resolve() == ROOT):
        sys.exit("--scratch must be outside the repository")

    scratch = args.scratch or Path(tempfile.mkdtemp(prefix="guidepost-bench-encoder-"))
    names = [n.strip() for n in args.encoders.split(",") if n.strip()]
    settings = Settings(_env_file=None)
    encoders = {n: Encoder(batch_size=settings.embed_batch_size, threads=args.threads, backend=n,
                           cache_dir=scratch / "models") for n in names}  # fmt: skip
    try:
        chunks = corpus_chunks(args.shared, args.chunks, settings, encoders[names[0]])
        qs = questions(args.shared)
        print(f"{len(chunks)} chunks (mean {sum(c.tokens for c in chunks) / len(chunks):.0f} word-pieces), "
              f"{len(qs)} questions, {args.rounds} rounds, threads={args.threads or 'default'}, load {load()}",
              file=sys.stderr)  # fmt: skip
        t0 = time.perf_counter()
        for n, enc in encoders.items():
            w0 = time.perf_counter()
            enc.load()
            print(f"  {n}: model ready in {time.perf_counter() - w0:.1f} s (export included the first time)", file=sys.stderr)
        results = {"speed": speed(encoders, chunks, qs, args.rounds)}
        results["speed_seconds"] = round(time.perf_counter() - t0, 1)
        sizes = {}
        for n in names:
            if n != "torch":
                folder = encoders[n].onnx.folder()
                sizes[n] = round(sum(f.stat().st_size for f in folder.iterdir()) / 1e6, 1)
        results["model_mb"] = sizes
        print(json.dumps(results), file=sys.stderr, flush=True)
        if args.json:
            args.json.write_text(json.dumps(results, indent=1))
        if args.eval:
            results["eval"] = {n: evaluate(args.shared, scratch, n, args.folds) for n in names}
        print(json.dumps(results, indent=1))
        if args.json:
            args.json.write_text(json.dumps(results, indent=1))
        table(results, names)
    finally:
        if not args.scratch:
            shutil.rmtree(scratch, ignore_errors=True)


def table(results: dict, names: list[str]) -> None:
    sp, ev = results["speed"], results.get("eval", {})
    base = sp[names[0]]["chunks_per_s"]
    print(f"\nload average during the speed rounds: {', '.join(sp['_loads'])}")
    print("| encoder | chunks/s (wall) | x | chunks per CPU-s | query p50 ms (CPU) | MRR@10 | recall@5 | held-out MRR@10 | held-out recall@5 |")
    print("|---|---|---|---|---|---|---|---|---|")
    for n in names:
        s, e = sp[n], ev.get(n, {})
        print(f"| {n} | {s['chunks_per_s']} | {s['chunks_per_s'] / base:.2f} | {s['chunks_per_cpu_s']} | "
              f"{s['query_p50_ms']} ({s['query_cpu_p50_ms']}) | {e.get('mrr@10', '-')} | {e.get('recall@5', '-')} | "
              f"{e.get('heldout_mrr@10', '-')} | {e.get('heldout_recall@5', '-')} |")  # fmt: skip


if __name__ == "__main__":
    main()
