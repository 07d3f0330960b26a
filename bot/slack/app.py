"""The Bolt app: one WebClient, the bot's context, the middleware, the listeners. Nothing happens
at import time, and building makes no network call (Bolt calls `auth.test` on the first
request)."""

from __future__ import annotations

import logging
import secrets
import weakref
from concurrent.futures import ThreadPoolExecutor

from slack_bolt import App
from slack_sdk import WebClient

from bot.slack.client import make_web_client
from bot.slack.context import ANSWER_WORKERS, BotContext
from bot.slack.listeners import register_listeners
from bot.slack.middleware import drop_duplicates, ignore_bots, log_error, provide
from ingest.domain import AnswerEngine
from ingest.library import Library
from ingest.settings import Settings

LISTENER_WORKERS = 16  # Bolt's pool: acks, placeholders, votes (short work only)

_contexts: weakref.WeakKeyDictionary[App, BotContext] = weakref.WeakKeyDictionary()


def build_app(settings: Settings, engine: AnswerEngine, *, client: WebClient | None = None,
              library: Library | None = None, answer_workers: int = ANSWER_WORKERS) -> App:  # fmt: skip
    """The Bolt app for `settings`, answering with `engine` (see `BotContext.build` for
    `library`). `client` replaces the WebClient built from the settings."""
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
    ctx = BotContext.build(settings, engine, client, library=library, answer_workers=answer_workers)
    from bot.slack.flows.planning import tell_source_changes

    ctx.library.subscribe_sources(lambda *_: ctx.submit(tell_source_changes, ctx))  # planning notes citing it
    app.middleware(provide(ctx))
    app.middleware(ignore_bots)
    app.middleware(drop_duplicates(ctx.deliveries))  # shared with every process on the data dir
    app.error(log_error)
    register_listeners(app)
    _contexts[app] = ctx
    return app


def bot_context(app: App) -> BotContext:
    """The context `build_app` made for `app` (to close its pools, or for tests)."""
    return _contexts[app]
