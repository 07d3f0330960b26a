"""The one path every question takes, whatever surface it came from: claim it (answer once),
show a placeholder, ask the engine off Bolt's threads, render, replace the placeholder.

Listeners describe the question (`MessageAsk` for messages, `PrivateAsk` for slash commands and
the shortcut) and call `answer_in_conversation` or `answer_privately`; the work runs in
`BotContext.pool`, so a slow answer never holds a Bolt worker and never delays another
request's ack. Any failure still gives the asker a short, honest reply; the error is logged
with its traceback.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from slack_bolt import Ack

from bot.slack.context import BotContext
from bot.slack.conversation import clean_text, thread_history
from bot.slack.messaging import ephemeral, post_in_conversation, post_response
from bot.slack.payloads import BotIdentity, MessageEvent, MessageShortcut, SlashCommand
from bot.slack.streaming import AnswerStream
from bot.slack.views.answers import (
    PLACEHOLDER_TEXT,
    answer_blocks,
    answer_text_fallback,
    error_blocks,
    error_text,
    placeholder_blocks,
    planning_button,
)
from bot.slack.views.escalation import ask_coach_button
from bot.slack.views.help import help_blocks
from bot.slack.views.kit import escape_mrkdwn, notice_blocks
from ingest.domain import Answer, Scope
from ingest.errors import GuidepostError, InvalidStandard
from ingest.standards import parse_standard

log = logging.getLogger("guidepost.slack")


@dataclass(frozen=True)
class MessageAsk:
    """A question asked in a message (mention, DM, follow-up): answered in the conversation."""

    question: str  # plain text (see conversation.clean_text)
    user: str | None
    channel: str
    message_ts: str  # the asking message: the key that makes us answer it once
    reply_thread_ts: str | None  # where the answer goes; None = top level (a DM)
    history_thread_ts: str | None  # a thread to read as context; None = no history
    surface: Literal["mention", "dm", "followup", "assistant"]
    retry: int = 0
    scope_channel: str | None = None  # whose scope applies, when not `channel` (the panel's viewed channel)
    placeholder: bool = True  # False where Slack shows a status instead (the assistant panel)
    team: str | None = None  # the asker's team (Slack wants it to stream a reply)

    @classmethod
    def of(cls, message: MessageEvent, bot: BotIdentity, surface: Literal["mention", "dm", "followup"],
           retry: int = 0) -> MessageAsk:  # fmt: skip
        """A mention is answered in the thread of the question (the thread so far, if it is a
        reply, is context); a DM or a follow-up where it was asked: in its thread if it is a
        thread reply (with that thread as context), else at the top level."""
        if surface == "mention":
            reply = message.thread_ts or message.ts
            history = message.thread_ts if message.in_thread else None
        else:
            reply = history = message.thread_ts if message.in_thread else None
        return cls(clean_text(message.text, bot.user_id), message.user, message.channel, message.ts, reply, history,
                   surface, retry)  # fmt: skip


@dataclass(frozen=True)
class PrivateAsk:
    """A question from a slash command or a shortcut: answered through `response_url`,
    visible to the asker only, with a button to share it."""

    question: str
    user: str | None
    channel: str | None
    response_url: str
    surface: Literal["command", "shortcut"]
    thread_ts: str | None = None  # where a shared answer goes (a shortcut's message thread)
    standard: str | None = None  # `standard=3A-AP-17` in the command: only documents tagged with it


@dataclass
class Rendered:
    text: str
    blocks: list[dict[str, Any]]
    answer: Answer | None = None
    answer_id: str | None = None
    citation_blocks: list[dict[str, Any]] | None = None  # what goes under a streamed written answer


def answer_extras(answer: Answer, answer_id: str | None, *, coaches: bool = False) -> list[dict[str, Any]]:
    """Buttons every answer carries besides feedback: "Save to planning notes" (not on an
    abstention: there is nothing to cite); "Ask a coach" on an abstention, when there is a
    coaches' channel (`coaches`)."""
    if not answer_id:
        return []
    if answer.abstained:
        return [ask_coach_button(answer_id)] if coaches else []
    return [planning_button(answer_id)]


def render_answer(ctx: BotContext, answer: Answer, answer_id: str | None, scope: Scope | None, **shown: Any) -> Rendered:
    """An answer's blocks and notification text, as every surface shows it (`shown`: the
    surface's own options of `answer_blocks`)."""
    label = scope.label() if scope else None
    blocks = answer_blocks(answer, answer_id=answer_id, help_contact=ctx.help_contact,
                           extra_actions=answer_extras(answer, answer_id, coaches=bool(ctx.settings.coach_channel)),
                           scope=label, **shown)  # fmt: skip
    text = answer_text_fallback(answer, help_contact=ctx.help_contact, scoped=scope is not None)
    citations = None
    if answer.mode == "llm" and not answer.abstained:
        citations = answer_blocks(answer, answer_id=answer_id, help_contact=ctx.help_contact, with_text=False,
                                  extra_actions=answer_extras(answer, answer_id), scope=label, **shown)  # fmt: skip
    return Rendered(text, blocks, answer, answer_id, citations)


# --- computing an answer ---------------------------------------------------------------------


def _answer(
    ctx: BotContext,
    question: str,
    *,
    channel: str | None,
    history: list[tuple[str, str]] | None,
    record: Callable[[Answer], str | None],
    standard: str | None = None,
    on_token: Callable[[str], None] | None = None,
    **shown: Any,
) -> Rendered:
    """Ask the engine within the channel's scope (and `standard`, when the asker named one),
    store and render; on any failure, render an honest error instead."""
    scope = ctx.scope_of(channel)
    if standard:
        scope = dataclasses.replace(scope or Scope(), standards=(standard,))
    try:
        filters = scope.filters() if scope else None
        if on_token is None:
            answer = ctx.engine.answer(question, filters=filters, history=history or None)
        else:
            answer = ctx.engine.answer_streaming(question, filters=filters, history=history or None, on_token=on_token)
        answer = ctx.library.with_standards(answer)  # the codes shown on citations
    except GuidepostError as e:
        log.warning("engine could not answer %r: %s", question[:200], e)
        return Rendered(error_text(str(e)), error_blocks(str(e), help_contact=ctx.help_contact))
    except Exception:
        log.exception("engine failed on %r", question[:200])
        return Rendered(error_text(), error_blocks(help_contact=ctx.help_contact))
    try:
        answer_id = record(answer)
    except Exception:  # votes are lost for this answer; the teacher still gets it
        log.exception("could not store the answer; posting it without feedback buttons")
        answer_id = None
    if answer.abstained:
        try:  # a knowledge gap, for coaches (`/guidepost gaps`)
            ctx.gaps.record(answer.standalone_question or answer.question, reason="abstention", channel=channel,
                            answer_id=answer_id)  # fmt: skip
        except Exception:
            log.exception("could not record the knowledge gap %r", question[:200])
    try:
        return render_answer(ctx, answer, answer_id, scope, **shown)
    except Exception:
        log.exception("could not render the answer to %r", question[:200])
        return Rendered(error_text(), error_blocks(help_contact=ctx.help_contact))


# --- questions asked in messages -------------------------------------------------------------


def answer_in_conversation(ctx: BotContext, ask: MessageAsk, bot: BotIdentity) -> None:
    """Called from a listener: claim the message, post the placeholder, queue the answer."""
    if not ctx.claims.add(("message", ask.channel, ask.message_ts)):
        log.info("message %s/%s is already being answered", ask.channel, ask.message_ts)
        return
    try:
        if ctx.feedback.answer_for_question(ask.channel, ask.message_ts) is not None:
            log.info("message %s/%s was answered before (retry %d)", ask.channel, ask.message_ts, ask.retry)
            return
    except Exception:
        log.exception("could not read the answer store; answering anyway")

    if not ask.question or ask.question.lower() in ("help", "?"):
        post_in_conversation(ctx, ask.channel, ask.reply_thread_ts, text="Ask me a question about your district's guides and templates.",
                             blocks=help_blocks(help_contact=ctx.help_contact))  # fmt: skip
        return

    if ask.reply_thread_ts:  # replies there are follow-ups, even before the answer is stored
        ctx.threads.add((ask.channel, ask.reply_thread_ts))
    placeholder_ts: str | None = None
    if ask.placeholder:
        try:
            resp = ctx.client.chat_postMessage(channel=ask.channel, thread_ts=ask.reply_thread_ts, text=PLACEHOLDER_TEXT,
                                               blocks=placeholder_blocks(ask.question), unfurl_links=False,
                                               unfurl_media=False)  # fmt: skip
            placeholder_ts = resp.get("ts")
        except Exception:
            log.exception("could not post the placeholder in %s; the answer will be posted when ready", ask.channel)
    ctx.submit(_finish_in_conversation, ctx, ask, bot, placeholder_ts)


def _finish_in_conversation(ctx: BotContext, ask: MessageAsk, bot: BotIdentity, placeholder_ts: str | None) -> None:
    history: list[tuple[str, str]] | None = None
    if ask.history_thread_ts:
        try:
            history = thread_history(ctx.client, ask.channel, ask.history_thread_ts, bot_user_id=bot.user_id,
                                     bot_id=bot.bot_id, exclude_ts=ask.message_ts, store=ctx.feedback)  # fmt: skip
        except Exception:
            log.warning("could not read thread %s/%s; answering without it", ask.channel, ask.history_thread_ts, exc_info=True)

    def record(answer: Answer) -> str:
        return ctx.feedback.record_answer(answer, surface=ask.surface, user=ask.user, channel=ask.channel,
                                          question_ts=ask.message_ts, thread_ts=ask.reply_thread_ts or ask.message_ts,
                                          message_ts=placeholder_ts)  # fmt: skip

    stream = AnswerStream(ctx, ask.channel, ask.reply_thread_ts, placeholder_ts=placeholder_ts, user=ask.user, team=ask.team)
    out = _answer(ctx, ask.question, channel=ask.scope_channel or ask.channel, history=history, record=record, on_token=stream)
    ts = None
    if stream.started:
        written = out.answer.text if out.answer is not None and out.answer.mode == "llm" else None
        ts = stream.finish(out.text, out.blocks, out.citation_blocks, written)
    if ts is None:
        ts = post_in_conversation(ctx, ask.channel, ask.reply_thread_ts, text=out.text, blocks=out.blocks,
                                  replace_ts=stream.ts or placeholder_ts)  # fmt: skip
    if out.answer_id and ts and ts != placeholder_ts:
        try:
            ctx.feedback.set_message_ts(out.answer_id, ts)
        except Exception:
            log.exception("could not remember where answer %s was posted", out.answer_id)


# --- questions asked privately (slash command, shortcut) -------------------------------------


def answer_privately(ctx: BotContext, ask: PrivateAsk) -> None:
    """Called from a listener once the placeholder is shown: queue the answer."""
    ctx.submit(_finish_privately, ctx, ask)


def _finish_privately(ctx: BotContext, ask: PrivateAsk) -> None:
    def record(answer: Answer) -> str:
        return ctx.feedback.record_answer(answer, surface=ask.surface, user=ask.user, channel=ask.channel,
                                          thread_ts=ask.thread_ts)  # fmt: skip

    out = _answer(ctx, ask.question, channel=ask.channel, history=None, record=record, standard=ask.standard, shareable=True,
                  show_question=True)  # fmt: skip
    try:
        post_response(ctx, ask.response_url, ephemeral(out.text, out.blocks, replace=True))
    except Exception:
        log.exception("could not answer through response_url; trying chat.postEphemeral")
        if ask.channel and ask.user:
            try:
                ctx.client.chat_postEphemeral(channel=ask.channel, user=ask.user, text=out.text, blocks=out.blocks)
            except Exception:
                log.exception("could not reach %s in %s at all", ask.user, ask.channel)


# --- /guidepost <question>, /guidepost help --------------------------------------------------


def ask_command(ctx: BotContext, ack: Ack, cmd: SlashCommand, text: str) -> None:
    standard, text = standard_in(text)
    question = clean_text(text)
    if not question:
        show_help(ctx, ack, cmd, "")
        return
    if standard is not None:
        try:
            standard = parse_standard(standard)
        except InvalidStandard as e:
            ack(response_type="ephemeral", text=f":warning: {escape_mrkdwn(str(e))}")
            return
    ack(response_type="ephemeral", text=PLACEHOLDER_TEXT, blocks=placeholder_blocks(question))
    answer_privately(ctx, PrivateAsk(question, cmd.user, cmd.channel, cmd.response_url, "command", standard=standard))


_STANDARD_FIELD = re.compile(r"(?<!\S)standard\s*[=:]\s*(\S+)", re.I)


def standard_in(text: str) -> tuple[str | None, str]:
    """('3A-AP-17', 'the rest') for 'standard=3A-AP-17 the rest'; (None, text) without one."""
    m = _STANDARD_FIELD.search(text or "")
    if m is None:
        return None, text
    return m.group(1).strip(",;"), " ".join((text[: m.start()] + " " + text[m.end() :]).split())


def show_help(ctx: BotContext, ack: Ack, cmd: SlashCommand, rest: str) -> None:
    ack(response_type="ephemeral", text="How to ask Guidepost", blocks=help_blocks(help_contact=ctx.help_contact, command=cmd.command))



# --- the message shortcut "Ask Guidepost about this" -----------------------------------------


def ask_about_message(ctx: BotContext, shortcut: MessageShortcut, bot: BotIdentity) -> None:
    """The message's text is the question; the answer is shown to the person who used the
    shortcut, with a button to share it in the message's thread."""
    if not shortcut.response_url:
        log.warning("shortcut without response_url: cannot answer")
        return
    question = clean_text(shortcut.message_text, bot.user_id)
    if not question:
        note = "That message has no text I can look up."
        post_response(ctx, shortcut.response_url, {"response_type": "ephemeral", "text": note,
                                                   "blocks": notice_blocks(note + " Try `/guidepost your question`.")})  # fmt: skip
        return
    post_response(ctx, shortcut.response_url,
                  {"response_type": "ephemeral", "text": PLACEHOLDER_TEXT, "blocks": placeholder_blocks(question)})  # fmt: skip
    answer_privately(ctx, PrivateAsk(question, shortcut.user, shortcut.channel, shortcut.response_url, "shortcut",
                                     thread_ts=shortcut.thread_ts or None))  # fmt: skip
