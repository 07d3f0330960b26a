"""Run the bot: Socket Mode (no public URL) or HTTP mode (`POST /slack/events`).

    serve(settings, engine_factory)                       # Socket Mode
    serve(settings, engine_factory, http=True, port=3000) # HTTP mode

Configuration problems raise `SlackSetupError` (a `GuidepostError`) whose message says
which environment variable to set; the CLI prints it.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from slack_bolt import App
from slack_bolt.request import BoltRequest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from ingest.domain import AnswerEngine
from ingest.errors import GuidepostError
from ingest.library import Library
from ingest.settings import Settings

log = logging.getLogger("guidepost.slack")

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
MAX_BODY_BYTES = 1024 * 1024  # Slack's payloads are a few KB


class SlackSetupError(GuidepostError):
    """The bot cannot start: a token is missing, malformed or refused."""


# --- configuration checks --------------------------------------------------------------------


def check_settings(settings: Settings, *, http: bool) -> None:
    """Fail early, naming the environment variable to set."""
    bot = (settings.slack_bot_token or "").strip()
    if not bot:
        raise SlackSetupError(
            "SLACK_BOT_TOKEN is not set: copy the Bot User OAuth Token (xoxb-…) from your Slack app's "
            "'OAuth & Permissions' page."
        )
    if not bot.startswith("xoxb-"):
        raise SlackSetupError(
            "SLACK_BOT_TOKEN should be the Bot User OAuth Token, which starts with 'xoxb-' "
            "(an 'xapp-' token belongs in SLACK_APP_TOKEN)."
        )
    if http:
        if not (settings.slack_signing_secret or "").strip():
            raise SlackSetupError(
                "SLACK_SIGNING_SECRET is not set: HTTP mode needs it to verify requests. Copy the Signing "
                "Secret from your Slack app's 'Basic Information' page."
            )
        return
    app_token = (settings.slack_app_token or "").strip()
    if not app_token:
        raise SlackSetupError(
            "SLACK_APP_TOKEN is not set: Socket Mode needs an app-level token (xapp-…) with the "
            "connections:write scope ('Basic Information' → 'App-Level Tokens'). "
            "Or run `guidepost serve --http` with SLACK_SIGNING_SECRET and a public URL."
        )
    if not app_token.startswith("xapp-"):
        raise SlackSetupError("SLACK_APP_TOKEN should be an app-level token, which starts with 'xapp-'.")


def check_token(client: WebClient) -> dict[str, Any]:
    """Call `auth.test` once at startup, so a wrong token fails now, in words."""
    try:
        return dict(client.auth_test().data)  # type: ignore[arg-type]
    except SlackApiError as e:
        error = e.response.get("error")
        raise SlackSetupError(
            f"Slack refused SLACK_BOT_TOKEN ({error}). Reinstall the app to your workspace and copy the "
            "Bot User OAuth Token again."
        ) from e
    except OSError as e:
        raise SlackSetupError(f"Could not reach Slack at {client.base_url} ({e}). Check the network or SLACK_API_URL.") from e


# --- HTTP mode -------------------------------------------------------------------------------


def make_http_server(
    app: App, *, host: str = "0.0.0.0", port: int = 3000, path: str = EVENTS_PATH
) -> ThreadingHTTPServer:
    """A threaded HTTP server handing `POST path` to the Bolt app (signature checked by Bolt),
    plus `GET /healthz`. Port 0 picks a free port (see `server.server_address`)."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:  # noqa: N802
            request_path, _, query = self.path.partition("?")
            if request_path != path:
                self._send(404, b"")
                return
            try:
                length = int(self.headers.get("Content-Length") or 0)
            except ValueError:
                length = -1
            if length < 0 or length > MAX_BODY_BYTES:
                self._send(413, b"")
                self.close_connection = True
                return
            body = self.rfile.read(length).decode("utf-8", errors="replace")
            headers: dict[str, list[str]] = {}
            for key, value in self.headers.items():
                headers.setdefault(key.lower(), []).append(value)
            resp = app.dispatch(BoltRequest(body=body, query=query, headers=headers))
            payload = resp.body.encode("utf-8") if isinstance(resp.body, str) else (resp.body or b"")
            extra = {k: v for k, v in resp.headers.items() if k.lower() != "content-length"}
            self._send(resp.status, payload, extra)

        def do_GET(self) -> None:  # noqa: N802
            if self.path.partition("?")[0] == HEALTH_PATH:
                self._send(200, b"ok", {"content-type": ["text/plain"]})
            else:
                self._send(404, b"")

        def _send(self, status: int, body: bytes, headers: dict[str, Any] | None = None) -> None:
            self.send_response(status)
            for key, values in (headers or {}).items():
                for value in values if isinstance(values, (list, tuple)) else [values]:
                    self.send_header(key, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            log.debug("http: " + format, *args)

    return _Server((host, port), Handler)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # the default backlog (5) resets connections in a burst


# --- running ---------------------------------------------------------------------------------


@dataclass
class RunningBot:
    """A bot started with `serve(..., block=False)`; `close()` stops it."""

    app: App
    mode: str  # "socket" | "http"
    url: str | None = None  # HTTP mode: where Slack should send requests (the local address)
    _close: Callable[[], None] = lambda: None

    def close(self) -> None:
        self._close()


def serve(
    settings: Settings,
    engine_factory: Callable[[Settings], AnswerEngine],
    *,
    http: bool = False,
    port: int = 3000,
    host: str = "0.0.0.0",
    block: bool = True,
    library: Library | None = None,
) -> RunningBot | None:
    """Check the configuration, build the engine and the app, then run until interrupted.

    Socket Mode needs SLACK_BOT_TOKEN and SLACK_APP_TOKEN; HTTP mode needs SLACK_BOT_TOKEN and
    SLACK_SIGNING_SECRET and listens on `host:port` at /slack/events. With `block=False` the
    bot runs in background threads and a `RunningBot` is returned. `library` is the knowledge
    base coaches curate (the engine's own; see `BotContext.build`)."""
    from bot.slack.app import bot_context, build_app  # keep import time light
    from bot.slack.client import make_web_client

    check_settings(settings, http=http)
    client = make_web_client(settings)
    identity = check_token(client)
    log.info("Slack token OK: bot %s in team %s", identity.get("user_id"), identity.get("team"))
    engine = engine_factory(settings)
    engine.warm()  # load the model and open the index now, not on the first question
    app = build_app(settings, engine, client=client, library=library)
    ctx = bot_context(app)
    from bot.slack.flows.gaps import start_weekly_summaries

    summaries = start_weekly_summaries(ctx)  # the weekly knowledge-gaps DM to coaches

    if http:
        server = make_http_server(app, host=host, port=port)
        bound_host, bound_port = server.server_address[:2]
        url = f"http://{bound_host}:{bound_port}{EVENTS_PATH}"
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True)
        thread.start()
        log.info("Guidepost is listening for Slack on %s", url)

        def close_http() -> None:
            summaries.set()
            server.shutdown()
            server.server_close()
            ctx.close(wait=True)  # finish the answers in flight: no placeholder left searching

        running = RunningBot(app=app, mode="http", url=url, _close=close_http)
    else:
        from slack_bolt.adapter.socket_mode import SocketModeHandler

        handler = SocketModeHandler(app, app_token=settings.slack_app_token, web_client=client)
        try:
            handler.connect()
        except SlackApiError as e:
            summaries.set()
            ctx.close(wait=False)
            raise SlackSetupError(
                f"Slack refused SLACK_APP_TOKEN ({e.response.get('error')}): it must be an app-level token "
                "with connections:write, and Socket Mode must be on in the app settings."
            ) from e
        log.info("Guidepost is connected to Slack (Socket Mode)")

        def close_socket() -> None:
            summaries.set()
            handler.close()
            ctx.close(wait=True)

        running = RunningBot(app=app, mode="socket", _close=close_socket)

    if not block:
        return running
    stop = threading.Event()
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, lambda *_: stop.set())  # `docker stop`, systemd
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    finally:
        log.info("stopping")
        running.close()
    return None
