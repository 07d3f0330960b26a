"""Which message gets answered where (events arrive acknowledged by Bolt already):

- a mention in a channel: in the thread of the question (the thread so far is context);
- a DM: in the DM (in its thread, with that thread as context, when the DM is a thread reply);
  a DM with files goes to curation (a coach's files are added);
- a reply without a mention in a thread the bot answered: in that thread, with the thread as
  context — unless it is chatter ("thanks!") or opens by mentioning someone else.

A mention also arrives as a `message` event; that copy is left to the mention (and the
per-message claim in `answering` would stop a second answer anyway).
"""

from __future__ import annotations

from bot.slack.context import BotContext
from bot.slack.conversation import addressed_to_someone_else, is_bot_thread, is_chatter, mentions
from bot.slack.flows.answering import MessageAsk, answer_in_conversation
from bot.slack.flows.curation import files_in_dm
from bot.slack.flows.escalation import coach_replied
from bot.slack.payloads import BotIdentity, MessageEvent

# message subtypes that are a person writing (file_share: a message with a file attached)
_PERSON_SUBTYPES = (None, "thread_broadcast", "file_share")


def mentioned(ctx: BotContext, message: MessageEvent, bot: BotIdentity, retry: int = 0) -> None:
    if not message.channel or message.channel.startswith("D") or message.is_dm:
        return  # DMs are answered as messages
    if message.bot_id:
        return
    answer_in_conversation(ctx, MessageAsk.of(message, bot, "mention", retry), bot)


def message_posted(ctx: BotContext, message: MessageEvent, bot: BotIdentity, retry: int = 0) -> None:
    if message.subtype not in _PERSON_SUBTYPES or message.bot_id:
        return
    if not message.user or message.user == bot.user_id:
        return
    if coach_replied(ctx, message):  # a coach answering a teacher's escalated question
        return
    ask = MessageAsk.of(message, bot, "dm" if message.is_dm else "followup", retry)
    if message.is_dm:
        if message.files:
            files_in_dm(ctx, message, bot, retry)
            return
        if ask.question and is_chatter(ask.question):
            return
    else:
        # In channels: only follow-ups without a mention (mentions come as app_mention).
        text = message.text
        if not message.in_thread or mentions(text, bot.user_id) or addressed_to_someone_else(text, bot.user_id):
            return
        if is_chatter(ask.question):
            return
        thread = message.thread_ts or ""
        if (message.channel, thread) not in ctx.threads and not is_bot_thread(
            ctx.feedback, message.channel, thread, parent_user_id=message.parent_user_id, bot_user_id=bot.user_id
        ):
            return
    answer_in_conversation(ctx, ask, bot)
