"""Coaches curate the knowledge base from Slack.

- A file shared with the bot in a DM (tags may be in the same message) is added.
- `/guidepost add [file link or id] [type=… grade=… subject=…]` adds a file: the one named, or
  the latest file the coach shared in that conversation.
- "Edit tags" (beside every added document) opens a modal; saving it re-indexes the document.
- `/guidepost sources [page]` lists the index (anyone); `/guidepost remove ID` removes a document.
- `/guidepost scope [type=… subject=… | clear]` shows or sets the channel's scope.

Adding, re-tagging, removing and scoping are for coaches (`ctx.coaches`); others get a polite
refusal naming who can help. Slash commands ack at once; files are fetched and indexed on
`ctx.ingest_pool`, and the result replaces the "working on it" message.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from slack_bolt import Ack, App
from slack_sdk.errors import SlackApiError

from bot.slack import blocks as B
from bot.slack.coaches import refusal
from bot.slack.conversation import clean_text, is_chatter
from bot.slack.listeners.answering import (
    BotContext,
    BotIdentity,
    MessageAsk,
    answer_in_conversation,
    post_in_conversation,
    post_response,
    reply_privately,
)
from bot.slack.tags import file_refs, has_tags, parse_scope, parse_tags
from ingest.domain import DOC_TYPES, Scope, Tags, normalize_subject, normalize_type, parse_grade
from ingest.errors import GuidepostError, InvalidTags, SourceNotFound
from ingest.library import Added

log = logging.getLogger("guidepost.slack")

MAX_FILES = 10  # files handled from one message
HISTORY_LOOKBACK = 100  # messages searched for the coach's latest file
TAGS_EXAMPLE = "`type: choice board, grade 5, subject math`"

ADD = "add documents to the knowledge base"
RETAG = "change a document's tags"
REMOVE = "remove documents from the knowledge base"
SCOPE = "change what a channel searches"


def _cmd(command: dict[str, Any]) -> str:
    return command.get("command") or "/guidepost"


def add_files(ctx: BotContext, file_ids: list[str], tags: Tags, user: str | None, channel: str | None) -> list[Added]:
    """Add each file (at most MAX_FILES; the others are reported, not silently dropped)."""
    results = [ctx.library.add_file(f, tags=tags, user=user, channel=channel) for f in file_ids[:MAX_FILES]]
    results += [Added(f, "failed", reason=f"I add at most {MAX_FILES} files at a time: share it again.")
                for f in file_ids[MAX_FILES:]]  # fmt: skip
    return results


def respond(ctx: BotContext, response_url: str, text: str, blocks: list[dict[str, Any]] | None = None,
            *, replace: bool = True) -> None:  # fmt: skip
    """Answer a slash command or a button privately (replacing the "working on it" message)."""
    payload = {"response_type": "ephemeral", "replace_original": replace, "text": text,
               "blocks": blocks or B.notice_blocks(text)}  # fmt: skip
    try:
        post_response(ctx, response_url, payload)
    except Exception:
        log.exception("could not answer through response_url")


# --- files shared in a DM --------------------------------------------------------------------


def handle_dm_files(ctx: BotContext, event: dict[str, Any], bot: BotIdentity, retry: int = 0) -> None:
    """A DM with files: a coach's files are added (the text gives their tags); anyone else is
    told who can add them, and a question in the text is still answered."""
    channel, ts, user = event.get("channel") or "", event["ts"], event.get("user")
    if not ctx.claims.add(("files", channel, ts)):
        return
    thread_ts = event.get("thread_ts")
    reply_thread = thread_ts if thread_ts and thread_ts != ts else None
    text = clean_text(event.get("text"), bot.user_id)
    file_ids = [f["id"] for f in event.get("files") or [] if isinstance(f, dict) and f.get("id")]

    if not ctx.coaches.is_coach(user):
        note = refusal(ADD, ctx.help_contact)
        post_in_conversation(ctx, channel, reply_thread, text=note, blocks=B.notice_blocks(note))
        if text and not has_tags(text) and not is_chatter(text):
            ask = MessageAsk(question=text, user=user, channel=channel, message_ts=ts, reply_thread_ts=reply_thread,
                             history_thread_ts=reply_thread, surface="dm", retry=retry)  # fmt: skip
            answer_in_conversation(ctx, ask, bot)
        return
    try:
        tags = parse_tags(text)
    except InvalidTags as e:
        note = f":warning: I didn't add the file: {B.escape_mrkdwn(str(e))}. Share it again with tags such as {TAGS_EXAMPLE}."
        post_in_conversation(ctx, channel, reply_thread, text=note, blocks=B.notice_blocks(note))
        return
    names = ", ".join(f.get("name") or f["id"] for f in event.get("files") or [] if isinstance(f, dict) and f.get("id"))
    working = f":hourglass_flowing_sand: Adding {B.truncate(B.escape_mrkdwn(names), 500)} to the knowledge base…"
    placeholder = post_in_conversation(ctx, channel, reply_thread, text=working, blocks=[B.context(working)])

    def finish() -> None:
        results = add_files(ctx, file_ids, tags, user, channel)
        post_in_conversation(ctx, channel, reply_thread, text=B.added_text(results), blocks=B.added_blocks(results),
                             replace_ts=placeholder)  # fmt: skip

    ctx.submit_ingest(finish)


# --- /guidepost add --------------------------------------------------------------------------


def add_command(ctx: BotContext, ack: Ack, command: dict[str, Any], rest: str) -> None:
    ack(response_type="ephemeral", text="Looking for the file…", blocks=[B.context(":hourglass_flowing_sand: Looking for the file…")])
    url, user, channel = command["response_url"], command.get("user_id"), command.get("channel_id")
    if not ctx.coaches.is_coach(user):
        respond(ctx, url, refusal(ADD, ctx.help_contact))
        return
    ids, text = file_refs(rest)
    try:
        tags = parse_tags(text)
    except InvalidTags as e:
        respond(ctx, url, f":warning: {B.escape_mrkdwn(str(e))}. Tags look like `type=lesson_template grade=3-5 subject=ela`.")
        return
    if not ids:
        try:
            ids = latest_files(ctx, channel, user)
        except SlackApiError as e:
            error = e.response.get("error")
            log.info("conversations.history in %s failed: %s", channel, error)
            respond(ctx, url, "I can't read this conversation to find your file"
                    f" ({B.escape_mrkdwn(str(error))}). Invite me here (`/invite @Guidepost`), DM me the file, or pass "
                    f"its link: `{_cmd(command)} add <file link>`.")  # fmt: skip
            return
    if not ids:
        respond(ctx, url, "I couldn't find a file you shared here recently. Share the file in this conversation first, "
                f"or pass its link: `{_cmd(command)} add <file link> type=…`.")  # fmt: skip
        return
    respond(ctx, url, "Adding the file…", [B.context(":hourglass_flowing_sand: Adding the file to the knowledge base…")])

    def finish() -> None:
        results = add_files(ctx, ids, tags, user, channel)
        respond(ctx, url, B.added_text(results), B.added_blocks(results))

    ctx.submit_ingest(finish)


def latest_files(ctx: BotContext, channel: str | None, user: str | None) -> list[str]:
    """The files of the latest message with files that `user` posted in `channel`."""
    if not channel or not user:
        return []
    resp = ctx.client.conversations_history(channel=channel, limit=HISTORY_LOOKBACK)
    for message in resp.get("messages") or []:
        if message.get("user") == user and message.get("files"):
            return [f["id"] for f in message["files"] if isinstance(f, dict) and f.get("id")]
    return []


# --- Edit tags -------------------------------------------------------------------------------


def open_tags_modal(ctx: BotContext, body: dict[str, Any]) -> None:
    user = (body.get("user") or {}).get("id")
    doc_id = ((body.get("actions") or [{}])[0]).get("value") or ""
    if not ctx.coaches.is_coach(user):
        reply_privately(ctx, body, refusal(RETAG, ctx.help_contact))
        return
    try:
        doc = ctx.library.find(doc_id)
    except SourceNotFound:
        reply_privately(ctx, body, "That document is no longer in the knowledge base.")
        return
    meta = json.dumps({"doc": doc.id, "response_url": body.get("response_url"),
                       "channel": (body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id")})  # fmt: skip
    view = B.tags_modal(title=doc.title, doc_type=doc.type, grade=doc.grade or None, subject=doc.subject or None,
                        metadata=meta, types=DOC_TYPES)  # fmt: skip
    try:
        ctx.client.views_open(trigger_id=body["trigger_id"], view=view)
    except SlackApiError as e:  # most often expired_trigger_id: Slack allows 3 seconds
        log.warning("could not open the tags modal: %s", e.response.get("error"))
        reply_privately(ctx, body, "Sorry, that took too long. Press *Edit tags* again.")


def read_tags_form(values: dict[str, Any]) -> tuple[Tags | None, dict[str, str]]:
    """The tags in a submitted modal, or the errors to show beside its fields."""

    def value(block: str) -> str | None:
        element = (values.get(block) or {}).get("value") or {}
        if element.get("type") == "static_select" or "selected_option" in element:
            return ((element.get("selected_option") or {}).get("value")) or None
        return (element.get("value") or "").strip() or None

    raw = {name: value(name) for name in B.TAGS_FIELDS}
    errors: dict[str, str] = {}
    checks = {"type": normalize_type, "grade": parse_grade, "subject": normalize_subject}
    for name, check in checks.items():
        try:
            check(raw[name])
        except InvalidTags as e:
            errors[name] = B.truncate(str(e), 150)
    if errors:
        return None, errors
    return Tags.parse(type=raw["type"], grade=raw["grade"], subject=raw["subject"]), {}


def save_tags(ctx: BotContext, ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
    tags, errors = read_tags_form((view.get("state") or {}).get("values") or {})
    if errors:
        ack(response_action="errors", errors=errors)
        return
    ack()
    user = (body.get("user") or {}).get("id")
    try:
        meta = json.loads(view.get("private_metadata") or "{}")
    except ValueError:
        meta = {}
    target = {"response_url": meta.get("response_url"), "channel": {"id": meta.get("channel")}, "user": {"id": user}}
    if not ctx.coaches.is_coach(user):
        reply_privately(ctx, target, refusal(RETAG, ctx.help_contact))
        return

    def finish() -> None:
        result = ctx.library.retag(meta.get("doc") or "", tags or Tags(), user=user)
        text, blocks = B.added_text([result]), B.added_blocks([result])
        if meta.get("response_url"):
            respond(ctx, meta["response_url"], text, blocks)
        else:
            reply_privately(ctx, target, text, blocks)

    ctx.submit_ingest(finish)


# --- /guidepost sources, remove --------------------------------------------------------------


def sources_page(ctx: BotContext, page: int, command: str = "/guidepost") -> tuple[str, list[dict[str, Any]]]:
    docs = ctx.library.sources()
    pages = max(1, -(-len(docs) // B.SOURCES_PAGE_SIZE))
    page = min(max(1, page), pages)
    start = (page - 1) * B.SOURCES_PAGE_SIZE
    blocks = B.sources_blocks(docs[start : start + B.SOURCES_PAGE_SIZE], page=page, total=len(docs), command=command)
    return f"{len(docs)} documents in the knowledge base", blocks


def sources_command(ctx: BotContext, ack: Ack, command: dict[str, Any], rest: str) -> None:
    word = rest.strip().split()[0] if rest.strip() else "1"
    page = int(word) if word.isdigit() else 1
    try:
        text, blocks = sources_page(ctx, page, _cmd(command))
    except GuidepostError as e:
        text, blocks = str(e), B.error_blocks(str(e), help_contact=ctx.help_contact)
    except Exception:
        log.exception("could not list the sources")
        text, blocks = B.error_text(), B.error_blocks(help_contact=ctx.help_contact)
    ack(response_type="ephemeral", text=text, blocks=blocks)


def on_sources_page(ctx: BotContext, body: dict[str, Any]) -> None:
    value = ((body.get("actions") or [{}])[0]).get("value") or "1"
    text, blocks = sources_page(ctx, int(value) if value.isdigit() else 1)
    if body.get("response_url"):
        respond(ctx, body["response_url"], text, blocks)


def remove_command(ctx: BotContext, ack: Ack, command: dict[str, Any], rest: str) -> None:
    ack()
    url, user = command["response_url"], command.get("user_id")
    if not ctx.coaches.is_coach(user):
        respond(ctx, url, refusal(REMOVE, ctx.help_contact))
        return
    ref = rest.strip().strip("`")
    if not ref:
        respond(ctx, url, f"Which one? `{_cmd(command)} remove ID` — `{_cmd(command)} sources` lists the ids.")
        return
    try:
        doc = ctx.library.remove(ref)
    except SourceNotFound:
        respond(ctx, url, f"No document in the knowledge base has the id `{B.escape_mrkdwn(ref)}`. "
                f"`{_cmd(command)} sources` lists the ids.")  # fmt: skip
        return
    except Exception:
        log.exception("could not remove %s", ref)
        respond(ctx, url, B.error_text(), B.error_blocks(help_contact=ctx.help_contact))
        return
    log.info("%s removed %s (%s)", user, doc.id, doc.title)
    note = ""
    if doc.path:
        note = " It was added from a folder: delete the file there too, or the next ingest will add it back."
    respond(ctx, url, f":wastebasket: Removed *{B.escape_mrkdwn(doc.title)}* (`{doc.id}`); "
            f"answers no longer cite it.{note}")  # fmt: skip


# --- /guidepost scope ------------------------------------------------------------------------


def _scope_text(scope: Scope | None, command: str) -> str:
    if scope is None:
        return (f"This channel searches the whole knowledge base. Coaches can limit it: "
                f"`{command} scope type=choice_board,lesson_template subject=math`.")  # fmt: skip
    note = " (documents without a subject tag are included)" if scope.subjects else ""
    return (f"This channel searches only {B.escape_mrkdwn(scope.label())}{note}. "
            f"`{command} scope clear` lifts it.")  # fmt: skip


def scope_command(ctx: BotContext, ack: Ack, command: dict[str, Any], rest: str) -> None:
    channel, cmd = command.get("channel_id") or "", _cmd(command)
    if not rest.strip():
        ack(response_type="ephemeral", text=_scope_text(ctx.scopes.get(channel), cmd))
        return
    ack()
    url, user = command["response_url"], command.get("user_id")
    if not ctx.coaches.is_coach(user):
        respond(ctx, url, refusal(SCOPE, ctx.help_contact))
        return
    if rest.strip().lower() in ("clear", "none", "off", "all"):
        ctx.scopes.clear(channel)
        log.info("%s cleared the scope of %s", user, channel)
        respond(ctx, url, "Done: " + _scope_text(None, cmd))
        return
    try:
        scope = parse_scope(rest)
    except InvalidTags as e:
        respond(ctx, url, f":warning: {B.escape_mrkdwn(str(e))}.")
        return
    ctx.scopes.set(channel, scope)
    log.info("%s scoped %s to %s", user, channel, scope.to_dict())
    respond(ctx, url, "Done: " + _scope_text(scope, cmd))


# --- wiring ----------------------------------------------------------------------------------


def register(app: App, ctx: BotContext) -> None:
    @app.action(B.ACTION_EDIT_TAGS)
    def on_edit_tags(ack: Ack, body: dict[str, Any]) -> None:
        ack()
        open_tags_modal(ctx, body)

    @app.view(B.TAGS_MODAL)
    def on_tags_submitted(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        save_tags(ctx, ack, body, view)

    @app.action(B.ACTION_SOURCES_PAGE)
    def on_page(ack: Ack, body: dict[str, Any]) -> None:
        ack()
        on_sources_page(ctx, body)
