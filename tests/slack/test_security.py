"""Only requests Slack signed, recently, are processed."""

from __future__ import annotations

import json
import time

import pytest

from tests.slack.fake_engine import FakeEngine
from tests.slack.fake_slack import FakeSlack
from tests.slack.signing import SlackSender, event_body, mention, signature


def body() -> str:
    return json.dumps(event_body(mention("<@UBOT> how long are exit tickets?", ts="1700001000.000100")))


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param({"sign_with": "not-the-secret"}, id="forged-wrong-secret"),
        pytest.param({"timestamp": -600}, id="stale-10-minutes"),  # seconds from now, when the test runs
        pytest.param({"timestamp": +600}, id="from-the-future"),
        pytest.param({"signature_override": "v0=" + "0" * 64}, id="made-up-signature"),
        pytest.param({"signature_override": "garbage"}, id="malformed-signature"),
    ],
)
def test_forged_and_stale_requests_are_refused(
    sender: SlackSender, fake_slack: FakeSlack, engine: FakeEngine, tamper: dict
) -> None:
    if "timestamp" in tamper:  # computed now, not at collection (a long suite made "the future" the present)
        tamper = {**tamper, "timestamp": int(time.time()) + tamper["timestamp"]}
    r = sender.post(body(), content_type="application/json", **tamper)
    assert r.status == 401
    fake_slack.assert_quiet("chat.postMessage", 0, settle=0.2)
    assert not engine.calls


def test_a_body_changed_after_signing_is_refused(sender: SlackSender, fake_slack: FakeSlack) -> None:
    ts = str(int(time.time()))
    sig = signature(sender.secret, ts, body())
    tampered = body().replace("exit tickets", "payroll")
    r = sender.post(tampered, content_type="application/json", timestamp=int(ts), signature_override=sig)
    assert r.status == 401


def test_unsigned_command_is_refused(sender: SlackSender, fake_slack: FakeSlack) -> None:
    r = sender.command("hi", response_url=fake_slack.response_url(), sign_with="wrong")
    assert r.status == 401
    fake_slack.assert_quiet("response_url", 0, settle=0.2)


def test_the_signed_request_itself_is_accepted(sender: SlackSender) -> None:
    assert sender.post(body(), content_type="application/json").status == 200
