"""Never silent, never twice: redeliveries, rate limits, server errors, restarts, load."""

from __future__ import annotations

import threading
from collections import Counter

from bot.slack.app import bot_context, build_app
from bot.slack.run import make_http_server
from ingest.settings import Settings
from tests.slack.conftest import SECRET
from tests.slack.fake_engine import FakeEngine
from tests.slack.fake_slack import FakeSlack
from tests.slack.signing import SlackSender, mention, message


def test_a_redelivery_is_acknowledged_and_answered_once(sender: SlackSender, fake_slack: FakeSlack, engine: FakeEngine) -> None:
    ev = mention("<@UBOT> a slow question", ts="1700002000.000100")
    first = sender.event(ev, event_id="Ev0RETRY1")
    again = sender.event(ev, event_id="Ev0RETRY1", retry_num=1)
    third = sender.event(ev, event_id="Ev0RETRY1", retry_num=2)
    assert (first.status, again.status, third.status) == (200, 200, 200)
    assert again.body == "" and third.body == ""
    fake_slack.wait_for("chat.update", timeout=5)
    fake_slack.assert_quiet("chat.postMessage", 1)
    fake_slack.assert_quiet("chat.update", 1, settle=0.1)
    assert len(engine.calls) == 1


def test_a_redelivery_after_a_restart_is_not_answered_again(
    settings: Settings, fake_slack: FakeSlack, engine: FakeEngine
) -> None:
    ev = mention("<@UBOT> how long are exit tickets?", ts="1700002100.000100")
    for attempt in (None, 1):  # the same event, to a fresh process each time
        app = build_app(settings, engine)
        server = make_http_server(app, host="127.0.0.1", port=0)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        sender = SlackSender(f"http://127.0.0.1:{server.server_address[1]}/slack/events", SECRET)
        assert sender.event(ev, event_id="Ev0RESTART", retry_num=attempt).status == 200
        if attempt is None:
            fake_slack.wait_for("chat.update")
        server.shutdown()
        server.server_close()
        bot_context(app).close()
    fake_slack.assert_quiet("chat.postMessage", 1)
    assert len(engine.calls) == 1


def test_rate_limited_then_success(sender: SlackSender, fake_slack: FakeSlack) -> None:
    fake_slack.fail_next("chat.postMessage", status=429, retry_after=1)
    r = sender.event(message("how long are exit tickets?", ts="1700002200.000100", channel="D0001", channel_type="im"))
    assert r.status == 200 and r.elapsed < 0.5  # the ack does not wait for the retry
    posts = fake_slack.wait_for("chat.postMessage", count=2, timeout=5)
    assert posts[1].at - posts[0].at >= 1.0  # Retry-After honoured
    update = fake_slack.wait_for("chat.update", timeout=5)[0]
    assert update.params["ts"] == fake_slack.messages("D0001")[0]["ts"]
    fake_slack.assert_quiet("chat.postMessage", 2)


def test_server_error_then_success(sender: SlackSender, fake_slack: FakeSlack) -> None:
    fake_slack.fail_next("chat.update", status=503)
    fake_slack.fail_next("response_url", status=500)
    sender.event(mention("<@UBOT> how long are exit tickets?", ts="1700002300.000100"))
    updates = fake_slack.wait_for("chat.update", count=2, timeout=6)
    assert updates[1].params["ts"] == updates[0].params["ts"]
    sender.command("how long?", response_url=fake_slack.response_url())
    replies = fake_slack.wait_for("response_url", count=2, timeout=6)
    assert replies[1].params["replace_original"] is True
    fake_slack.assert_quiet("chat.postMessage", 1)


def test_when_the_placeholder_is_gone_the_answer_is_posted_anew(sender: SlackSender, fake_slack: FakeSlack) -> None:
    fake_slack.fail_next("chat.update", error="message_not_found")
    sender.event(mention("<@UBOT> how long are exit tickets?", ts="1700002400.000100"))
    posts = fake_slack.wait_for("chat.postMessage", count=2)
    assert posts[1].params["thread_ts"] == "1700002400.000100"
    assert posts[1].params["text"].startswith("Exit tickets take five minutes")


def test_when_the_placeholder_cannot_be_posted_the_answer_still_is(sender: SlackSender, fake_slack: FakeSlack) -> None:
    fake_slack.fail_next("chat.postMessage", error="internal_error")
    sender.event(mention("<@UBOT> how long are exit tickets?", ts="1700002500.000100"))
    posts = fake_slack.wait_for("chat.postMessage", count=2)
    assert posts[1].params["text"].startswith("Exit tickets take five minutes")
    assert not fake_slack.calls("chat.update")


def test_twenty_concurrent_questions_all_answered_none_twice(
    settings: Settings, fake_slack: FakeSlack
) -> None:
    engine = FakeEngine(cost=0.2)
    app = build_app(settings, engine)
    server = make_http_server(app, host="127.0.0.1", port=0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    sender = SlackSender(f"http://127.0.0.1:{server.server_address[1]}/slack/events", SECRET)
    try:
        questions = [(f"17000030{i:02d}.000100", f"Ev0CONC{i:02d}") for i in range(20)]
        statuses: list[int] = []
        lock = threading.Lock()
        barrier = threading.Barrier(40)

        def send(ts: str, event_id: str, retry: int | None) -> None:
            barrier.wait()
            r = sender.event(mention(f"<@UBOT> question {ts}", ts=ts), event_id=event_id, retry_num=retry)
            with lock:
                statuses.append(r.status)

        threads = [threading.Thread(target=send, args=(ts, eid, retry)) for ts, eid in questions for retry in (None, 1)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert statuses == [200] * 40

        updates = fake_slack.wait_for("chat.update", count=20, timeout=10)
        fake_slack.assert_quiet("chat.update", 20)
        posts = fake_slack.calls("chat.postMessage")
        assert len(posts) == 20
        assert Counter(p.params["thread_ts"] for p in posts) == Counter({ts: 1 for ts, _ in questions})
        assert len({u.params["ts"] for u in updates}) == 20
        assert sorted(q for q, _, _ in engine.calls) == sorted(f"question {ts}" for ts, _ in questions)
    finally:
        server.shutdown()
        server.server_close()
        bot_context(app).close()
