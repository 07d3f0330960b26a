"""A fake Slack Web API on 127.0.0.1 that records every call.

    with FakeSlack() as fake:
        client = WebClient(token="xoxb-test", base_url=fake.url)
        ...
        fake.wait_for("chat.update")

It answers `/api/<method>` (form, JSON or query string), `response_url` posts at
`/response/<name>` (recorded as method "response_url") and file downloads at `/files/<id>`
(only with a bearer token, as Slack's `url_private`; `add_file(..., redirect_to=...)` makes the
download a redirect instead). Messages posted by the bot are kept per
channel, so `conversations.replies` and `conversations.history` return real conversations;
`add_message` seeds what people wrote (with `files=` for a file share), `add_file` the files
people shared, `set_usergroup` a user group's members. The files.upload v2 flow works:
`files.getUploadURLExternal` hands out an upload URL on this server (`/upload/<id>`, recorded
as method "upload"), `files.completeUploadExternal` shares the file in the channel, and
`uploaded(file_id)` returns its bytes. `fail_next` queues failures (429 with `Retry-After`,
500, or an `ok: false` error). Used by the tests and by bench/bench_slack.py.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable
from urllib.parse import parse_qsl, urlsplit

_JSON_PARAMS = ("blocks", "attachments", "metadata", "view", "user_ids", "files", "prompts", "chunks")


@dataclass
class Call:
    method: str  # "chat.postMessage", ... or "response_url" / "file" / "upload"
    params: dict[str, Any]
    headers: dict[str, str]
    path: str
    raw: bytes = b""  # the request body as sent
    at: float = field(default_factory=time.perf_counter)  # when the fake received it
    response: dict[str, Any] | None = None  # what the fake answered (JSON methods)

    @property
    def blocks_json(self) -> str:
        return json.dumps(self.params.get("blocks") or [], ensure_ascii=False)


@dataclass
class _Failure:
    status: int
    headers: dict[str, str]
    body: dict[str, Any] | str


class FakeSlack:
    def __init__(
        self,
        *,
        bot_user_id: str = "UBOT",
        bot_id: str = "BBOT",
        team_id: str = "T0001",
        latency: float = 0.0,
    ) -> None:
        self.bot_user_id = bot_user_id
        self.bot_id = bot_id
        self.team_id = team_id
        self.latency = latency  # seconds added to every Web API answer (to mimic the network)
        self.socket_url: str | None = None  # what apps.connections.open returns
        self._calls: list[Call] = []
        self._cond = threading.Condition()
        self._failures: dict[str, deque[_Failure]] = defaultdict(deque)
        self._messages: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)  # channel -> ts -> message
        self._files: dict[str, tuple[dict[str, Any], bytes]] = {}
        self._redirects: dict[str, str] = {}  # file id -> where its download redirects
        self._usergroups: dict[str, list[str]] = {}
        self._uploads: dict[str, dict[str, Any]] = {}  # file id -> {"filename", "length", "data"}
        self._upload_ids = itertools.count(1)
        self._ts = itertools.count(1)
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle -----------------------------------------------------------------------------

    def start(self) -> FakeSlack:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:  # noqa: N802
                fake._handle(self)

            def do_GET(self) -> None:  # noqa: N802
                fake._handle(self)

            def log_message(self, *args: Any) -> None:
                pass

        self._server = _Server(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeSlack:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._server, "start() the fake first"
        return self._server.server_address[1]

    @property
    def root(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        """The Web API base URL (what SLACK_API_URL would be)."""
        return f"{self.root}/api/"

    def response_url(self, name: str = "r1") -> str:
        return f"{self.root}/response/{name}"

    # --- test controls -------------------------------------------------------------------------

    def fail_next(
        self,
        method: str,
        *,
        status: int = 429,
        retry_after: int | None = 1,
        error: str | None = None,
        times: int = 1,
    ) -> None:
        """Answer the next `times` calls of `method` with a failure: HTTP `status` (429 sends
        `Retry-After`), or with `error`, an HTTP 200 `{"ok": false, "error": error}`."""
        headers: dict[str, str] = {}
        if error is not None:
            failure = _Failure(200, headers, {"ok": False, "error": error})
        elif status == 429:
            if retry_after is not None:
                headers["Retry-After"] = str(retry_after)
            failure = _Failure(429, headers, {"ok": False, "error": "ratelimited"})
        else:
            failure = _Failure(status, headers, "upstream error")
        with self._cond:
            for _ in range(times):
                self._failures[method].append(failure)

    def next_ts(self) -> str:
        return f"{1_700_000_000 + next(self._ts)}.000100"

    def add_message(
        self,
        channel: str,
        *,
        user: str,
        text: str,
        ts: str | None = None,
        thread_ts: str | None = None,
        bot_id: str | None = None,
        files: list[str] | None = None,
    ) -> str:
        """Seed a message written in the workspace (what an event would announce). `files`
        are ids of files added with `add_file`: the message is then a file share."""
        ts = ts or self.next_ts()
        msg: dict[str, Any] = {"type": "message", "user": user, "text": text, "ts": ts}
        if thread_ts:
            msg["thread_ts"] = thread_ts
        if bot_id:
            msg["bot_id"] = bot_id
        if files:
            msg["subtype"] = "file_share"
            msg["files"] = [self.file_object(f) for f in files]
        with self._cond:
            self._messages[channel][ts] = msg
        return ts

    def add_file(
        self,
        file_id: str,
        name: str,
        content: bytes,
        *,
        mimetype: str = "application/pdf",
        user: str = "UCOACH",
        size: int | None = None,
        redirect_to: str | None = None,
    ) -> dict[str, Any]:
        """A file someone shared; `size` overrides what files.info reports; with `redirect_to`,
        downloading it answers a 302 to that URL. Returns its info."""
        info = {
            "id": file_id,
            "name": name,
            "title": name,
            "mimetype": mimetype,
            "filetype": name.rsplit(".", 1)[-1] if "." in name else "",
            "user": user,
            "size": len(content) if size is None else size,
            "url_private": f"{self.root}/files/{file_id}",
            "url_private_download": f"{self.root}/files/{file_id}/download",
            "permalink": f"https://district.slack.com/files/{user}/{file_id}/{name}",
        }
        with self._cond:
            self._files[file_id] = (info, content)
            if redirect_to:
                self._redirects[file_id] = redirect_to
        return info

    def file_object(self, file_id: str) -> dict[str, Any]:
        """The file as a message event carries it."""
        with self._cond:
            info = self._files[file_id][0]
        return {k: info[k] for k in ("id", "name", "title", "mimetype", "filetype", "size", "user")}

    def set_usergroup(self, group_id: str, users: list[str]) -> None:
        with self._cond:
            self._usergroups[group_id] = list(users)

    def uploaded(self, file_id: str) -> bytes:
        """The bytes posted to the upload URL of `file_id` (files.upload v2)."""
        with self._cond:
            return self._uploads[file_id]["data"]

    def messages(self, channel: str, thread_ts: str | None = None) -> list[dict[str, Any]]:
        with self._cond:
            msgs = list(self._messages[channel].values())
        if thread_ts:
            msgs = [m for m in msgs if m["ts"] == thread_ts or m.get("thread_ts") == thread_ts]
        return sorted(msgs, key=lambda m: float(m["ts"]))

    def calls(self, method: str | None = None) -> list[Call]:
        with self._cond:
            return [c for c in self._calls if method is None or c.method == method]

    def clear(self) -> None:
        with self._cond:
            self._calls.clear()

    def wait_for(
        self,
        method: str,
        count: int = 1,
        timeout: float = 5.0,
        where: Callable[[Call], bool] | None = None,
    ) -> list[Call]:
        """Block until at least `count` calls of `method` (matching `where`) were recorded;
        returns them. Raises AssertionError on timeout, listing what was called."""
        deadline = time.monotonic() + timeout

        def matching() -> list[Call]:
            return [c for c in self._calls if c.method == method and (where is None or where(c))]

        with self._cond:
            while True:
                found = matching()
                if len(found) >= count:
                    return found
                left = deadline - time.monotonic()
                if left <= 0:
                    seen = [c.method for c in self._calls]
                    raise AssertionError(f"expected {count} {method} call(s), got {len(found)}; calls: {seen}")
                self._cond.wait(left)

    def assert_quiet(self, method: str, count: int, settle: float = 0.3) -> None:
        """After `settle` seconds, exactly `count` calls of `method` were made."""
        time.sleep(settle)
        n = len(self.calls(method))
        assert n == count, f"expected exactly {count} {method} call(s), got {n}"

    # --- serving -------------------------------------------------------------------------------

    def _handle(self, req: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(req.path)
        length = int(req.headers.get("Content-Length") or 0)
        raw = req.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in req.headers.items()}
        params = _parse(raw, headers.get("content-type", ""), parts.query)

        if parts.path.startswith("/api/"):
            method = parts.path[len("/api/") :]
        elif parts.path.startswith("/response/"):
            method = "response_url"
            params["_name"] = parts.path[len("/response/") :]
        elif parts.path.startswith("/files/"):
            method = "file"
            params["_id"] = parts.path[len("/files/") :].split("/")[0]
        elif parts.path.startswith("/upload/"):
            method = "upload"
            params = {"_id": parts.path[len("/upload/") :]}
        else:
            self._send(req, 404, {"ok": False, "error": "unknown_path"})
            return

        call = Call(method, params, headers, parts.path, raw)
        with self._cond:
            failure = self._failures[method].popleft() if self._failures[method] else None
        if failure is None and method == "upload":
            call.response = self._receive_upload(params["_id"], raw)
        elif failure is None and method not in ("file", "response_url"):
            call.response = self._answer(method, params)
        with self._cond:  # recorded with its response, so waiters see both
            self._calls.append(call)
            self._cond.notify_all()

        if self.latency and method != "file":
            time.sleep(self.latency)
        if failure is not None:
            self._send(req, failure.status, failure.body, failure.headers)
        elif method == "file":
            entry = self._files.get(params["_id"])
            if params["_id"] in self._redirects:
                self._send(req, 302, "", {"Location": self._redirects[params["_id"]]})
            elif entry is None or not headers.get("authorization", "").startswith("Bearer "):
                self._send(req, 404, "not found")
            else:
                self._send_bytes(req, 200, entry[1], entry[0]["mimetype"])
        elif method == "response_url":
            self._send(req, 200, "ok")
        elif method == "upload":
            ok = call.response and call.response.get("ok")
            self._send(req, 200 if ok else 404, f"OK - {len(raw)}" if ok else "unknown upload")
        else:
            self._send(req, 200, call.response or {"ok": True})

    def _answer(self, method: str, p: dict[str, Any]) -> dict[str, Any]:
        if method == "auth.test":
            return {
                "ok": True,
                "url": "https://guidepost-test.slack.com/",
                "team": "Test District",
                "user": "guidepost",
                "team_id": self.team_id,
                "user_id": self.bot_user_id,
                "bot_id": self.bot_id,
            }
        if method == "apps.connections.open":
            if not self.socket_url:
                return {"ok": False, "error": "no_socket_server"}
            return {"ok": True, "url": self.socket_url}
        if method == "chat.postMessage":
            channel = p.get("channel")
            if not channel:
                return {"ok": False, "error": "channel_not_found"}
            ts = self.next_ts()
            msg: dict[str, Any] = {
                "type": "message",
                "user": self.bot_user_id,
                "bot_id": self.bot_id,
                "text": p.get("text", ""),
                "blocks": p.get("blocks") or [],
                "ts": ts,
            }
            if p.get("thread_ts"):
                msg["thread_ts"] = p["thread_ts"]
            with self._cond:
                self._messages[channel][ts] = msg
            return {"ok": True, "channel": channel, "ts": ts, "message": msg}
        if method == "chat.update":
            channel, ts = p.get("channel"), p.get("ts")
            with self._cond:
                msg = self._messages.get(channel, {}).get(ts)
                if msg is None:
                    return {"ok": False, "error": "message_not_found"}
                msg.update({"text": p.get("text", ""), "blocks": p.get("blocks") or []})
            return {"ok": True, "channel": channel, "ts": ts, "text": p.get("text", "")}
        if method == "chat.postEphemeral":
            return {"ok": True, "message_ts": self.next_ts()}
        if method == "conversations.replies":
            return {"ok": True, "messages": self.messages(p.get("channel", ""), p.get("ts")), "has_more": False}
        if method == "conversations.history":
            top = [m for m in self.messages(p.get("channel", "")) if m.get("thread_ts", m["ts"]) == m["ts"]]
            top.reverse()  # newest first, as Slack returns them
            limit = int(p.get("limit") or 100)
            return {"ok": True, "messages": top[:limit], "has_more": len(top) > limit}
        if method == "usergroups.users.list":
            with self._cond:
                users = self._usergroups.get(p.get("usergroup", ""))
            if users is None:
                return {"ok": False, "error": "no_such_subteam"}
            return {"ok": True, "users": users}
        if method == "files.getUploadURLExternal":
            file_id = f"FUP{next(self._upload_ids):05d}"
            with self._cond:
                self._uploads[file_id] = {"filename": p.get("filename"), "length": int(p.get("length") or 0), "data": None}
            return {"ok": True, "upload_url": f"{self.root}/upload/{file_id}", "file_id": file_id}
        if method == "files.completeUploadExternal":
            return self._complete_upload(p)
        if method in ("chat.startStream", "chat.appendStream", "chat.stopStream"):
            return self._stream(method, p)
        if method.startswith("assistant.threads."):
            if not p.get("channel_id") or not p.get("thread_ts"):
                return {"ok": False, "error": "invalid_arguments"}
            if method == "assistant.threads.setSuggestedPrompts" and not isinstance(p.get("prompts"), list):
                return {"ok": False, "error": "invalid_arguments"}
            if method not in ("assistant.threads.setStatus", "assistant.threads.setTitle",
                              "assistant.threads.setSuggestedPrompts"):  # fmt: skip
                return {"ok": False, "error": "unknown_method"}
            return {"ok": True}
        if method == "users.info":
            uid = p.get("user", "U0")
            return {
                "ok": True,
                "user": {"id": uid, "name": f"user-{uid.lower()}", "real_name": f"User {uid}", "is_bot": False,
                         "profile": {"display_name": f"User {uid}"}},
            }  # fmt: skip
        if method in ("views.publish", "views.open", "views.update", "views.push"):
            view = p.get("view") if isinstance(p.get("view"), dict) else {}
            return {"ok": True, "view": {"id": "V0001", **view}}
        if method == "files.info":
            entry = self._files.get(p.get("file", ""))
            if entry is None:
                return {"ok": False, "error": "file_not_found"}
            return {"ok": True, "file": entry[0]}
        return {"ok": True}

    def _stream(self, method: str, p: dict[str, Any]) -> dict[str, Any]:
        """Streamed replies: started in a thread, appended to, stopped with blocks under the text."""
        channel = p.get("channel")
        chunks = p.get("chunks") if isinstance(p.get("chunks"), list) else []
        text = "".join(c.get("text", "") for c in chunks if c.get("type") == "markdown_text") + (p.get("markdown_text") or "")
        if method == "chat.startStream":
            if not channel or not p.get("thread_ts"):
                return {"ok": False, "error": "invalid_arguments"}
            ts = self.next_ts()
            msg = {"type": "message", "user": self.bot_user_id, "bot_id": self.bot_id, "text": text, "blocks": [],
                   "ts": ts, "thread_ts": p["thread_ts"], "streaming": True}  # fmt: skip
            with self._cond:
                self._messages[channel][ts] = msg
            return {"ok": True, "channel": channel, "ts": ts}
        with self._cond:
            msg = self._messages.get(channel or "", {}).get(p.get("ts") or "")
            if msg is None or not msg.get("streaming"):
                return {"ok": False, "error": "message_not_in_streaming_state"}
            msg["text"] += text
            if method == "chat.stopStream":
                msg["streaming"] = False
                msg["blocks"] = p.get("blocks") or []
        return {"ok": True, "channel": channel, "ts": p.get("ts")}

    def _receive_upload(self, file_id: str, data: bytes) -> dict[str, Any]:
        with self._cond:
            entry = self._uploads.get(file_id)
            if entry is None:
                return {"ok": False}
            entry["data"] = data
        return {"ok": True}

    def _complete_upload(self, p: dict[str, Any]) -> dict[str, Any]:
        files = p.get("files") if isinstance(p.get("files"), list) else []
        done: list[dict[str, Any]] = []
        for f in files:
            with self._cond:
                entry = self._uploads.get(f.get("id", ""))
            if entry is None or entry["data"] is None:
                return {"ok": False, "error": "file_not_found"}
            if len(entry["data"]) != entry["length"]:
                return {"ok": False, "error": "file_upload_size_mismatch"}
            name = entry["filename"] or "file"
            info = self.add_file(f["id"], name, entry["data"], mimetype="text/plain", user=self.bot_user_id)
            info["title"] = f.get("title") or name
            done.append(info)
        channel = p.get("channel_id")
        if channel:
            ts = self.next_ts()
            msg = {"type": "message", "subtype": "file_share", "user": self.bot_user_id, "bot_id": self.bot_id,
                   "text": p.get("initial_comment") or "", "ts": ts, "files": done}  # fmt: skip
            if p.get("thread_ts"):
                msg["thread_ts"] = p["thread_ts"]
            with self._cond:
                self._messages[channel][ts] = msg
        return {"ok": True, "files": [{"id": f["id"], "title": f["title"]} for f in done]}

    @staticmethod
    def _send(req: BaseHTTPRequestHandler, status: int, body: dict[str, Any] | str, headers: dict[str, str] | None = None) -> None:
        if isinstance(body, dict):
            data, ctype = json.dumps(body).encode(), "application/json; charset=utf-8"
        else:
            data, ctype = body.encode(), "text/plain; charset=utf-8"
        req.send_response(status)
        req.send_header("Content-Type", ctype)
        for k, v in (headers or {}).items():
            req.send_header(k, v)
        req.send_header("Content-Length", str(len(data)))
        req.end_headers()
        req.wfile.write(data)

    @staticmethod
    def _send_bytes(req: BaseHTTPRequestHandler, status: int, data: bytes, ctype: str) -> None:
        req.send_response(status)
        req.send_header("Content-Type", ctype)
        req.send_header("Content-Length", str(len(data)))
        req.end_headers()
        req.wfile.write(data)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128


def _parse(raw: bytes, content_type: str, query: str) -> dict[str, Any]:
    params: dict[str, Any] = dict(parse_qsl(query, keep_blank_values=True))
    if raw:
        text = raw.decode("utf-8", errors="replace")
        if "json" in content_type:
            try:
                body = json.loads(text)
            except ValueError:
                body = {"_raw": text}
            if isinstance(body, dict):
                params.update(body)
        else:
            params.update(parse_qsl(text, keep_blank_values=True))
    for key in _JSON_PARAMS:
        if isinstance(params.get(key), str):
            try:
                params[key] = json.loads(params[key])
            except ValueError:
                pass
    return params
