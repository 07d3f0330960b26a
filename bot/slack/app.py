"""Build the Bolt app: one WebClient, the middleware, the listeners. Nothing happens at import
time, and building makes no network call (Bolt calls `auth.test` on the first request)."""

from __future__ import annotations

import logging
import secrets
import weakref
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from slack_bolt import App, BoltContext
from slack_bolt.response import BoltResponse
from slack_sdk import WebClient
from slack_sdk.http_retry import ConnectionErrorRetryHandler, RateLimitErrorRetryHandler, RetryHandler
from slack_sdk.http_retry.builtin_handlers import ServerErrorRetryHandler

from bot.slack.dedupe import SeenSet, dedupe_middleware
from bot.slack.listeners import BotContext, register_listeners
from ingest.domain import AnswerEngine
from ingest.settings import Settings
from ingest.stores import FeedbackStore

log = logging.getLogger("guidepost.slack")

DEFAULT_API_URL = "https://slack.com/api/"
LISTENER_WORKERS = 16  # Bolt's pool: acks, placeholders, votes (short work only)
ANSWER_WORKERS = 4  # concurrent engine calls; more questions wait their turn

_contexts: weakref.WeakKeyDictionary[App, BotContext] = weakref.WeakKeyDictionary()


class _ServerErrorRetry(ServerErrorRetryHandler):
    """slack-sdk's handler retries 500 and 503 only; gateways also say 502 and 504."""

    def _can_retry(self, *, state: Any, request: Any, response: Any = None, error: Any = None) -> bool:
        return response is not None and response.status_code in (500, 502, 503, 504)


def retry_handlers() -> list[RetryHandler]:
    """Retries for every call to Slack: 429 (after `Retry-After`), server errors (with
    backoff), dropped connections."""
    return [
        ConnectionErrorRetryHandler(max_retry_count=2),
        RateLimitErrorRetryHandler(max_retry_count=3),
        _ServerErrorRetry(max_retry_count=2),
    ]


def api_base_url(settings: Settings) -> str:
    """The Web API base URL, ending in `/` as slack-sdk requires (`SLACK_API_URL` may be
    given as `https://slack-gov.com/api` or `http://127.0.0.1:8080/api/`)."""
    url = (settings.slack_api_url or DEFAULT_API_URL).strip()
    return url.rstrip("/") + "/"


def make_web_client(settings: Settings) -> WebClient:
    return WebClient(
        token=settings.slack_bot_token,
        base_url=api_base_url(settings),
        timeout=30,
        retry_handlers=retry_handlers(),
        logger=logging.getLogger("guidepost.slack.web"),
    )


def build_app(
    settings: Settings,
    engine: AnswerEngine,
    *,
    client: WebClient | None = None,
    answer_workers: int = ANSWER_WORKERS,
) -> App:
    """The Bolt app for `settings`, answering with `engine`. `client` replaces the WebClient
    built from the settings (its token and base URL are then used as they are)."""
    client = client or make_web_client(settings)
    app = App(
        client=client,
        # Without a secret nothing could be verified: a random one makes every HTTP request
        # fail verification instead of letting unsigned ones through. Socket Mode skips it.
        signing_secret=settings.slack_signing_secret or secrets.token_hex(32),
        process_before_response=False,
        token_verification_enabled=False,  # no auth.test while building; serve() checks the token
        listener_executor=ThreadPoolExecutor(max_workers=LISTENER_WORKERS, thread_name_prefix="guidepost-listener"),
        logger=logging.getLogger("guidepost.slack.bolt"),
    )
    ctx = BotContext(
        settings=settings,
        engine=engine,
        client=client,
        store=FeedbackStore(settings.data_dir),
        retry_handlers=retry_handlers(),
        pool=ThreadPoolExecutor(max_workers=answer_workers, thread_name_prefix="guidepost-answer"),
    )
    app.middleware(ignore_bots)
    app.middleware(dedupe_middleware(SeenSet(ttl=3600), log))
    app.error(log_error)
    register_listeners(app, ctx)
    _contexts[app] = ctx
    return app


def bot_context(app: App) -> BotContext:
    """The context `build_app` made for `app` (to close its pool, or for tests)."""
    return _contexts[app]


def ignore_bots(body: dict[str, Any], context: BoltContext, next: Any) -> BoltResponse | None:  # noqa: A002
    """Acknowledge and drop events written by a bot (any bot, this one included)."""
    event = body.get("event")
    if isinstance(event, dict) and event.get("type") in ("message", "app_mention"):
        if (
            event.get("bot_id")
            or event.get("subtype") == "bot_message"
            or (context.bot_user_id and event.get("user") == context.bot_user_id)
        ):
            return BoltResponse(status=200, body="")
    return next()


def log_error(error: Exception, body: dict[str, Any]) -> None:
    """Anything a listener let escape (the answer path catches its own errors)."""
    log.error("unhandled error in a Slack listener (request type %s)", body.get("type"), exc_info=error)
