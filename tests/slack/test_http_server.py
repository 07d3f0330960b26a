"""HTTP mode on its production server (uvicorn): nothing parses an unsigned body, malformed
signed bodies get a 400 (never a traceback), health and readiness for a load balancer, SIGTERM
drains, and several real server processes on one data dir answer each event once."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

import pytest

from ingest.stores import DeliveryStore
from tests.slack.conftest import SECRET
from tests.slack.fake_slack import FakeSlack
from tests.slack.servers import ServerProcess, get
from tests.slack.signing import SlackSender, event_body, mention

# --- malformed requests (the in-process server) ---------------------------------------------------


def test_unsigned_malformed_bodies_are_refused_before_anything_parses_them(sender: SlackSender, monkeypatch) -> None:
    import slack_bolt.request.request as bolt_request

    parsed: list[str] = []
    real = bolt_request.parse_body
    monkeypatch.setattr(bolt_request, "parse_body", lambda body, ctype: parsed.append(body) or real(body, ctype))
    bad_sig = "v0=" + "0" * 64
    for body, ctype in [("{not json", "application/json"), ("payload=%7Bbroken", "application/x-www-form-urlencoded"),
                        ("[1, 2]", "application/json"), ('"just a string"', "application/json")]:  # fmt: skip
        r = sender.post(body, content_type=ctype, signature_override=bad_sig)
        assert r.status == 401, (body, r.status, r.body)
        assert "Traceback" not in r.body
    r = sender.post("{not json", content_type="application/json", timestamp=int(time.time()) - 600)  # signed, stale
    assert r.status == 401
    assert parsed == []  # Bolt never saw any of them


def test_a_non_numeric_timestamp_is_a_400(sender: SlackSender) -> None:
    r = sender.post('{"type": "event_callback"}', content_type="application/json", headers={"X-Slack-Request-Timestamp": "soon"})
    assert r.status == 400 and "timestamp" in r.body


@pytest.mark.parametrize(
    ("body", "ctype"),
    [
        ("[1, 2, 3]", "application/json"),
        ("{not json", "application/json"),
        (json.dumps(event_body("just a string")), "application/json"),  # type: ignore[arg-type]
        (json.dumps({**event_body(mention("hi", ts="1.1")), "authorizations": "nope"}), "application/json"),
        ("payload=%7Bbroken", "application/x-www-form-urlencoded"),
        (urlencode({"payload": "[1]"}), "application/x-www-form-urlencoded"),
        ('"a string"', "application/json"),
        ("{" + '"a":' * 1 + "[" * 100_000 + "]" * 100_000 + "}", "application/json"),  # nested deeper than Python recurses
    ],
)
def test_malformed_signed_bodies_are_a_400_not_a_crash(sender: SlackSender, fake_slack: FakeSlack, body: str, ctype: str) -> None:
    r = sender.post(body, content_type=ctype)
    assert r.status == 400, (r.status, r.body)
    assert "Traceback" not in r.body
    ok = sender.event(mention("<@UBOT> how long are exit tickets?", ts="1700009000.000100"))  # the server is fine
    assert ok.status == 200
    fake_slack.wait_for("chat.update")


def test_health_and_readiness(sender: SlackSender) -> None:
    base = sender.url.removesuffix("/slack/events")
    assert get(f"{base}/healthz") == 200
    assert get(f"{base}/readyz") == 200
    assert get(f"{base}/slack/events") == 405


# --- real server processes ---------------------------------------------------------------------


@pytest.fixture
def slack() -> FakeSlack:
    with FakeSlack() as fake:
        yield fake


def _send_all(jobs: list[tuple[SlackSender, dict, str, int | None]]) -> list[int]:
    statuses: list[int] = []
    lock = threading.Lock()
    barrier = threading.Barrier(len(jobs))

    def send(s: SlackSender, ev: dict, eid: str, retry: int | None) -> None:
        barrier.wait()
        r = s.event(ev, event_id=eid, retry_num=retry)
        with lock:
            statuses.append(r.status)

    threads = [threading.Thread(target=send, args=job) for job in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return statuses


def test_a_retry_that_reaches_another_process_is_not_answered_again(tmp_path: Path, slack: FakeSlack) -> None:
    data = tmp_path / "data"
    with (
        ServerProcess(data_dir=data, slack_url=slack.url, secret=SECRET, engine_cost=0.3, log=tmp_path / "a.log") as a,
        ServerProcess(data_dir=data, slack_url=slack.url, secret=SECRET, engine_cost=0.3, log=tmp_path / "b.log") as b,
    ):
        a.wait_ready()
        b.wait_ready()
        to_a, to_b = SlackSender(a.url, SECRET), SlackSender(b.url, SECRET)
        jobs = []
        for i in range(12):
            first, second = (to_a, to_b) if i % 2 == 0 else (to_b, to_a)
            ev = mention(f"<@UBOT> question {i}", ts=f"17000100{i:02d}.000100")
            jobs += [(first, ev, f"Ev0XPROC{i:02d}", None), (second, ev, f"Ev0XPROC{i:02d}", 1)]
        statuses = _send_all(jobs)
        assert statuses == [200] * 24
        slack.wait_for("chat.update", count=12, timeout=30)
        slack.assert_quiet("chat.postMessage", 12, settle=1.0)
        slack.assert_quiet("chat.update", 12, settle=0.1)
        texts = sorted(c.params["text"] for c in slack.calls("chat.postMessage"))
        assert len(set(texts)) == len(texts) or len(slack.calls("chat.postMessage")) == 12
        assert a.terminate() == 0 and b.terminate() == 0
    assert len(DeliveryStore(data).seen("delivery", ttl=3600)) == 12


def test_several_workers_ready_answer_once_and_stop_cleanly_on_sigterm(tmp_path: Path, slack: FakeSlack) -> None:
    with ServerProcess(data_dir=tmp_path / "data", slack_url=slack.url, secret=SECRET, workers=2, engine_cost=1.5,
                       log=tmp_path / "w.log") as server:  # fmt: skip
        server.wait_ready()
        assert get(f"{server.base}/healthz") == 200
        s = SlackSender(server.url, SECRET)
        jobs = []
        for i in range(10):
            ev = mention(f"<@UBOT> question {i}", ts=f"17000200{i:02d}.000100")
            jobs += [(s, ev, f"Ev0WORK{i:02d}", None), (s, ev, f"Ev0WORK{i:02d}", 1), (s, ev, f"Ev0WORK{i:02d}", 2)]
        assert _send_all(jobs) == [200] * 30
        slack.wait_for("chat.postMessage", count=10, timeout=20)
        started = time.monotonic()
        code = server.terminate(timeout=60)  # answers still in flight (1.5 s each, 4 at a time per worker)
        assert code == 0, server.log()
        assert time.monotonic() - started < 40
        assert len(slack.calls("chat.update")) == 10, server.log()  # every answer finished before exit
        assert len(slack.calls("chat.postMessage")) == 10
        log = (tmp_path / "w.log").read_text()
        pids = {line.split()[2] for line in log.splitlines() if line.endswith(" ready") and " worker " in line}
        assert len(pids) == 2, log  # each worker warmed its own engine before serving
