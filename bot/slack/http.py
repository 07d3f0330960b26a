"""HTTP mode on a production server: the Bolt app as an ASGI application under uvicorn.

    guidepost serve --http --port 3000 --workers 2

- `POST /slack/events`: the raw body is read (at most `MAX_BODY_BYTES`), then its signature and
  timestamp are checked with slack_sdk's `SignatureVerifier` BEFORE anything parses it: 400 for
  a non-numeric timestamp, 401 for a missing, wrong or stale signature. A signed body that Bolt
  could not parse (a JSON array, an event that is a string, a bad `payload` field) gets a 400.
  Only then is the request handed to Bolt (`App.dispatch`, in a thread so acks never wait on
  each other), which checks the signature again: the checks stay Bolt's.
- `GET /healthz`: 200 while the process runs. `GET /readyz`: 200 once the index is open and the
  model loaded (the engine warmed), 503 before that and while shutting down.
- Each worker builds its own app and warms its engine in the ASGI lifespan startup, before
  uvicorn accepts a request on it. SIGTERM: uvicorn stops accepting, waits for open requests,
  then the lifespan shutdown finishes the answers in flight (at most `DRAIN_SECONDS`) and the
  process exits 0.
- Several workers (`--workers W`): uvicorn's supervisor forks W processes sharing the socket;
  each builds the app from the environment (`worker_app`). What must be right across workers
  (duplicate deliveries, claims, threads answered in, the answer log, votes, digests) lives in
  SQLite files of the data dir, which every worker opens.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl

from slack_bolt import App
from slack_bolt.adapter.asgi.http_request import AsgiHttpRequest
from slack_bolt.adapter.asgi.http_response import AsgiHttpResponse
from slack_bolt.request import BoltRequest
from slack_sdk.signature import SignatureVerifier

log = logging.getLogger("guidepost.slack")

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
READY_PATH = "/readyz"
MAX_BODY_BYTES = 1024 * 1024  # Slack's payloads are a few KB
DRAIN_SECONDS = 25.0  # at SIGTERM: how long answers in flight may take to finish
GRACEFUL_SECONDS = 10  # at SIGTERM: how long open HTTP requests may take (acks are fast)
ENGINE_FACTORY_ENV = "GUIDEPOST_ENGINE_FACTORY"  # "module:callable(settings) -> AnswerEngine" (tests, benches)


class BadRequest(Exception):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


# --- checks on the raw request, before anything parses it ----------------------------------------


def verify(verifier: SignatureVerifier, raw: bytes, headers: dict[str, str]) -> str:
    """The body as text once its signature and timestamp are good; raises `BadRequest`."""
    timestamp = headers.get("x-slack-request-timestamp")
    sig = headers.get("x-slack-signature")
    if timestamp is None or sig is None:
        raise BadRequest(401, "missing signature")
    if not timestamp.strip().isdigit():
        raise BadRequest(400, "malformed timestamp")
    try:
        body = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise BadRequest(400, "body is not UTF-8") from None
    if not verifier.is_valid(body=body, timestamp=timestamp.strip(), signature=sig):
        raise BadRequest(401, "invalid or expired signature")
    return body


def check_shape(body: str, content_type: str | None) -> None:
    """Refuse (400) a signed body that Bolt's parser would choke on or hand on malformed. Mirrors
    `slack_bolt.request.internals.parse_body`: JSON when the content type says so or the body
    starts with `{`, otherwise a form, whose `payload` field (interactions) is JSON."""
    if not body:
        return
    ctype = (content_type or "").split(";")[0].strip().lower()
    try:
        if ctype == "application/json" or body.startswith("{"):
            payload: Any = json.loads(body)
        else:
            form = dict(parse_qsl(body, keep_blank_values=True))
            if "payload" not in body:
                return
            payload = json.loads(form["payload"]) if "payload" in form else {}
    except (ValueError, KeyError, RecursionError):  # RecursionError: JSON nested thousands deep
        raise BadRequest(400, "malformed body") from None
    if not isinstance(payload, dict):
        raise BadRequest(400, "the body is not a JSON object")
    for key in ("event", "view", "message", "container", "channel", "user", "team", "enterprise"):
        if key in payload and payload[key] is not None and not isinstance(payload[key], (dict, str)):
            raise BadRequest(400, f"malformed field {key!r}")
    if payload.get("type") == "event_callback" and not isinstance(payload.get("event"), dict):
        raise BadRequest(400, "an event callback without an event object")
    auths = payload.get("authorizations")
    if auths is not None and not (isinstance(auths, list) and all(isinstance(a, dict) for a in auths)):
        raise BadRequest(400, "malformed field 'authorizations'")


# --- the ASGI application ------------------------------------------------------------------------


class SlackASGI:
    """The ASGI app for one worker. Either give a built Bolt `app` (ready at once), or a
    `startup` callable that builds one (called in the lifespan startup, in a thread) and returns
    `(app, close)`; `close(wait)` finishes the answers in flight at shutdown."""

    def __init__(
        self,
        app: App | None = None,
        *,
        signing_secret: str | None = None,
        startup: Callable[[], tuple[App, Callable[[bool], None]]] | None = None,
        close: Callable[[bool], None] | None = None,
        path: str = EVENTS_PATH,
        max_body: int = MAX_BODY_BYTES,
    ) -> None:
        self.app = app
        self.path = path
        self.max_body = max_body
        self._startup = startup
        self._close = close
        self._secret = signing_secret
        self.verifier: SignatureVerifier | None = None
        if app is not None:
            self._set_app(app)
        self.stopping = False

    def _set_app(self, app: App) -> None:
        self.app = app
        secret = self._secret or app._signing_secret  # noqa: SLF001 - the secret the app verifies with
        self.verifier = SignatureVerifier(secret)

    @property
    def ready(self) -> bool:
        return self.app is not None and not self.stopping

    async def __call__(self, scope: dict[str, Any], receive: Callable, send: Callable) -> None:
        if scope["type"] == "http":
            response = await self._http(scope, receive)
            await send(response.get_response_start())
            await send(response.get_response_body())
        elif scope["type"] == "lifespan":
            await self._lifespan(receive, send)

    async def _lifespan(self, receive: Callable, send: Callable) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                try:
                    if self._startup is not None and self.app is None:
                        app, close = await asyncio.to_thread(self._startup)
                        self._close = close
                        self._set_app(app)
                except Exception as e:  # the worker cannot serve: say why, once
                    log.error("worker startup failed: %s", e, exc_info=not isinstance(e, _quiet_errors()))
                    await send({"type": "lifespan.startup.failed", "message": str(e)})
                    return
                log.info("worker %d ready", os.getpid())
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                self.stopping = True
                await asyncio.to_thread(self.drain)
                await send({"type": "lifespan.shutdown.complete"})
                return

    def drain(self, timeout: float = DRAIN_SECONDS) -> bool:
        """Finish the answers in flight, waiting at most `timeout` seconds; True when all did."""
        self.stopping = True
        if self._close is None:
            return True
        done = threading.Event()

        def close() -> None:
            try:
                self._close(True)  # type: ignore[misc]
            finally:
                done.set()

        threading.Thread(target=close, name="guidepost-drain", daemon=True).start()
        if not done.wait(timeout):
            log.warning("answers still running after %.0f s: exiting anyway", timeout)
            return False
        return True

    async def _http(self, scope: dict[str, Any], receive: Callable) -> AsgiHttpResponse:
        method, path = scope["method"], scope["path"]
        if method in ("GET", "HEAD") and path == HEALTH_PATH:
            return _text(200, "ok")
        if method in ("GET", "HEAD") and path == READY_PATH:
            return _text(200, "ready") if self.ready else _text(503, "stopping" if self.stopping else "starting")
        if path != self.path:
            return _text(404, "not found")
        if method != "POST":
            return _text(405, "method not allowed")
        if self.app is None or self.verifier is None:
            return _text(503, "starting")
        request = AsgiHttpRequest(scope, receive)
        headers = {k.lower(): v for k, v in request.get_headers().items()}  # type: ignore[misc]
        try:
            length = int(headers.get("content-length") or 0)
        except ValueError:
            return _text(400, "bad content-length")
        if length < 0 or length > self.max_body:
            return _text(413, "too large")
        try:
            raw = await _read_body(receive, self.max_body)
            body = verify(self.verifier, raw, headers)
            check_shape(body, headers.get("content-type"))
        except BadRequest as e:
            log.info("refused a request to %s: %d %s", path, e.status, e.reason)
            return _text(e.status, e.reason)
        try:
            bolt = await asyncio.to_thread(self._dispatch, body, request.query_string, headers)
        except Exception:  # a signed body Bolt still could not handle: no traceback to the caller
            log.warning("could not handle a signed request", exc_info=True)
            return _text(400, "could not handle the request")
        return AsgiHttpResponse(status=bolt.status, headers=bolt.headers, body=bolt.body)

    def _dispatch(self, body: str, query: str, headers: dict[str, str]) -> Any:
        assert self.app is not None
        return self.app.dispatch(BoltRequest(body=body, query=query, headers=headers))


async def _read_body(receive: Callable, limit: int) -> bytes:
    chunks = bytearray()
    while True:
        message = await receive()
        if message["type"] != "http.request":
            raise BadRequest(400, "the client went away")
        chunks.extend(message.get("body", b""))
        if len(chunks) > limit:
            raise BadRequest(413, "too large")
        if not message.get("more_body", False):
            return bytes(chunks)


def _text(status: int, text: str) -> AsgiHttpResponse:
    return AsgiHttpResponse(status=status, headers={"content-type": ["text/plain; charset=utf-8"]}, body=text)


def _quiet_errors() -> tuple[type[BaseException], ...]:
    from ingest.errors import GuidepostError

    return (GuidepostError,)


# --- building a worker from the environment (uvicorn --workers) ----------------------------------


def engine_factory_from_env() -> Callable[[Any], Any] | None:
    spec = os.environ.get(ENGINE_FACTORY_ENV)
    if not spec:
        return None
    module, _, name = spec.partition(":")
    return getattr(importlib.import_module(module), name)


def worker_app() -> SlackASGI:
    """The ASGI app of one worker process, built from the environment (uvicorn's `factory=True`).
    Nothing heavy here: the engine loads in the lifespan startup, before the first request."""
    from ingest.settings import Settings

    settings = Settings()
    # A worker process: uvicorn configured its own loggers only. (No signal handling here: this
    # runs inside uvicorn's, which drains on SIGTERM; the supervisor then exits 0.)
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(process)d %(name)s %(levelname)s %(message)s")
    logging.getLogger("guidepost").setLevel(logging.INFO)

    def startup() -> tuple[App, Callable[[bool], None]]:
        from bot.slack.app import bot_context, build_app

        factory = engine_factory_from_env()
        library = None
        if factory is None:
            from bot.engine import Engine
            from ingest.library import Library

            library = Library(settings)
            engine = Engine(settings, library.kb, library.encoder)
        else:
            engine = factory(settings)
        t0 = time.perf_counter()
        engine.warm()  # load the model and open the index before taking requests
        log.info("worker %d: engine warm in %.1f s", os.getpid(), time.perf_counter() - t0)
        app = build_app(settings, engine, library=library)
        ctx = bot_context(app)
        from bot.slack.flows.gaps import start_weekly_summaries

        # every worker checks; the period is claimed in SQLite, so coaches get one summary
        summaries = start_weekly_summaries(ctx)

        def close(wait: bool) -> None:
            summaries.set()
            ctx.close(wait)

        return app, close

    return SlackASGI(signing_secret=settings.slack_signing_secret, startup=startup)


# --- an in-process server (one worker; tests and `serve(block=False)`) ---------------------------


class HttpServer:
    """uvicorn serving a `SlackASGI` on a socket bound at construction (port 0 picks a free one;
    see `server_address`). The same calls as `socketserver`: `serve_forever`, `shutdown`,
    `server_close`."""

    def __init__(self, asgi: SlackASGI, *, host: str = "0.0.0.0", port: int = 3000, install_signals: bool = False) -> None:
        import uvicorn

        self.asgi = asgi
        self.sock = bind(host, port)
        self.server_address = self.sock.getsockname()[:2]
        config = uvicorn.Config(
            asgi, lifespan="on", log_level="warning", access_log=False, timeout_graceful_shutdown=GRACEFUL_SECONDS,
            backlog=2048,
        )  # fmt: skip
        self.server = uvicorn.Server(config)
        if not install_signals:
            self.server.install_signal_handlers = lambda: None  # type: ignore[method-assign]
        self._done = threading.Event()

    def serve_forever(self, poll_interval: float = 0.1) -> None:  # noqa: ARG002 - socketserver's signature
        try:
            self.server.run(sockets=[self.sock])
        finally:
            self._done.set()

    def shutdown(self, timeout: float = DRAIN_SECONDS + GRACEFUL_SECONDS + 5) -> None:
        self.server.should_exit = True
        self._done.wait(timeout)

    def server_close(self) -> None:
        self.sock.close()


def exit_cleanly_on_sigterm() -> None:
    """uvicorn catches SIGTERM, drains, then raises the signal again under the handler that was
    there before it started: make that one a no-op, so a drained process exits 0."""
    import signal

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, lambda *_: log.info("SIGTERM: stopped"))


def bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def run_workers(*, host: str, port: int, workers: int) -> None:
    """Serve with `workers` processes under uvicorn's supervisor (blocks until SIGTERM/SIGINT)."""
    import uvicorn

    uvicorn.run(
        "bot.slack.http:worker_app", factory=True, host=host, port=port, workers=workers, lifespan="on",
        timeout_graceful_shutdown=GRACEFUL_SECONDS, log_level="info", access_log=False, backlog=2048,
    )  # fmt: skip
