"""Privacy-scan benchmark: false alarms on the shared data, catches on the positive test files,
and speed.

    python bench/bench_privacy.py [--shared ../shared] [--list]

- False alarms: every file of shared/seeds and shared/corpus is loaded with the project's
  loaders and scanned; the shared data holds no student personal data, so every finding there
  is a false alarm (`--list` prints them). The email addresses the scan set aside there as
  made up, role mailboxes or staff contacts are counted too, so the effect of those rules shows.
- Catches: the files of tests/ingest/privacy_samples.py, each with the findings it must yield.
- Speed: scan time per MB of loaded text, over the whole shared data (loading not counted), and
  over one 8 MB text made by repeating it (so that the figure is not a per-call overhead).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ingest.loaders import is_sidecar, load_bytes, load_file, supported_suffixes  # noqa: E402
from ingest.domain import Document  # noqa: E402
from ingest.privacy import _EMAIL, _PLACEHOLDER_DOMAINS, _ROLE_MAILBOXES, Kind, scan_document, scan_text  # noqa: E402
from ingest.settings import Settings  # noqa: E402
from tests.ingest.privacy_samples import SAMPLES  # noqa: E402


def load_shared(shared: Path, settings: Settings) -> tuple[list[tuple[Path, Document]], list[str]]:
    docs, failed = [], []
    for folder in (shared / "seeds", shared / "corpus"):
        for path in sorted(folder.rglob("*")):
            if not path.is_file() or path.suffix.lower() not in supported_suffixes() or is_sidecar(path):
                continue
            try:
                docs.append((path, load_file(path, settings)))
            except Exception as exc:  # noqa: BLE001 - a benchmark reports and goes on
                failed.append(f"{path}: {exc}")
    return docs, failed


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    ap.add_argument("--list", action="store_true", help="print every false alarm")
    args = ap.parse_args()
    settings = Settings(data_dir=Path("/nonexistent-guidepost-bench"), _env_file=None)

    docs, failed = load_shared(args.shared, settings)
    scan_text("warm-up 617-555-0134")  # imports phonenumbers once, outside the timing
    size = sum(len(d.text.encode("utf-8")) for _, d in docs)
    t0 = time.perf_counter()
    reports = [(p, scan_document(d)) for p, d in docs]
    scan_s = time.perf_counter() - t0
    alarms = [(p, f) for p, r in reports for f in r.findings]
    flagged_docs = {p for p, _ in alarms}
    found = [(p, local, domain) for p, d in docs for local, domain in _EMAIL.findall(d.text)]
    addresses = len(found)
    reported = sum(1 for _, f in alarms if f.kind is Kind.EMAIL)
    made_up = [(p, d) for p, _, d in found if _PLACEHOLDER_DOMAINS.fullmatch(d)]
    role = [p for p, local, d in found if not _PLACEHOLDER_DOMAINS.fullmatch(d) and local.lower() in _ROLE_MAILBOXES]

    big = "\n\n".join(d.text for _, d in docs)
    big = (big * (8 * 2**20 // len(big.encode()) + 1))[: 8 * 2**20]
    t1 = time.perf_counter()
    scan_text(big)
    big_s = time.perf_counter() - t1
    big_mb = len(big.encode()) / 2**20

    expected = caught = 0
    misses: list[str] = []
    extra: list[str] = []
    for sample in SAMPLES:
        doc = load_bytes(sample.build(), sample.name, settings, source_key=sample.name)
        counts = scan_document(doc).counts()
        for kind, n in sample.expect.items():
            expected += n
            caught += min(n, counts.get(kind, 0))
            if counts.get(kind, 0) < n:
                misses.append(f"{sample.name}: {kind.value} {counts.get(kind, 0)}/{n}")
        extra += [f"{sample.name}: {k.value}" for k in counts if k not in sample.expect]

    print(f"shared files scanned            {len(docs)} ({len(failed)} could not be loaded)")
    print(f"shared text                     {size / 2**20:.2f} MB")
    print(f"false alarms (findings)         {len(alarms)} in {len(flagged_docs)} files")
    for kind, n in sorted(Counter(f.kind.value for _, f in alarms).items()):
        print(f"  {kind:<29} {n}")
    print(f"email addresses in shared text  {addresses}, reported {reported}")
    print(f"  set aside as made up            {len(made_up)} in {len({p for p, _ in made_up})} files ({', '.join(sorted({d for _, d in made_up}))})")
    print(f"  set aside as role mailboxes     {len(role)} in {len(set(role))} files")
    print(f"  set aside as staff contacts     {addresses - reported - len(made_up) - len(role)}")
    print(f"positive files                  {len(SAMPLES)}")
    print(f"expected findings caught        {caught} / {expected}")
    print(f"files with every kind caught    {sum(1 for s in SAMPLES if not any(m.startswith(s.name + ':') for m in misses))} / {len(SAMPLES)}")
    print(f"unexpected kinds in positives   {len(extra)}")
    print(f"scan speed, shared documents    {scan_s * 1000 / (size / 2**20):.0f} ms/MB ({scan_s * 1000:.0f} ms)")
    print(f"scan speed, one 8 MB text       {big_s * 1000 / big_mb:.0f} ms/MB")
    for line in misses + extra:
        print(f"  miss/extra: {line}")
    for line in failed:
        print(f"  not loaded: {line}")
    if args.list:
        for path, finding in alarms:
            print(f"  {path.relative_to(args.shared)}: {finding}")


if __name__ == "__main__":
    main()
