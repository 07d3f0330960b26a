"""The one path every question takes, whatever surface it came from: claim it (answer once),
show a placeholder, ask the engine off Bolt's threads, render, replace the placeholder.

Listeners only ack and describe the question (`MessageAsk` for messages, `PrivateAsk` for
slash commands and shortcuts); the work runs in `BotContext.pool`, so a slow answer never
holds a Bolt worker and never delays another request's ack. Any failure still gives the
asker a short, honest reply; the error is logged with its traceback.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry import RetryHandler
from slack_sdk.webhook import WebhookClient

from bot.slack import blocks as B
from bot.slack.coaches import Coaches
from bot.slack.conversation import thread_history
from bot.slack.dedupe import SeenSet
from bot.slack.library import Library
from ingest.domain import Answer, AnswerEngine, Filters, Scope
from ingest.errors import GuidepostError
from ingest.settings import Settings
from ingest.stores import ChannelScopes, DigestStore, FeedbackStore

log = logging.getLogger("guidepost.slack")


@dataclass(frozen=True)
class BotIdentity:
    """Who the bot is in this workspace (from Bolt's cached `auth.test`)."""

    user_id: str | None
    bot_id: str | None


@dataclass
class BotContext:
    """What the listeners share; built once by `build_app`. Per-request state stays local
    to the functions below (Bolt runs listeners on a thread pool)."""

    settings: Settings
    engine: AnswerEngine
    client: WebClient
    store: FeedbackStore
    retry_handlers: list[RetryHandler]
    pool: ThreadPoolExecutor
    claims: SeenSet = field(default_factory=lambda: SeenSet(ttl=6 * 3600))  # (channel, ts) being answered
    threads: SeenSet = field(default_factory=lambda: SeenSet(ttl=24 * 3600))  # threads answered in, recently
    # Built from the above in __post_init__ (tests may replace them):
    coaches: Coaches = field(init=False)  # who may add, re-tag, remove, scope
    scopes: ChannelScopes = field(init=False)  # data_dir/channel_scopes.json
    digests: DigestStore = field(init=False)  # data_dir/digests.sqlite3
    library: Library = field(init=False)  # the knowledge base as coaches curate it
    ingest_pool: ThreadPoolExecutor = field(init=False)  # one file at a time, apart from answers

    def __post_init__(self) -> None:
        self.coaches = Coaches(self.settings, self.client)
        self.scopes = ChannelScopes(self.settings.data_dir)
        self.digests = DigestStore(self.settings.data_dir)
        self.library = Library(self.settings, self.client, self.engine)
        self.ingest_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="guidepost-ingest")

    @property
    def help_contact(self) -> str:
        return self.settings.help_contact

    def filters_for(self, channel: str | None) -> Filters | None:
        """The part of the knowledge base a channel may draw on: its scope, or None (all)."""
        try:
            return self.scopes.filters_for(channel)
        except Exception:  # an unreadable scope file must not stop answers
            log.exception("could not read the scope of %s; searching everything", channel)
            return None

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


def scope_label(filters: Filters | None) -> str | None:
    """What a scoped channel searched ('type: choice board · subject: math'), or None."""
    if filters is None or filters.is_empty():
        return None
    return Scope(tuple(filters.types), tuple(filters.subjects)).label() or None


def answer_extras(answer: Answer, answer_id: str | None) -> list[dict[str, Any]]:
    """Buttons every answer carries besides feedback: "Save to planning notes" (not on an
    abstention: there is nothing to cite)."""
    if not answer_id or answer.abstained:
        return []
    return [B.planning_button(answer_id)]


@dataclass(frozen=True)
class MessageAsk:
    """A question asked in a message (mention, DM, follow-up): answered in the conversation."""

    question: str  # plain text (see conversation.clean_text)
    user: str | None
    channel: str
    message_ts: str  # the asking message: the key that makes us answer it once
    reply_thread_ts: str | None  # where the answer goes; None = top level (a DM)
    history_thread_ts: str | None  # a thread to read as context; None = no history
    surface: str  # mention | dm | followup
    retry: int = 0


@dataclass(frozen=True)
class PrivateAsk:
    """A question from a slash command or a shortcut: answered through `response_url`,
    visible to the asker only, with a button to share it."""

    question: str
    user: str | None
    channel: str | None
    response_url: str
    surface: str  # command | shortcut
    thread_ts: str | None = None  # where a shared answer goes (a shortcut's message thread)


# --- talking to Slack ------------------------------------------------------------------------


def post_response(ctx: BotContext, response_url: str, payload: dict[str, Any]) -> None:
    """POST to a `response_url` with the same retries as the Web API client."""
    client = WebhookClient(url=response_url, timeout=15, retry_handlers=ctx.retry_handlers, logger=log)
    resp = client.send_dict(payload)
    if resp.status_code != 200:
        raise RuntimeError(f"response_url answered {resp.status_code}: {resp.body!r}")


def post_in_conversation(
    ctx: BotContext,
    channel: str,
    thread_ts: str | None,
    *,
    text: str,
    blocks: list[dict[str, Any]],
    replace_ts: str | None = None,
) -> str | None:
    """Replace the message `replace_ts` (the placeholder) or, failing that, post a new one.
    Returns the ts of the message that shows the content, or None if Slack refused both."""
    if replace_ts:
        try:
            ctx.client.chat_update(channel=channel, ts=replace_ts, text=text, blocks=blocks)
            return replace_ts
        except SlackApiError as e:
            log.warning("chat.update failed (%s); posting a new message instead", e.response.get("error"))
    try:
        resp = ctx.client.chat_postMessage(
            channel=channel,
            thread_ts=thread_ts,
            text=text,
            blocks=blocks,
            unfurl_links=False,
            unfurl_media=False,
        )
        return resp.get("ts")
    except Exception:
        log.exception("could not post to %s (thread %s)", channel, thread_ts)
        return None


def reply_privately(
    ctx: BotContext,
    body: dict[str, Any],
    text: str,
    blocks: list[dict[str, Any]] | None = None,
    *,
    replace: bool = False,
) -> None:
    """A short note only the person who clicked (or typed a command) sees: through the
    request's `response_url` (`replace`: instead of the message it came from), or
    `chat.postEphemeral` when that fails."""
    url = body.get("response_url")
    payload = {"response_type": "ephemeral", "replace_original": replace, "text": text,
               "blocks": blocks or B.notice_blocks(text)}  # fmt: skip
    try:
        if url:
            post_response(ctx, url, payload)
            return
    except Exception:
        log.warning("response_url failed; trying chat.postEphemeral", exc_info=True)
    channel = (
        (body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id") or body.get("channel_id")
    )
    user = (body.get("user") or {}).get("id") or body.get("user_id")
    if channel and user:
        ctx.client.chat_postEphemeral(channel=channel, user=user, text=text, blocks=payload["blocks"])


# --- computing an answer ---------------------------------------------------------------------


@dataclass
class Rendered:
    text: str
    blocks: list[dict[str, Any]]
    answer: Answer | None = None
    answer_id: str | None = None


def _answer(
    ctx: BotContext,
    question: str,
    *,
    channel: str | None,
    history: list[tuple[str, str]] | None,
    record: Callable[[Answer], str | None],
    render: Callable[[Answer, str | None, str | None], list[dict[str, Any]]],
) -> Rendered:
    """Ask the engine and render; on any failure, render an honest error instead. `render`
    gets the answer, its stored id and the channel's scope label (None: not scoped)."""
    filters = ctx.filters_for(channel)
    try:
        answer = ctx.engine.answer(question, filters=filters, history=history or None)
    except GuidepostError as e:
        log.warning("engine could not answer %r: %s", question[:200], e)
        return Rendered(B.error_text(str(e)), B.error_blocks(str(e), help_contact=ctx.help_contact))
    except Exception:
        log.exception("engine failed on %r", question[:200])
        return Rendered(B.error_text(), B.error_blocks(help_contact=ctx.help_contact))
    try:
        answer_id = record(answer)
    except Exception:  # votes are lost for this answer; the teacher still gets it
        log.exception("could not store the answer; posting it without feedback buttons")
        answer_id = None
    try:
        scope = scope_label(filters)
        fallback = B.answer_text_fallback(answer, help_contact=ctx.help_contact, scoped=scope is not None)
        return Rendered(fallback, render(answer, answer_id, scope), answer, answer_id)
    except Exception:
        log.exception("could not render the answer to %r", question[:200])
        return Rendered(B.error_text(), B.error_blocks(help_contact=ctx.help_contact))


# --- questions asked in messages -------------------------------------------------------------


def answer_in_conversation(ctx: BotContext, ask: MessageAsk, bot: BotIdentity) -> None:
    """Called from a listener: claim the message, post the placeholder, queue the answer."""
    if not ctx.claims.add(("message", ask.channel, ask.message_ts)):
        log.info("message %s/%s is already being answered", ask.channel, ask.message_ts)
        return
    try:
        if ctx.store.answer_for_question(ask.channel, ask.message_ts) is not None:
            log.info("message %s/%s was answered before (retry %d)", ask.channel, ask.message_ts, ask.retry)
            return
    except Exception:
        log.exception("could not read the answer store; answering anyway")

    if not ask.question or ask.question.lower() in ("help", "?"):
        post_in_conversation(
            ctx,
            ask.channel,
            ask.reply_thread_ts,
            text="Ask me a question about your district's guides and templates.",
            blocks=B.help_blocks(help_contact=ctx.help_contact),
        )
        return

    if ask.reply_thread_ts:  # replies there are follow-ups, even before the answer is stored
        ctx.threads.add((ask.channel, ask.reply_thread_ts))
    placeholder_ts: str | None = None
    try:
        resp = ctx.client.chat_postMessage(
            channel=ask.channel,
            thread_ts=ask.reply_thread_ts,
            text=B.PLACEHOLDER_TEXT,
            blocks=B.placeholder_blocks(ask.question),
            unfurl_links=False,
            unfurl_media=False,
        )
        placeholder_ts = resp.get("ts")
    except Exception:
        log.exception("could not post the placeholder in %s; the answer will be posted when ready", ask.channel)
    ctx.submit(_finish_in_conversation, ctx, ask, bot, placeholder_ts)


def _finish_in_conversation(ctx: BotContext, ask: MessageAsk, bot: BotIdentity, placeholder_ts: str | None) -> None:
    history: list[tuple[str, str]] | None = None
    if ask.history_thread_ts:
        try:
            history = thread_history(
                ctx.client,
                ask.channel,
                ask.history_thread_ts,
                bot_user_id=bot.user_id,
                bot_id=bot.bot_id,
                exclude_ts=ask.message_ts,
                store=ctx.store,
            )
        except Exception:
            log.warning("could not read thread %s/%s; answering without it", ask.channel, ask.history_thread_ts, exc_info=True)

    def record(answer: Answer) -> str:
        return ctx.store.record_answer(
            answer,
            surface=ask.surface,
            user=ask.user,
            channel=ask.channel,
            question_ts=ask.message_ts,
            thread_ts=ask.reply_thread_ts or ask.message_ts,
            message_ts=placeholder_ts,
        )

    def render(answer: Answer, answer_id: str | None, scope: str | None) -> list[dict[str, Any]]:
        return B.answer_blocks(
            answer,
            answer_id=answer_id,
            help_contact=ctx.help_contact,
            extra_actions=answer_extras(answer, answer_id),
            scope=scope,
        )

    out = _answer(ctx, ask.question, channel=ask.channel, history=history, record=record, render=render)
    ts = post_in_conversation(
        ctx, ask.channel, ask.reply_thread_ts, text=out.text, blocks=out.blocks, replace_ts=placeholder_ts
    )
    if out.answer_id and ts and ts != placeholder_ts:
        try:
            ctx.store.set_message_ts(out.answer_id, ts)
        except Exception:
            log.exception("could not remember where answer %s was posted", out.answer_id)


# --- questions asked privately (slash command, shortcut) -------------------------------------


def answer_privately(ctx: BotContext, ask: PrivateAsk) -> None:
    """Called from a listener once the placeholder is shown: queue the answer."""
    ctx.submit(_finish_privately, ctx, ask)


def _finish_privately(ctx: BotContext, ask: PrivateAsk) -> None:
    def record(answer: Answer) -> str:
        return ctx.store.record_answer(
            answer, surface=ask.surface, user=ask.user, channel=ask.channel, thread_ts=ask.thread_ts
        )

    def render(answer: Answer, answer_id: str | None, scope: str | None) -> list[dict[str, Any]]:
        return B.answer_blocks(
            answer,
            answer_id=answer_id,
            help_contact=ctx.help_contact,
            shareable=True,
            show_question=True,
            extra_actions=answer_extras(answer, answer_id),
            scope=scope,
        )

    out = _answer(ctx, ask.question, channel=ask.channel, history=None, record=record, render=render)
    payload = {"response_type": "ephemeral", "replace_original": True, "text": out.text, "blocks": out.blocks}
    try:
        post_response(ctx, ask.response_url, payload)
    except Exception:
        log.exception("could not answer through response_url; trying chat.postEphemeral")
        if ask.channel and ask.user:
            try:
                ctx.client.chat_postEphemeral(channel=ask.channel, user=ask.user, text=out.text, blocks=out.blocks)
            except Exception:
                log.exception("could not reach %s in %s at all", ask.user, ask.channel)
