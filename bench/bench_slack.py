"""Figures for the Slack layer, measured against the fake Slack Web API on 127.0.0.1.

    .venv/bin/python bench/bench_slack.py            # fake engine of fixed cost
    .venv/bin/python bench/bench_slack.py --real     # the real engine, if an index exists

Prints: ack time over 50 signed requests in HTTP mode (events and slash commands), time from
event to posted answer, and 20 concurrent questions (each also redelivered once by "Slack"):
all answered, none twice — counted from the fake API's records.
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")

from bot.slack.app import bot_context, build_app  # noqa: E402
from bot.slack.context import ANSWER_WORKERS  # noqa: E402
from bot.slack.run import make_http_server  # noqa: E402
from ingest.domain import AnswerEngine  # noqa: E402
from ingest.settings import Settings  # noqa: E402
from tests.slack.fake_engine import FakeEngine  # noqa: E402
from tests.slack.fake_slack import FakeSlack  # noqa: E402
from tests.slack.signing import SlackSender, mention, message  # noqa: E402

SECRET = "bench-signing-secret"
QUESTIONS = [  # real questions about the sample knowledge/ folder (the fake engine ignores them)
    "How do I turn choice board levels into a gradebook entry?",
    "How should a team score student samples together before grading a choice board?",
    "What rule should every square on a choice board follow?",
    "How do I launch a choice board in the first week?",
]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:7.1f} ms"


def summary(values: list[float]) -> str:
    values = sorted(values)
    p95 = values[min(len(values) - 1, int(round(0.95 * (len(values) - 1))))]
    return f"median {ms(statistics.median(values))}   p95 {ms(p95)}   worst {ms(values[-1])}"


def real_engine(data_dir: str | None) -> tuple[AnswerEngine | None, str]:
    try:
        from bot.engine.answer import Engine  # type: ignore[import-not-found]
    except ImportError as e:
        return None, f"real engine unavailable ({e})"
    try:
        settings = Settings(data_dir=data_dir) if data_dir else Settings()
        engine = Engine(settings)
        engine.answer("warm-up question about exit tickets")
        return engine, f"real engine ({type(engine).__module__}.{type(engine).__name__}, data dir {settings.data_dir})"
    except Exception as e:  # no index, missing model, ...
        return None, f"real engine could not start ({type(e).__name__}: {e})"


class Bench:
    def __init__(self, engine: AnswerEngine, fake: FakeSlack, data_dir: Path) -> None:
        self.fake = fake
        settings = Settings(
            _env_file=None,
            data_dir=data_dir,
            slack_bot_token="xoxb-bench",
            slack_signing_secret=SECRET,
            slack_api_url=fake.url,
        )
        self.app = build_app(settings, engine)
        self.server = make_http_server(self.app, host="127.0.0.1", port=0)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.sender = SlackSender(f"http://127.0.0.1:{self.server.server_address[1]}/slack/events", SECRET)
        self._ts = 1_800_000_000

    def ts(self) -> str:
        self._ts += 1
        return f"{self._ts}.000100"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        bot_context(self.app).close()

    def warm_up(self) -> None:
        self.sender.event(mention(f"<@UBOT> {QUESTIONS[0]}", ts=self.ts()))  # auth.test, first SQLite open
        self.fake.wait_for("chat.update", timeout=120)

    def ack_times(self, n: int = 50) -> tuple[list[float], list[float]]:
        before = len(self.fake.calls("chat.update"))
        events = []
        for i in range(n):
            r = self.sender.event(mention(f"<@UBOT> {QUESTIONS[i % len(QUESTIONS)]}", ts=self.ts()))
            assert r.status == 200, r
            events.append(r.elapsed)
        commands = []
        for i in range(n):
            r = self.sender.command(QUESTIONS[i % len(QUESTIONS)], response_url=self.fake.response_url(f"b{i}"))
            assert r.status == 200, r
            commands.append(r.elapsed)
        self.fake.wait_for("chat.update", count=before + n, timeout=600)
        self.fake.wait_for("response_url", count=n, timeout=600, where=lambda c: c.params.get("_name", "").startswith("b"))
        return events, commands

    def event_to_answer(self, n: int = 20) -> tuple[list[float], list[float], Counter[str]]:
        """DMs one after another: time until the placeholder and until the answer is posted."""
        to_placeholder, to_answer = [], []
        for i in range(1, n + 1):
            start = time.perf_counter()
            q = QUESTIONS[i % len(QUESTIONS)]
            self.sender.event(message(q, ts=self.ts(), channel="DBENCH", channel_type="im"))
            placeholder = self.fake.wait_for("chat.postMessage", count=i, timeout=60)[-1]
            update = self.fake.wait_for("chat.update", count=i, timeout=600)[-1]
            assert update.params["ts"] == placeholder.response["ts"]
            to_placeholder.append(placeholder.at - start)
            to_answer.append(update.at - start)
        return to_placeholder, to_answer, outcomes(self.fake.calls("chat.update"))

    def concurrent(self, n: int = 20) -> dict[str, object]:
        """n questions at once, each delivered twice (the second as a retry)."""
        self.fake.clear()
        questions = [(self.ts(), f"EvBENCH{i:03d}", QUESTIONS[i % len(QUESTIONS)]) for i in range(n)]
        sent: dict[str, float] = {}
        statuses: list[int] = []
        lock = threading.Lock()
        barrier = threading.Barrier(2 * n)

        def send(ts: str, event_id: str, question: str, retry: int | None) -> None:
            barrier.wait()
            start = time.perf_counter()
            ev = mention(f"<@UBOT> {question}", ts=ts, channel="CBENCH")
            r = self.sender.event(ev, event_id=event_id, retry_num=retry)
            with lock:
                statuses.append(r.status)
                sent[ts] = min(start, sent.get(ts, start))

        threads = [
            threading.Thread(target=send, args=(ts, eid, q, retry)) for ts, eid, q in questions for retry in (None, 1)
        ]
        t0 = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        acked = time.perf_counter() - t0
        self.fake.wait_for("chat.update", count=n, timeout=600)
        wall = time.perf_counter() - t0
        time.sleep(1.0)  # anything sent twice would show up by now
        posts = self.fake.calls("chat.postMessage")
        updates = self.fake.calls("chat.update")
        thread_of = {p.response["ts"]: p.params["thread_ts"] for p in posts if p.response}
        answered = Counter(thread_of[u.params["ts"]] for u in updates)
        return {
            "statuses": Counter(statuses),
            "acked_all": acked,
            "answered": sum(1 for ts, _, _ in questions if answered[ts] >= 1),
            "posts": len(posts),
            "updates": len(updates),
            "twice": sum(1 for v in Counter(thread_of.values()).values() if v > 1) + sum(1 for v in answered.values() if v > 1),
            "wall": wall,
            "latency": [u.at - sent[thread_of[u.params["ts"]]] for u in updates],
            "outcomes": outcomes(updates),
        }


def outcomes(updates: list) -> Counter[str]:
    """What the posted messages were: cited answers, abstentions, or error replies."""
    kinds: Counter[str] = Counter()
    for u in updates:
        blocks = u.blocks_json
        kinds["error reply" if ":warning:" in blocks else "cited answer" if "*Sources*" in blocks else "abstention"] += 1
    return kinds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--real", action="store_true", help="use the real answer engine (needs an index)")
    parser.add_argument("--data-dir", help="data dir of the real index (default: GUIDEPOST_DATA_DIR)")
    parser.add_argument("--cost", type=float, default=0.25, help="seconds the fake engine takes per answer")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds the fake Slack API adds to each call")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)

    engine: AnswerEngine | None = None
    label = ""
    if args.real:
        engine, label = real_engine(args.data_dir)
        if engine is None:
            print(f"! {label}; falling back to the fake engine")
    if engine is None:
        engine = FakeEngine(cost=args.cost)
        label = f"fake engine, fixed cost {args.cost * 1000:.0f} ms per answer"

    print(f"Guidepost Slack bench — {os.cpu_count()} CPUs, Python {sys.version.split()[0]}")
    print(f"engine: {label}; answer workers: {ANSWER_WORKERS}")
    print(f"Slack: fake Web API on 127.0.0.1, {args.latency * 1000:.0f} ms added per call; HTTP mode, signed requests\n")

    with FakeSlack(latency=args.latency) as fake, tempfile.TemporaryDirectory() as tmp:
        bench = Bench(engine, fake, Path(tmp) / "data")
        try:
            bench.warm_up()
            events, commands = bench.ack_times(50)
            print("Ack time, 50 signed requests each, sent one after another:")
            print(f"  app_mention events     {summary(events)}")
            print(f"  /guidepost commands    {summary(commands)}   (ack carries the placeholder)")

            fake.clear()
            to_placeholder, to_answer, kinds = bench.event_to_answer(20)
            print("\nEvent to posted answer, 20 DMs one after another:")
            print(f"  to placeholder shown   {summary(to_placeholder)}")
            print(f"  to answer posted       {summary(to_answer)}")
            if isinstance(engine, FakeEngine):
                overhead = [a - engine.cost for a in to_answer]
                print(f"  minus engine cost      {summary(overhead)}   (the Slack layer's own share)")
            print(f"  posted                 {dict(kinds)}")

            result = bench.concurrent(20)
            print("\n20 concurrent questions, each also redelivered once (X-Slack-Retry-Num: 1), 40 requests:")
            print(f"  HTTP statuses          {dict(result['statuses'])}; all 40 acked within {ms(result['acked_all'])}")
            print(
                f"  answered               {result['answered']}/20; chat.postMessage {result['posts']}, "
                f"chat.update {result['updates']}; answered twice: {result['twice']}"
            )
            print(f"  all answered after     {ms(result['wall'])}")
            print(f"  per-question latency   {summary(result['latency'])}")
            print(f"  posted                 {dict(result['outcomes'])}")
        finally:
            bench.close()


if __name__ == "__main__":
    main()
