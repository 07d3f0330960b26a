"""Figures for written (LLM) answers over an OpenAI-compatible endpoint, with the real
`langchain-openai` client, the real engine over the sample knowledge/ folder, and a local stub
server speaking the wire protocol (tests/openai_server.py; no real model runs here).

    .venv/bin/python bench/bench_llm.py [--token-ms 45] [--first-ms 400]

The stub is paced like a small local model (llama.cpp on 2 cores: ~22 tokens/s, FACTS.md).
Prints, for two reply policies (grounded; grounded plus an invented claim and citation): time to
first streamed token, total time, the share passing the grounding check (untouched / trimmed),
and the share falling back. Then a stub that never starts in time: the fallback delay.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from bot.engine.answer import Engine  # noqa: E402
from bot.engine.llm import LLMWriter  # noqa: E402
from ingest.embeddings import Encoder  # noqa: E402
from ingest.pipeline import Ingestor  # noqa: E402
from ingest.settings import Settings  # noqa: E402
from ingest.stores import KnowledgeBase  # noqa: E402
from tests.openai_server import OpenAIServer, grounded, with_inventions  # noqa: E402

KNOWLEDGE = Path(__file__).resolve().parents[1] / "knowledge"
QUESTIONS = [
    "How do I turn choice board levels into a gradebook entry?",
    "How should a team score student samples together before grading a choice board?",
    "What rule should every square on a choice board follow?",
    "How do I launch a choice board in the first week?",
    "How long is the K-2 literacy block?",
    "How long should kindergarten center rotations be?",
    "What do early finishers do on the fractions tic-tac-toe board?",
    "What are the must-do tasks on the grade 10-12 argument board?",
    "How do students analyse a primary source in the social studies lesson?",
    "What safety steps come before the grade 7 inquiry lab?",
    "How is the loops lesson structured in computer science?",
    "What does the grade 8 ecosystems choice board ask students to make?",
]


def med(values: list[float]) -> str:
    return f"median {statistics.median(values):6.0f} ms  worst {max(values):6.0f} ms" if values else "n/a"


def run(settings: Settings, kb: KnowledgeBase, encoder: Encoder, server: OpenAIServer, **update: float) -> dict:
    s = settings.model_copy(update={"llm": "openai:bench", "llm_base_url": server.base_url, **update})
    engine = Engine(s, kb, encoder, writer=LLMWriter.from_settings(s))
    first, total, wall, check, outcomes, reasons = [], [], [], [], Counter(), Counter()
    for q in QUESTIONS:
        t0 = time.perf_counter()
        ans = engine.answer(q, on_token=lambda t: None)
        wall.append((time.perf_counter() - t0) * 1e3)
        if ans.abstained:
            outcomes["abstained (no LLM call)"] += 1
            continue
        if "llm_first_token" in ans.timings_ms:
            first.append(ans.timings_ms["llm_first_token"])
        if "grounding" in ans.timings_ms:
            check.append(ans.timings_ms["grounding"])
        if "llm_total" in ans.timings_ms:
            total.append(ans.timings_ms["llm_total"])
        outcomes[(ans.grounding or {}).get("outcome", "-")] += 1
        reasons[ans.fallback_reason or "none (LLM answer used)"] += 1
    return {"first": first, "total": total, "wall": wall, "check": check, "outcomes": outcomes, "reasons": reasons}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--token-ms", type=float, default=45.0, help="stub delay between tokens")
    ap.add_argument("--first-ms", type=float, default=400.0, help="stub delay before the first token")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(_env_file=None, data_dir=Path(tmp) / "data")
        encoder = Encoder.from_settings(settings)
        kb = KnowledgeBase(settings)
        t0 = time.perf_counter()
        Ingestor(settings, kb, encoder).ingest_paths([KNOWLEDGE])
        print(f"indexed knowledge/ in {time.perf_counter() - t0:.1f} s; {len(QUESTIONS)} questions\n")
        for name, policy in (("grounded", grounded), ("grounded + invented claim", with_inventions)):
            with OpenAIServer(policy, first_token_delay=args.first_ms / 1e3, token_delay=args.token_ms / 1e3) as server:
                r = run(settings, kb, encoder, server)
            n = sum(r["outcomes"].values())
            print(f"stub replies: {name} (first token after {args.first_ms:.0f} ms, {args.token_ms:.0f} ms/token)")
            print(f"  time to first streamed token  {med(r['first'])}")
            print(f"  LLM total                     {med(r['total'])}")
            print(f"  grounding check               {med(r['check'])}")
            print(f"  whole answer (retrieval+LLM)  {med(r['wall'])}")
            print(f"  grounding outcomes            {dict(r['outcomes'])} of {n}")
            print(f"  fallbacks                     {dict(r['reasons'])}\n")
        with OpenAIServer(grounded, first_token_delay=5.0) as server:
            r = run(settings, kb, encoder, server, llm_first_token_seconds=1.0)
        print("stub that takes 5 s to start, first-token limit 1 s")
        print(f"  whole answer (falls back)     {med(r['wall'])}")
        print(f"  fallbacks                     {dict(r['reasons'])}")


if __name__ == "__main__":
    main()
