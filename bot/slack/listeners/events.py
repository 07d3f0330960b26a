"""Events: `@Guidepost` mentions, direct messages, follow-ups in threads the bot answered, files
shared in a DM (added to the knowledge base when a coach shares them: see `curation`), and the
App Home tab.

Bolt acknowledges events itself before these run. Which message gets answered where:
- a mention in a channel: in the thread of the question (the thread so far is context);
- a DM: in the DM (in its thread, with that thread as context, when the DM is a thread reply);
- a reply without a mention in a thread the bot answered: in that thread, with the thread as
  context — unless it is chatter ("thanks!") or opens by mentioning someone else.
A mention also arrives as a `message` event; that copy is left to the mention handler (and
the per-message claim in `answering` would stop a second answer anyway).
"""

from __future__ import annotations

from typing import Any

from slack_bolt import App, BoltContext

from bot.slack.conversation import addressed_to_someone_else, clean_text, is_bot_thread, is_chatter, mentions
from bot.slack.dedupe import retry_num
from bot.slack.home import publish_home
from bot.slack.listeners.answering import BotContext, BotIdentity, MessageAsk, answer_in_conversation
from bot.slack.listeners.curation import handle_dm_files

# message subtypes that are a person writing (file_share: a message with a file attached)
_PERSON_SUBTYPES = (None, "thread_broadcast", "file_share")


def identity(context: BoltContext) -> BotIdentity:
    return BotIdentity(user_id=context.bot_user_id, bot_id=context.bot_id)


def handle_mention(ctx: BotContext, event: dict[str, Any], bot: BotIdentity, retry: int = 0) -> None:
    channel = event.get("channel") or ""
    if not channel or channel.startswith("D") or event.get("channel_type") == "im":
        return  # DMs are answered by the message handler
    if event.get("bot_id"):
        return
    ts = event["ts"]
    thread_ts = event.get("thread_ts")
    in_thread = bool(thread_ts and thread_ts != ts)
    ask = MessageAsk(
        question=clean_text(event.get("text"), bot.user_id),
        user=event.get("user"),
        channel=channel,
        message_ts=ts,
        reply_thread_ts=thread_ts or ts,
        history_thread_ts=thread_ts if in_thread else None,
        surface="mention",
        retry=retry,
    )
    answer_in_conversation(ctx, ask, bot)


def handle_message(ctx: BotContext, event: dict[str, Any], bot: BotIdentity, retry: int = 0) -> None:
    if event.get("subtype") not in _PERSON_SUBTYPES or event.get("bot_id"):
        return
    user = event.get("user")
    if not user or user == bot.user_id:
        return
    channel = event.get("channel") or ""
    text = event.get("text") or ""
    ts = event["ts"]
    thread_ts = event.get("thread_ts")
    in_thread = bool(thread_ts and thread_ts != ts)
    question = clean_text(text, bot.user_id)

    if event.get("channel_type") == "im":
        if event.get("files"):
            handle_dm_files(ctx, event, bot, retry)
            return
        if question and is_chatter(question):
            return
        surface = "dm"
    else:
        # In channels: only follow-ups without a mention (mentions come as app_mention).
        if not in_thread or mentions(text, bot.user_id) or addressed_to_someone_else(text, bot.user_id):
            return
        if is_chatter(question):
            return
        if (channel, thread_ts) not in ctx.threads and not is_bot_thread(
            ctx.store, channel, thread_ts, parent_user_id=event.get("parent_user_id"), bot_user_id=bot.user_id
        ):
            return
        surface = "followup"
    thread = thread_ts if in_thread else None
    ask = MessageAsk(
        question=question,
        user=user,
        channel=channel,
        message_ts=ts,
        reply_thread_ts=thread,
        history_thread_ts=thread,
        surface=surface,
        retry=retry,
    )
    answer_in_conversation(ctx, ask, bot)


def register(app: App, ctx: BotContext) -> None:
    @app.event("app_mention")
    def on_app_mention(event: dict[str, Any], context: BoltContext, request: Any) -> None:
        handle_mention(ctx, event, identity(context), retry_num(request.headers))

    @app.event("message")
    def on_message(event: dict[str, Any], context: BoltContext, request: Any) -> None:
        handle_message(ctx, event, identity(context), retry_num(request.headers))

    @app.event("app_home_opened")
    def on_app_home_opened(event: dict[str, Any]) -> None:
        if event.get("tab", "home") == "home" and event.get("user"):
            publish_home(ctx, event["user"])

    @app.event("file_shared")
    def on_file_shared() -> None:
        """Acknowledged only: a file shared in a DM also arrives as a message (with the text
        that carries its tags), and is handled there."""
