"""Slack conversations as the engine sees them: plain text, and a thread's history as
`[("user", text), ("assistant", text), ...]`, oldest first."""

from __future__ import annotations

import html
import re
from typing import TYPE_CHECKING, Any

from slack_sdk import WebClient

from bot.slack.views.answers import PLACEHOLDER_TEXT

if TYPE_CHECKING:
    from ingest.stores import FeedbackStore

MAX_HISTORY_TURNS = 12
MAX_TURN_CHARS = 2000
REPLIES_PAGE = 200

_USER = re.compile(r"<@([UW][A-Z0-9]+)(?:\|([^>]*))?>")
_CHANNEL = re.compile(r"<#(C[A-Z0-9]+)(?:\|([^>]*))?>")
_SPECIAL = re.compile(r"<!([^>|]+)(?:\|([^>]*))?>")
_LINK = re.compile(r"<((?:https?|mailto|tel):[^>|]+)(?:\|([^>]*))?>")
_ANY = re.compile(r"<([^>]*)>")

_CHATTER = re.compile(
    r"^(?:(?:thanks?(?: you)?|thank u|thx|ty|ok(?:ay)?|k|cool|great|nice|perfect|awesome|got it|"
    r"sounds good|will do|yes|no|yep|nope|lol|haha|\+1)[\s!.,]*)+$",
    re.IGNORECASE,
)
_EMOJI_ONLY = re.compile(r"^(?:\s*:[a-z0-9_+\-']+:\s*)+$")


def clean_text(text: str | None, bot_user_id: str | None = None) -> str:
    """Slack's message markup turned into the plain text a person typed: the bot's own
    mention removed, other mentions, channels and links reduced to their labels,
    `@here`-style broadcasts dropped, `&amp;`/`&lt;`/`&gt;` unescaped, whitespace collapsed."""
    if not text:
        return ""

    def user(m: re.Match[str]) -> str:
        if bot_user_id and m.group(1) == bot_user_id:
            return " "
        return "@" + m.group(2) if m.group(2) else "@someone"

    def special(m: re.Match[str]) -> str:
        name, label = m.group(1), m.group(2)
        if name.startswith("subteam^"):
            return label or "@group"
        if name.startswith("date^"):
            return label or ""
        return " "  # <!here>, <!channel>, <!everyone>

    out = _USER.sub(user, text)
    out = _CHANNEL.sub(lambda m: "#" + (m.group(2) or "channel"), out)
    out = _SPECIAL.sub(special, out)
    out = _LINK.sub(lambda m: m.group(2) or m.group(1), out)
    out = _ANY.sub(lambda m: m.group(1).split("|")[-1], out)
    out = html.unescape(out) if "&" in out else out
    return " ".join(out.split())


def mentions(text: str | None, user_id: str | None) -> bool:
    """Does Slack markup `text` mention `user_id`?"""
    return bool(text and user_id and re.search(rf"<@{re.escape(user_id)}(?:\|[^>]*)?>", text))


def addressed_to_someone_else(text: str | None, bot_user_id: str | None) -> bool:
    """A thread reply that opens by mentioning another person is meant for them."""
    m = re.match(r"\s*<@([UW][A-Z0-9]+)", text or "")
    return bool(m and m.group(1) != bot_user_id)


def is_chatter(question: str) -> bool:
    """Thanks, ok, 👍 — replies in a thread that are not questions to answer."""
    q = question.strip()
    no_words = not any(ch.isalnum() for ch in q)  # "👍", "!!", "?"
    return no_words or bool(_CHATTER.match(q) or _EMOJI_ONLY.match(q))


def is_bot_thread(
    store: FeedbackStore,
    channel: str,
    thread_ts: str,
    *,
    parent_user_id: str | None = None,
    bot_user_id: str | None = None,
) -> bool:
    """Did the bot answer in this thread? The answers it remembers in the data dir say so;
    a thread started by the bot's own message counts too. (No Web API call: this runs for
    every threaded message in every channel the bot is in.)"""
    if bot_user_id and parent_user_id == bot_user_id:
        return True
    return store.answered_in_thread(channel, thread_ts)


def _is_own(message: dict[str, Any], bot_user_id: str | None, bot_id: str | None) -> bool:
    return bool(
        (bot_user_id and message.get("user") == bot_user_id) or (bot_id and message.get("bot_id") == bot_id)
    )


def _ts(ts: str) -> float:
    try:
        return float(ts)
    except ValueError:
        return 0.0


def thread_history(
    client: WebClient,
    channel: str,
    thread_ts: str,
    *,
    bot_user_id: str | None,
    bot_id: str | None = None,
    exclude_ts: str | None = None,
    store: FeedbackStore | None = None,
    max_turns: int = MAX_HISTORY_TURNS,
) -> list[tuple[str, str]]:
    """The thread so far, oldest first, as (role, text): people are "user", the bot is
    "assistant" (its stored answer text when it has one), other bots are left out, and so is
    the message being answered (`exclude_ts`) and any placeholder still in flight."""
    resp = client.conversations_replies(channel=channel, ts=thread_ts, limit=REPLIES_PAGE)
    messages: list[dict[str, Any]] = list(resp.get("messages") or [])
    own_ts = [m["ts"] for m in messages if _is_own(m, bot_user_id, bot_id) and m.get("ts")]
    stored = store.answers_by_message(channel, own_ts) if store and own_ts else {}

    turns: list[tuple[str, str]] = []
    for m in messages:
        ts = m.get("ts")
        if exclude_ts and ts and _ts(ts) >= _ts(exclude_ts):
            continue  # the message being answered, and anything said after it
        if m.get("subtype") not in (None, "thread_broadcast", "file_share"):
            continue
        if _is_own(m, bot_user_id, bot_id):
            if ts in stored:
                text = stored[ts].answer.text
            else:
                text = clean_text(m.get("text"), bot_user_id)
                if not text or text == PLACEHOLDER_TEXT:
                    continue
            role = "assistant"
        elif m.get("bot_id") or m.get("subtype") == "bot_message":
            continue
        else:
            text = clean_text(m.get("text"), bot_user_id)
            role = "user"
        text = text.strip()
        if text:
            turns.append((role, text[:MAX_TURN_CHARS]))
    return turns[-max_turns:]
