"""Ingest benchmark: index the shared seeds, curriculum and report together, then print
documents, chunks, seconds, chunks/s, the encoder's own throughput on the same chunks in the
same run, the time of an unchanged re-run, and peak RSS.

    python bench/bench_ingest.py [--shared ../shared] [--data-dir DIR]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ingest.pipeline import Ingestor  # noqa: E402
from ingest.settings import Settings  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    ap.add_argument("--data-dir", type=Path, help="keep the index here (default: a temporary folder)")
    args = ap.parse_args()
    folders = [args.shared / "seeds", args.shared / "corpus" / "teals-intro-cs-2", args.shared / "corpus" / "report-pdf"]
    missing = [f for f in folders if not f.is_dir()]
    if missing:
        sys.exit(f"missing data folders: {', '.join(map(str, missing))}")

    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="guidepost-bench-"))
    if args.data_dir and data_dir.exists():
        shutil.rmtree(data_dir)
    settings = Settings(data_dir=data_dir)
    ingestor = Ingestor.from_settings(settings)

    embedded: list[str] = []
    encode = ingestor.encoder.encode
    encode_with_spans = ingestor.encoder.encode_with_spans

    def recording_encode(texts, spans):
        embedded.extend(texts)
        return encode_with_spans(texts, spans)

    ingestor.encoder.encode_with_spans = recording_encode  # type: ignore[method-assign]

    # The model import and load is a one-time cost of any process that embeds (torch and
    # sentence-transformers imports); it is timed on its own, then the run is timed with and
    # without it.
    t_load = time.perf_counter()
    ingestor.encoder.load()
    load = time.perf_counter() - t_load
    t0 = time.perf_counter()
    report = ingestor.ingest_paths(folders)
    first = time.perf_counter() - t0
    docs, chunks = len(report.indexed), report.chunks

    # The encoder alone on exactly the texts the pipeline embedded, model already loaded: plain
    # passage vectors, so the ratio includes the cost of the sentence vectors.
    ingestor.encoder.encode_with_spans = encode_with_spans  # type: ignore[method-assign]
    t1 = time.perf_counter()
    encode(embedded)
    enc_s = time.perf_counter() - t1

    t2 = time.perf_counter()
    again = ingestor.ingest_paths(folders)
    rerun = time.perf_counter() - t2
    check = ingestor.kb.check()

    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    pipe_rate = chunks / first
    cold_rate = chunks / (first + load)
    enc_rate = len(embedded) / enc_s
    print(f"files found                 {docs + len(report.failed) + len(report.unchanged)}")
    print(f"documents indexed           {docs}")
    print(f"failed                      {len(report.failed)}")
    for f in report.failed:
        print(f"   {f.path}: {f.error}")
    print(f"chunks                      {chunks}  (embedded {len(embedded)}: identical texts embed once)")
    print(f"model import and load       {load:.1f} s  (once per process)")
    print(f"first run                   {first:.1f} s  (parsing, chunking, embedding, storing)")
    print(f"  time in the encoder       {report.embed_seconds:.1f} s")
    print(f"pipeline throughput         {pipe_rate:.1f} chunks/s  ({cold_rate:.1f} with the model load)")
    print(f"encoder alone, same chunks  {enc_rate:.1f} chunks/s  ({enc_s:.1f} s)")
    print(f"pipeline / encoder          {pipe_rate / enc_rate:.0%}  (goal >= 90%); "
          f"{cold_rate / enc_rate:.0%} counting the model load")
    print(f"unchanged re-run            {rerun:.2f} s = {rerun / (first + load):.1%} of the first  (goal <= 5%); "
          f"{len(again.unchanged)} unchanged, {len(again.indexed)} re-indexed")
    print(f"index check                 {check}")
    print(f"peak RSS                    {rss_mb:.0f} MB")
    print(f"index kept in               {data_dir}")


if __name__ == "__main__":
    main()
