"""Figures for HTTP mode on its production server: real `guidepost serve --http --workers W`
processes (uvicorn) on 127.0.0.1, answering with the fake engine (fixed cost per answer) against
the fake Slack Web API.

    .venv/bin/python bench/bench_serve.py [--workers 1 2] [--events 100] [--cost 0.5]

Prints, for each W: ack p50/p99 over a burst of `--events` signed events sent at once; then the
same number of new events each redelivered once (X-Slack-Retry-Num: 1, half of the retries to a
second server process on the same data dir): events, retries, answers posted, duplicates.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")

from tests.slack.fake_slack import FakeSlack  # noqa: E402
from tests.slack.servers import ServerProcess  # noqa: E402
from tests.slack.signing import SlackSender, mention  # noqa: E402

SECRET = "bench-signing-secret"


def burst(jobs: list[tuple[SlackSender, dict, str, int | None]]) -> list[tuple[int, float]]:
    out: list[tuple[int, float]] = []
    lock = threading.Lock()
    barrier = threading.Barrier(len(jobs))

    def send(s: SlackSender, ev: dict, eid: str, retry: int | None) -> None:
        barrier.wait()
        r = s.event(ev, event_id=eid, retry_num=retry)
        with lock:
            out.append((r.status, r.elapsed))

    threads = [threading.Thread(target=send, args=j) for j in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return out


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def run(workers: int, events: int, cost: float, tmp: Path) -> None:
    with FakeSlack() as slack:
        data = tmp / f"data-w{workers}"
        with (
            ServerProcess(data_dir=data, slack_url=slack.url, secret=SECRET, workers=workers, engine_cost=cost,
                          log=tmp / f"w{workers}.log") as a,
            ServerProcess(data_dir=data, slack_url=slack.url, secret=SECRET, workers=1, engine_cost=cost,
                          log=tmp / f"w{workers}-b.log") as b,
        ):  # fmt: skip
            a.wait_ready(120)
            b.wait_ready(120)
            sa, sb = SlackSender(a.url, SECRET), SlackSender(b.url, SECRET)
            # 1. a burst of `events` first deliveries to the W-worker server
            jobs = [(sa, mention(f"<@UBOT> burst question {i}", ts=f"1700100{i:03d}.000100"), f"Ev0BURST{i:03d}", None)
                    for i in range(events)]  # fmt: skip
            results = burst(jobs)
            acks = [e * 1000 for _, e in results]
            ok = sum(1 for s, _ in results if s == 200)
            print(f"W={workers}: burst of {events} events: {ok} acked 200, ack p50 {statistics.median(acks):.0f} ms, "
                  f"p99 {pct(acks, 99):.0f} ms, max {max(acks):.0f} ms")  # fmt: skip
            slack.wait_for("chat.update", count=events, timeout=events * cost + 120)
            slack.clear()
            # 2. each event delivered, then retried; half of the retries reach the other process
            jobs = []
            for i in range(events):
                ev = mention(f"<@UBOT> retried question {i}", ts=f"1700200{i:03d}.000100")
                jobs.append((sa, ev, f"Ev0RETRY{i:03d}", None))
                jobs.append((sb if i % 2 else sa, ev, f"Ev0RETRY{i:03d}", 1))
            results = burst(jobs)
            slack.wait_for("chat.update", count=events, timeout=events * cost + 120)
            time.sleep(2.0)
            posts = slack.calls("chat.postMessage")
            updates = slack.calls("chat.update")
            threads = [p.params.get("thread_ts") for p in posts]
            dupes = len(threads) - len(set(threads))
            print(f"W={workers}+1: {events} events, {events} retries ({events // 2} to the second process), "
                  f"{sum(1 for s, _ in results if s == 200)} acked 200, answers posted {len(updates)}, "
                  f"placeholders {len(posts)}, duplicates {dupes}")  # fmt: skip
            a.terminate(120)
            b.terminate(120)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--events", type=int, default=100)
    ap.add_argument("--cost", type=float, default=0.2, help="seconds per answer of the fake engine")
    args = ap.parse_args()
    print(f"fake engine {args.cost:.2f} s per answer; {os.cpu_count()} CPUs; fake Slack on 127.0.0.1")
    with tempfile.TemporaryDirectory(prefix="guidepost-bench-serve-") as tmp:
        for w in args.workers:
            run(w, args.events, args.cost, Path(tmp))


if __name__ == "__main__":
    main()
