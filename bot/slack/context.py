"""The bot's composition root: everything the listeners share, built once by `build_app` from
the settings, the answer engine and the Web API client.

Listeners find it in Bolt's own context (`BotContext.of(context)`, put there by a middleware).
Per-request state stays in the flows' local variables: Bolt runs listeners on a thread pool.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, ClassVar

from slack_bolt import BoltContext
from slack_sdk import WebClient
from slack_sdk.http_retry import RetryHandler

from bot.slack.client import retry_handlers
from bot.slack.coaches import Coaches
from bot.slack.dedupe import SeenSet
from bot.slack.files import SlackFiles
from ingest.domain import AnswerEngine, Scope
from ingest.library import Library
from ingest.settings import Settings
from ingest.stores import ChannelScopes, DeliveryStore, DigestStore, FeedbackStore, GapStore, SharedSeen, SuggestedPrompts

log = logging.getLogger("guidepost.slack")

ANSWER_WORKERS = 4  # concurrent engine calls; more questions wait their turn


@dataclass
class BotContext:
    KEY: ClassVar[str] = "guidepost"  # its key in Bolt's context

    settings: Settings
    engine: AnswerEngine
    client: WebClient
    library: Library  # the knowledge base as coaches curate it (the engine's own index)
    feedback: FeedbackStore  # data_dir/feedback.sqlite3: the answers posted and the votes on them
    digests: DigestStore  # data_dir/digests.sqlite3: planning notes
    gaps: GapStore  # data_dir/gaps.sqlite3: abstentions and 👎, for coaches
    scopes: ChannelScopes  # data_dir/channel_scopes.json: what each channel searches
    coaches: Coaches  # who may add, re-tag, remove, scope
    files: SlackFiles  # Slack files, fetched for the library
    prompts: SuggestedPrompts  # data_dir/suggested_prompts.json: what coaches suggest in the assistant panel
    pool: ThreadPoolExecutor  # answers, off Bolt's threads
    ingest_pool: ThreadPoolExecutor  # one file at a time, apart from answers
    retry_handlers: list[RetryHandler] = field(default_factory=retry_handlers)  # response_url posts too
    # Shared by every process on the data dir (data_dir/deliveries.sqlite3); in memory if not given.
    deliveries: SeenSet | SharedSeen = field(default_factory=lambda: SeenSet(ttl=3600))  # Slack deliveries taken
    claims: SeenSet | SharedSeen = field(default_factory=lambda: SeenSet(ttl=6 * 3600))  # messages being answered
    threads: SeenSet | SharedSeen = field(default_factory=lambda: SeenSet(ttl=24 * 3600))  # threads answered in, recently

    @classmethod
    def build(cls, settings: Settings, engine: AnswerEngine, client: WebClient, *, library: Library | None = None,
              answer_workers: int = ANSWER_WORKERS) -> BotContext:  # fmt: skip
        """The context for one app. `library` is the engine's index seen as a library (the CLI
        passes one sharing the engine's knowledge base and encoder); without it, the data dir's
        own. Either way the engine hears of every change."""
        library = library or Library(settings)
        library.subscribe(engine.index_changed)
        shared = DeliveryStore(settings.data_dir)
        return cls(
            deliveries=shared.seen("delivery", ttl=3600),
            claims=shared.seen("claim", ttl=6 * 3600),
            threads=shared.seen("thread", ttl=24 * 3600),
            settings=settings,
            engine=engine,
            client=client,
            library=library,
            feedback=FeedbackStore(settings.data_dir),
            digests=DigestStore(settings.data_dir),
            gaps=GapStore(settings.data_dir),
            scopes=ChannelScopes(settings.data_dir),
            coaches=Coaches(settings, client),
            files=SlackFiles(settings, client),
            prompts=SuggestedPrompts(settings.data_dir),
            pool=ThreadPoolExecutor(max_workers=answer_workers, thread_name_prefix="guidepost-answer"),
            ingest_pool=ThreadPoolExecutor(max_workers=1, thread_name_prefix="guidepost-ingest"),
        )

    @classmethod
    def of(cls, context: BoltContext) -> BotContext:
        """The context of the app handling this request (see `middleware.provide`)."""
        return context[cls.KEY]

    @property
    def help_contact(self) -> str:
        return self.settings.help_contact

    def scope_of(self, channel: str | None) -> Scope | None:
        """The part of the knowledge base a channel may draw on, or None (all of it)."""
        try:
            scope = self.scopes.get(channel)
        except Exception:  # an unreadable scope file must not stop answers
            log.exception("could not read the scope of %s; searching everything", channel)
            return None
        return scope if scope and not scope.is_empty() else None

    def submit(self, fn: Callable[..., None], *args: Any) -> Future[None]:
        return self.pool.submit(_logged(fn), *args)

    def submit_ingest(self, fn: Callable[..., None], *args: Any) -> Future[None]:
        """Work that reads files and writes the index: queued apart from answers, so a long
        upload never delays a teacher's question."""
        return self.ingest_pool.submit(_logged(fn), *args)

    def close(self, wait: bool = True) -> None:
        self.ingest_pool.shutdown(wait=wait, cancel_futures=not wait)
        self.pool.shutdown(wait=wait, cancel_futures=not wait)


def _logged(fn: Callable[..., None]) -> Callable[..., None]:
    def run(*args: Any) -> None:
        try:
            fn(*args)
        except Exception:  # the job's own handlers failed: log, never lose it silently
            log.exception("background job %s failed", getattr(fn, "__name__", fn))

    return run
