"""Requests as Slack sends them: signed (`v0=` + hex HMAC-SHA256 of `v0:{ts}:{body}`), to a
Bolt app served over real HTTP. Also the payload builders the tests and the bench share."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

TEAM = "T0001"
TEACHER = "UTEACH"
COACH = "UCOACH"  # in GUIDEPOST_COACHES in the test settings

_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never a proxy: 127.0.0.1 only


def signature(secret: str, timestamp: str | int, body: str) -> str:
    base = f"v0:{timestamp}:{body}".encode()
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


@dataclass
class Response:
    status: int
    body: str
    headers: dict[str, str]
    elapsed: float  # seconds, request sent to response read

    def json(self) -> Any:
        return json.loads(self.body)


class SlackSender:
    """Posts signed requests to the app's /slack/events URL."""

    def __init__(self, url: str, secret: str) -> None:
        self.url = url
        self.secret = secret

    def post(
        self,
        body: str,
        *,
        content_type: str,
        timestamp: int | None = None,
        sign_with: str | None = None,
        signature_override: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> Response:
        ts = str(timestamp if timestamp is not None else int(time.time()))
        sig = signature_override or signature(sign_with or self.secret, ts, body)
        req = urllib.request.Request(
            self.url,
            data=body.encode(),
            method="POST",
            headers={
                "Content-Type": content_type,
                "X-Slack-Request-Timestamp": ts,
                "X-Slack-Signature": sig,
                **(headers or {}),
            },
        )
        start = time.perf_counter()
        try:
            with _opener.open(req, timeout=10) as resp:
                text = resp.read().decode()
                return Response(resp.status, text, dict(resp.headers), time.perf_counter() - start)
        except urllib.error.HTTPError as e:
            text = e.read().decode()
            return Response(e.code, text, dict(e.headers), time.perf_counter() - start)

    def event(self, event: dict[str, Any], *, event_id: str | None = None, retry_num: int | None = None, **kw: Any) -> Response:
        body = json.dumps(event_body(event, event_id=event_id))
        headers = {}
        if retry_num is not None:
            headers = {"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": "http_timeout"}
        return self.post(body, content_type="application/json", headers=headers, **kw)

    def event_body(self, body: dict[str, Any], *, retry_num: int | None = None, **kw: Any) -> Response:
        headers = {"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": "http_timeout"} if retry_num else {}
        return self.post(json.dumps(body), content_type="application/json", headers=headers, **kw)

    def command(self, text: str, *, response_url: str, user: str = TEACHER, channel: str = "C0001", **kw: Any) -> Response:
        return self.post(
            urlencode(command_form(text, response_url=response_url, user=user, channel=channel)),
            content_type="application/x-www-form-urlencoded",
            **kw,
        )

    def interaction(self, payload: dict[str, Any], **kw: Any) -> Response:
        return self.post(
            urlencode({"payload": json.dumps(payload)}), content_type="application/x-www-form-urlencoded", **kw
        )


# --- payloads --------------------------------------------------------------------------------


def event_body(event: dict[str, Any], *, event_id: str | None = None) -> dict[str, Any]:
    return {
        "token": "legacy-verification-token",
        "team_id": TEAM,
        "api_app_id": "A0001",
        "event": event,
        "type": "event_callback",
        "event_id": event_id or "Ev" + uuid.uuid4().hex[:10].upper(),
        "event_time": int(time.time()),
        "authorizations": [{"team_id": TEAM, "user_id": "UBOT", "is_bot": True}],
    }


def mention(text: str, *, ts: str, channel: str = "C0001", user: str = TEACHER, thread_ts: str | None = None) -> dict[str, Any]:
    ev = {"type": "app_mention", "user": user, "text": text, "ts": ts, "channel": channel, "event_ts": ts}
    if thread_ts:
        ev["thread_ts"] = thread_ts
    return ev


def message(
    text: str,
    *,
    ts: str,
    channel: str = "C0001",
    user: str | None = TEACHER,
    channel_type: str = "channel",
    thread_ts: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    ev: dict[str, Any] = {"type": "message", "text": text, "ts": ts, "channel": channel,
                          "event_ts": ts, "channel_type": channel_type}  # fmt: skip
    if user:
        ev["user"] = user
    if thread_ts:
        ev["thread_ts"] = thread_ts
    ev.update(extra)
    return ev


def command_form(text: str, *, response_url: str, user: str = TEACHER, channel: str = "C0001") -> dict[str, str]:
    return {
        "token": "legacy",
        "team_id": TEAM,
        "team_domain": "district",
        "channel_id": channel,
        "channel_name": "grade-5",
        "user_id": user,
        "user_name": "teacher",
        "command": "/guidepost",
        "text": text,
        "api_app_id": "A0001",
        "response_url": response_url,
        "trigger_id": "trig." + uuid.uuid4().hex,
    }


def block_action(
    action_id: str,
    value: str,
    *,
    response_url: str,
    user: str = TEACHER,
    channel: str = "C0001",
    message_ts: str = "1700000000.000100",
) -> dict[str, Any]:
    return {
        "type": "block_actions",
        "team": {"id": TEAM, "domain": "district"},
        "user": {"id": user, "username": "teacher", "team_id": TEAM},
        "api_app_id": "A0001",
        "token": "legacy",
        "container": {"type": "message", "message_ts": message_ts, "channel_id": channel, "is_ephemeral": False},
        "trigger_id": "trig." + uuid.uuid4().hex,
        "channel": {"id": channel, "name": "grade-5"},
        "message": {"type": "message", "ts": message_ts, "text": "an answer", "user": "UBOT"},
        "response_url": response_url,
        "actions": [
            {"action_id": action_id, "block_id": "guidepost_answer_actions", "type": "button", "value": value,
             "action_ts": str(time.time())}
        ],
    }  # fmt: skip


def message_shortcut(
    text: str,
    *,
    response_url: str,
    ts: str = "1700000000.000200",
    user: str = TEACHER,
    channel: str = "C0001",
    thread_ts: str | None = None,
) -> dict[str, Any]:
    msg: dict[str, Any] = {"type": "message", "user": "UOTHER", "text": text, "ts": ts}
    if thread_ts:
        msg["thread_ts"] = thread_ts
    return {
        "type": "message_action",
        "token": "legacy",
        "action_ts": str(time.time()),
        "team": {"id": TEAM, "domain": "district"},
        "user": {"id": user, "name": "teacher"},
        "channel": {"id": channel, "name": "grade-5"},
        "callback_id": "ask_about_message",
        "trigger_id": "trig." + uuid.uuid4().hex,
        "message_ts": ts,
        "message": msg,
        "response_url": response_url,
    }


def view_submission(
    callback_id: str,
    values: dict[str, dict[str, Any]],
    *,
    private_metadata: str = "",
    user: str = TEACHER,
) -> dict[str, Any]:
    """A modal submitted: `values` is `view.state.values` (block id -> action id -> value)."""
    return {
        "type": "view_submission",
        "team": {"id": TEAM, "domain": "district"},
        "user": {"id": user, "username": "coach", "team_id": TEAM},
        "api_app_id": "A0001",
        "token": "legacy",
        "trigger_id": "trig." + uuid.uuid4().hex,
        "view": {
            "id": "V0001",
            "type": "modal",
            "callback_id": callback_id,
            "private_metadata": private_metadata,
            "state": {"values": values},
            "hash": "h1",
        },
    }


def file_share(
    text: str,
    files: list[dict[str, Any]],
    *,
    ts: str,
    channel: str = "D0COACH",
    user: str = COACH,
) -> dict[str, Any]:
    """A DM to the bot with files attached (`files` as `FakeSlack.file_object` gives them)."""
    return message(text, ts=ts, channel=channel, user=user, channel_type="im", subtype="file_share", files=files)
