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
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.slack.http import EVENTS_PATH, HEALTH_PATH, MAX_BODY_BYTES, READY_PATH, HttpServer, SlackASGI, exit_cleanly_on_sigterm, run_workers
from ingest.domain import AnswerEngine
from ingest.errors import GuidepostError
from ingest.library import Library
from ingest.settings import Settings

log = logging.getLogger("guidepost.slack")

__all__ = ["EVENTS_PATH", "HEALTH_PATH", "MAX_BODY_BYTES", "READY_PATH", "RunningBot", "SlackSetupError", "serve"]


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


# --- HTTP mode (the server itself is in `bot.slack.http`) ---------------------------------------


def make_http_server(app: App, *, host: str = "0.0.0.0", port: int = 3000, path: str = EVENTS_PATH,
                     close: Callable[[bool], None] | None = None, install_signals: bool = False) -> HttpServer:  # fmt: skip
    """uvicorn serving `app` at `POST path` (signature and timestamp checked on the raw body,
    then by Bolt), `GET /healthz` and `GET /readyz`. Port 0 picks a free port (see
    `server.server_address`). `close(wait)` runs at shutdown to finish answers in flight."""
    return HttpServer(SlackASGI(app, path=path, close=close), host=host, port=port, install_signals=install_signals)


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
    workers: int = 1,
) -> RunningBot | None:
    """Check the configuration, build the engine and the app, then run until interrupted.

    Socket Mode needs SLACK_BOT_TOKEN and SLACK_APP_TOKEN; HTTP mode needs SLACK_BOT_TOKEN and
    SLACK_SIGNING_SECRET and serves `host:port` under uvicorn (/slack/events, /healthz,
    /readyz). With `workers` > 1 (HTTP mode, blocking only) uvicorn forks that many processes,
    each building its own engine from the environment (`bot.slack.http.worker_app`; the
    `engine_factory` given here is not used). With `block=False` the bot runs in background
    threads and a `RunningBot` is returned. `library` is the knowledge base coaches curate (the
    engine's own; see `BotContext.build`)."""
    from bot.slack.app import bot_context, build_app  # keep import time light
    from bot.slack.client import make_web_client

    check_settings(settings, http=http)
    client = make_web_client(settings)
    identity = check_token(client)
    log.info("Slack token OK: bot %s in team %s", identity.get("user_id"), identity.get("team"))
    if http and workers > 1:
        if not block:
            raise ValueError("several workers run only in the foreground (block=True)")
        if not settings.chroma_host:
            log.warning(
                "%d workers share the embedded Chroma database in %s: fine for answering, but documents "
                "added from Slack are safest with a Chroma server (GUIDEPOST_CHROMA_HOST).", workers, settings.data_dir
            )
        log.info("Guidepost is starting %d workers for Slack on http://%s:%d%s", workers, host, port, EVENTS_PATH)
        run_workers(host=host, port=port, workers=workers)
        return None
    engine = engine_factory(settings)
    engine.warm()  # load the model and open the index now, not on the first question
    app = build_app(settings, engine, client=client, library=library)
    ctx = bot_context(app)
    from bot.slack.flows.gaps import start_weekly_summaries

    summaries = start_weekly_summaries(ctx)  # the weekly knowledge-gaps DM to coaches

    if http:
        server = make_http_server(app, host=host, port=port, close=ctx.close, install_signals=block)
        bound_host, bound_port = server.server_address[:2]
        url = f"http://{bound_host}:{bound_port}{EVENTS_PATH}"
        log.info("Guidepost is listening for Slack on %s", url)
        if block:  # uvicorn handles SIGTERM / Ctrl-C: stop accepting, finish requests and answers
            exit_cleanly_on_sigterm()
            try:
                server.serve_forever()
            finally:
                server.server_close()
            return None
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()

        def close_http() -> None:
            summaries.set()
            server.shutdown()  # its lifespan shutdown finishes the answers in flight
            server.server_close()
            ctx.close(wait=True)

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
