"""Standards found in the shared data: documents that name codes, distinct codes per framework,
and what a curriculum's mapping table would add to the lesson files it links to.

    python bench/bench_standards.py [--shared ../shared]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ingest.loaders import is_sidecar, load_file, supported_suffixes  # noqa: E402
from ingest.settings import Settings  # noqa: E402
from ingest.standards import find_standard_objects, mapping_rows  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    args = ap.parse_args()
    settings = Settings(data_dir=Path("/nonexistent-guidepost-bench"), _env_file=None)
    folders = {
        "curriculum (teals-intro-cs-2)": args.shared / "corpus" / "teals-intro-cs-2",
        "seeds": args.shared / "seeds",
        "report-pdf": args.shared / "corpus" / "report-pdf",
    }
    for label, folder in folders.items():
        paths = [
            p
            for p in sorted(folder.rglob("*"))
            if p.is_file() and p.suffix.lower() in supported_suffixes() and not is_sidecar(p)
        ]
        docs = [(p, load_file(p, settings)) for p in paths]
        t0 = time.perf_counter()
        found = {p: find_standard_objects(f"{d.title}\n{d.text}") for p, d in docs}
        seconds = time.perf_counter() - t0
        naming = {p: s for p, s in found.items() if s}
        codes = {s.code: s.framework for ss in found.values() for s in ss}
        size = sum(len(d.text.encode()) for _, d in docs) / 2**20
        print(f"{label}")
        print(f"  documents                       {len(docs)}")
        print(f"  documents naming standards      {len(naming)}")
        for p, ss in naming.items():
            print(f"    {p.relative_to(args.shared)}: {len(ss)} codes")
        print(f"  distinct codes                  {len(codes)} {dict(Counter(codes.values()))}")
        if codes:
            print(f"    {' '.join(sorted(codes))}")
        print(f"  scan speed                      {seconds * 1000 / max(size, 1e-9):.0f} ms/MB")

        rows = [(p, r) for p, d in docs for r in mapping_rows(d.text)]
        if not rows:
            continue
        linked = [(p, r) for p, r in rows if r.target]
        exists = {(p.parent / r.target).resolve(): r.codes for p, r in linked if (p.parent / r.target).is_file()}
        siblings = {
            s for target in exists for s in target.parent.glob(target.stem + ".*") if s.suffix in supported_suffixes()
        }
        print(f"  mapping rows naming codes       {len(rows)}")
        print(f"  rows linking to a file          {len(linked)} ({len(exists)} files exist)")
        print(f"  lesson files a mapping would tag {len(siblings)} (the linked files and their .docx/.pdf twins)")


if __name__ == "__main__":
    main()
