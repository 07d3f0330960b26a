"""The assistant panel (Slack's "Agents & AI Apps" surface): a teacher opens a thread, is greeted
with suggested questions, and asks; each question shows a status while the knowledge base is
searched, names the thread after its first question, and is answered in the thread with the
same cited blocks, votes and buttons as everywhere else (`answering.answer_in_conversation`),
with the thread so far as context. When the teacher is viewing a channel, that channel's scope
applies.

Suggested prompts, best first: the ones coaches set (`/guidepost prompts`), else questions
asked often and answered well, else one per document type in the knowledge base.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack
from slack_bolt.context.assistant.thread_context import AssistantThreadContext
from slack_bolt.context.assistant.thread_context_store.store import AssistantThreadContextStore

from bot.slack.context import BotContext
from bot.slack.conversation import clean_text, is_chatter
from bot.slack.flows.answering import MessageAsk, answer_in_conversation
from bot.slack.messaging import reply_privately
from bot.slack.payloads import BotIdentity, MessageEvent, SlashCommand
from bot.slack.views.kit import escape_mrkdwn, one_line, truncate
from bot.slack.views.library import refusal
from ingest.stores import SourceInfo

log = logging.getLogger("guidepost.slack")

STATUS = "searching the knowledge base…"
GREETING = ("Hi! I answer from your district's guides, lesson templates and choice boards, and I cite the page "
            "I used. Ask me anything, or try one of these.")  # fmt: skip
PROMPTS_TITLE = "Try asking"
MAX_PROMPTS = 4
MAX_TITLE = 80
MAX_PROMPT_TITLE = 40

# One question per document type, naming a document of that type.
_TYPE_PROMPTS: dict[str, Callable[[str], str]] = {
    "verified_answer": lambda t: t,
    "choice_board": lambda t: f"How do students use the {t}?",
    "lesson_template": lambda t: f"What are the steps of the {t}?",
    "guide": lambda t: f"What does the {t} recommend?",
    "report": lambda t: f"What did the {t} find?",
}
_TYPE_ORDER = ("guide", "lesson_template", "choice_board", "report", "other")


def suggested_prompts(ctx: BotContext) -> list[dict[str, str]]:
    """Up to four prompts as Slack takes them ({"title", "message"})."""
    questions = _coach_prompts(ctx) or _popular(ctx) or _per_type(ctx)
    return [{"title": truncate(one_line(q), MAX_PROMPT_TITLE), "message": q} for q in questions[:MAX_PROMPTS]]


def _coach_prompts(ctx: BotContext) -> list[str]:
    return ctx.prompts.get()


def _popular(ctx: BotContext) -> list[str]:
    try:
        return ctx.feedback.popular_questions(MAX_PROMPTS)
    except Exception:
        log.exception("could not read the answer log for suggested prompts")
        return []


def _per_type(ctx: BotContext) -> list[str]:
    try:
        sources = ctx.library.sources()
    except Exception:
        log.exception("could not list the knowledge base for suggested prompts")
        return []
    newest: dict[str, SourceInfo] = {}
    for s in sources:
        if s.type == "verified_answer":
            continue
        if s.type not in newest or s.added_at > newest[s.type].added_at:
            newest[s.type] = s
    order = sorted(newest, key=lambda t: _TYPE_ORDER.index(t) if t in _TYPE_ORDER else len(_TYPE_ORDER))
    return [_TYPE_PROMPTS.get(t, lambda title: f"What does {title} say?")(newest[t].title) for t in order]


def prompts_command(ctx: BotContext, ack: Ack, cmd: SlashCommand, rest: str) -> None:
    """`/guidepost prompts` shows the panel's suggested questions; a coach sets them with
    `/guidepost prompts Question one? | Question two?` (`clear` goes back to the automatic ones)."""
    if not rest.strip():
        shown = "\n".join(f"• {escape_mrkdwn(p['message'])}" for p in suggested_prompts(ctx)) or "_(none yet)_"
        ack(response_type="ephemeral", text=f"The assistant panel suggests:\n{shown}")
        return
    ack()
    if not ctx.coaches.is_coach(cmd.user):
        reply_privately(ctx, cmd.recipient, refusal("set the suggested questions", ctx.help_contact), replace=True)
        return
    questions = [] if rest.strip().lower() == "clear" else [q.strip() for q in clean_text(rest).split("|")]
    ctx.prompts.set(questions)
    n = len(ctx.prompts.get())
    done = f"Done: the assistant panel suggests these {n} questions." if n else "Done: the assistant panel picks its suggestions itself again."
    reply_privately(ctx, cmd.recipient, done, replace=True)


# --- events ----------------------------------------------------------------------------------


def thread_started(ctx: BotContext, say: Callable[..., Any], set_suggested_prompts: Callable[..., Any]) -> None:
    say(text=GREETING)
    prompts = suggested_prompts(ctx)
    if prompts:
        set_suggested_prompts(prompts=prompts, title=PROMPTS_TITLE)


def user_message(
    ctx: BotContext,
    message: MessageEvent,
    bot: BotIdentity,
    *,
    set_status: Callable[..., Any],
    set_title: Callable[..., Any],
    viewed_channel: str | None,
    team: str | None = None,
    retry: int = 0,
) -> None:
    """A question in a panel thread: status, title on the first question, then the answer."""
    question = clean_text(message.text, bot.user_id)
    if not question or is_chatter(question):
        return
    thread = message.thread_ts or message.ts
    if _first_question(ctx, message.channel, thread):
        _quietly(set_title, truncate(one_line(question), MAX_TITLE), what="title")
    _quietly(set_status, STATUS, what="status")
    ask = MessageAsk(question, message.user, message.channel, message.ts, reply_thread_ts=thread, history_thread_ts=thread,
                     surface="assistant", retry=retry, scope_channel=viewed_channel, placeholder=False, team=team)  # fmt: skip
    answer_in_conversation(ctx, ask, bot)


def _first_question(ctx: BotContext, channel: str, thread: str) -> bool:
    if (channel, thread) in ctx.threads:
        return False
    try:
        return not ctx.feedback.answered_in_thread(channel, thread)
    except Exception:
        log.exception("could not read the answer store")
        return False


def _quietly(call: Callable[..., Any], value: str, *, what: str) -> None:
    """A status or title is a nicety: if Slack refuses it, the answer still comes."""
    try:
        call(value)
    except Exception:
        log.warning("could not set the panel's %s", what, exc_info=True)


class PanelContexts(AssistantThreadContextStore):
    """Which channel each panel thread is viewing, kept in memory (a restart forgets it: the
    thread then searches everything until the teacher switches channels again)."""

    def __init__(self, ttl: float = 24 * 3600, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self.clock = clock
        self._lock = threading.Lock()
        self._contexts: dict[tuple[str, str], tuple[float, dict[str, str]]] = {}

    def save(self, *, channel_id: str, thread_ts: str, context: dict[str, str]) -> None:
        now = self.clock()
        with self._lock:
            self._contexts = {k: v for k, v in self._contexts.items() if now - v[0] < self.ttl}
            self._contexts[(channel_id, thread_ts)] = (now, dict(context or {}))

    def find(self, *, channel_id: str, thread_ts: str) -> AssistantThreadContext | None:
        with self._lock:
            found = self._contexts.get((channel_id, thread_ts))
        if found is None or self.clock() - found[0] >= self.ttl:
            return None
        return AssistantThreadContext(found[1])
