"""A small OpenAI-compatible chat server on 127.0.0.1 for tests and the bench: it speaks the
real wire protocol (`POST /v1/chat/completions`, JSON or Server-Sent Events with chunked
transfer encoding, `data: [DONE]`), so the real `openai` / `langchain-openai` client talks to it
as it would to OpenAI, Ollama, vLLM or llama.cpp.

What it answers is a function of the request's messages (`reply`); by default it writes a
grounded answer: the first sentence of the first two passages the prompt numbers, each cited.
`first_token_delay`, `token_delay` and `fail_status` make it slow or broken."""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Messages = list[dict[str, Any]]

_PASSAGE = re.compile(r"^\[(\d+)\] [^\n]*\n(.+?)(?=\n\n\[\d+\] |\n\nQuestion: |\Z)", re.S | re.M)
_SENTENCE = re.compile(r"(?<=[.!?])\s+")


def passages(messages: Messages) -> dict[int, str]:
    """The numbered passages of the answer prompt (prompts/answer_user.md)."""
    user = next((m["content"] for m in reversed(messages) if m.get("role") == "user"), "")
    return {int(m.group(1)): m.group(2).strip() for m in _PASSAGE.finditer(user)}


def first_sentence(text: str) -> str:
    lines = [ln.strip(" -*#>|") for ln in text.splitlines() if len(ln.split()) >= 5]
    body = lines[0] if lines else text.strip()
    return _SENTENCE.split(body)[0].strip().rstrip(".") + "."


def grounded(messages: Messages) -> str:
    found = passages(messages)
    if not found:
        return "NOT_COVERED"
    return " ".join(f"{first_sentence(found[n])[:-1]} [{n}]." for n in sorted(found)[:2])


def with_inventions(messages: Messages) -> str:
    """A grounded sentence, then a claim no passage makes, and a citation of a passage that
    does not exist."""
    return grounded(messages) + " Students must finish every square within three minutes on Fridays [1]. See also [9]."


class OpenAIServer:
    def __init__(self, reply: Callable[[Messages], str] = grounded, *, first_token_delay: float = 0.0,
                 token_delay: float = 0.0, fail_status: int | None = None) -> None:  # fmt: skip
        self.reply = reply
        self.first_token_delay = first_token_delay
        self.token_delay = token_delay
        self.fail_status = fail_status
        self.requests: list[dict[str, Any]] = []  # {"path", "headers", "body"}
        self._server: ThreadingHTTPServer | None = None

    def start(self) -> OpenAIServer:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:  # noqa: N802
                server._handle(self)

            def log_message(self, *args: Any) -> None:
                pass

        self._server = _Server(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> OpenAIServer:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        assert self._server, "start() the server first"
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    # --- serving -------------------------------------------------------------------------------

    def _handle(self, req: BaseHTTPRequestHandler) -> None:
        raw = req.rfile.read(int(req.headers.get("Content-Length") or 0))
        body = json.loads(raw or b"{}")
        self.requests.append({"path": req.path, "headers": {k.lower(): v for k, v in req.headers.items()}, "body": body})
        if req.path.rstrip("/") != "/v1/chat/completions":
            return self._json(req, 404, {"error": {"message": f"unknown path {req.path}", "type": "invalid_request_error"}})
        if self.fail_status:
            return self._json(req, self.fail_status, {"error": {"message": "the model is unavailable", "type": "server_error"}})
        text = self.reply(body.get("messages") or [])
        created, model, cid = int(time.time()), body.get("model", "stub"), f"chatcmpl-{len(self.requests)}"
        if not body.get("stream"):
            time.sleep(self.first_token_delay)
            return self._json(req, 200, {
                "id": cid, "object": "chat.completion", "created": created, "model": model,
                "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
                "usage": {"prompt_tokens": 0, "completion_tokens": len(text.split()), "total_tokens": len(text.split())},
            })  # fmt: skip
        req.send_response(200)
        req.send_header("Content-Type", "text/event-stream")
        req.send_header("Cache-Control", "no-cache")
        req.send_header("Transfer-Encoding", "chunked")
        req.end_headers()

        def event(delta: dict[str, Any], finish: str | None = None) -> None:
            chunk = {"id": cid, "object": "chat.completion.chunk", "created": created, "model": model,
                     "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}  # fmt: skip
            self._chunk(req, f"data: {json.dumps(chunk)}\n\n")

        try:
            time.sleep(self.first_token_delay)
            event({"role": "assistant", "content": ""})
            for i, token in enumerate(re.findall(r"\S+\s*", text)):
                if i and self.token_delay:
                    time.sleep(self.token_delay)
                event({"content": token})
            event({}, "stop")
            self._chunk(req, "data: [DONE]\n\n")
            req.wfile.write(b"0\r\n\r\n")
            req.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a timeout): nothing to finish

    @staticmethod
    def _chunk(req: BaseHTTPRequestHandler, text: str) -> None:
        data = text.encode()
        req.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        req.wfile.flush()

    @staticmethod
    def _json(req: BaseHTTPRequestHandler, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        req.send_response(status)
        req.send_header("Content-Type", "application/json")
        req.send_header("Content-Length", str(len(data)))
        req.end_headers()
        req.wfile.write(data)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hung up (it gave up waiting, or closed a kept-alive connection) is
        not an error of the server's."""
        import sys

        if not isinstance(sys.exc_info()[1], (ConnectionResetError, BrokenPipeError)):
            super().handle_error(request, client_address)
