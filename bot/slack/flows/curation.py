"""Coaches curate the knowledge base from Slack, through the one library service
(`ingest.library.Library`, `ctx.library`):

- a file shared with the bot in a DM (tags may be in the same message) is added;
- `/guidepost add [file link or id] [type=… grade=… subject=…]` adds a file: the one named, or
  the latest file the coach shared in that conversation;
- "Edit tags" (beside every added document) opens a modal; saving it re-indexes the document;
- `/guidepost sources [page]` lists the index (anyone); `/guidepost remove ID` removes a document.

Adding, re-tagging and removing are for coaches (`ctx.coaches`); others get a polite refusal
naming who can help. Slash commands ack at once; files are fetched and indexed on
`ctx.ingest_pool`, and the result replaces the "working on it" message. A Slack file is indexed
with `source_key="slack:<id>"` (sharing it again is recognised) and its permalink as `url`
(citations link to it in Slack).
"""

from __future__ import annotations

import json
import logging
import re
from datetime import datetime, timezone
from typing import Any

from slack_bolt import Ack
from slack_sdk.errors import SlackApiError

from bot.slack.context import BotContext
from bot.slack.conversation import clean_text, is_chatter
from bot.slack.flows.answering import MessageAsk, answer_in_conversation
from bot.slack.files import FileFetchError, SlackFile
from bot.slack.ids import TAGS_FIELDS
from bot.slack.messaging import post_in_conversation, reply_privately
from bot.slack.payloads import BlockAction, BotIdentity, MessageEvent, Recipient, SlashCommand, ViewSubmission
from bot.slack.tags import file_refs, has_tags, parse_tags
from bot.slack.views.answers import error_blocks, error_text
from bot.slack.views.kit import context, escape_mrkdwn, notice_blocks, truncate
from bot.slack.views.library import SOURCES_PAGE_SIZE, added_blocks, added_text, refusal, sources_blocks, tags_modal
from ingest.domain import TAGGABLE_TYPES, Tags, normalize_subject, normalize_type, parse_grade
from ingest.domain.tags import parse_review_by
from ingest.errors import GuidepostError, InvalidTags, SourceNotFound
from ingest.library import PERSONAL_DATA_OVERRIDE, UNEXPECTED_ADD, Added, Upload
from ingest.stores import SourceInfo

log = logging.getLogger("guidepost.slack")

MAX_FILES = 10  # files handled from one message
HISTORY_LOOKBACK = 100  # messages searched for the coach's latest file
TAGS_EXAMPLE = "`type: choice board, grade 5, subject math`"
SOURCE_PREFIX = "slack:"

ADD = "add documents to the knowledge base"
RETAG = "change a document's tags"
REMOVE = "remove documents from the knowledge base"
REFRESH = "fetch pages in the knowledge base again"


# --- Slack files in the library --------------------------------------------------------------


def source_key(file_id: str) -> str:
    return SOURCE_PREFIX + file_id


def slack_file_id(info: SourceInfo) -> str | None:
    """The Slack file a document came from, or None (a folder ingested from the command line)."""
    key = info.source_key or ""
    return key[len(SOURCE_PREFIX) :] if key.startswith(SOURCE_PREFIX) else None


def slack_origin(info: SourceInfo) -> dict[str, Any]:
    """What the library keeps about a document's Slack file (see `upload`), or {}."""
    slack = info.extra.get("slack") if info.extra else None
    return slack if isinstance(slack, dict) else {}


def stored_tags(info: SourceInfo) -> Tags:
    """The tags a document was indexed with (as given, so a re-share computes the same version)."""
    given = slack_origin(info).get("tags")
    if isinstance(given, dict):
        return Tags(given.get("type"), given.get("grade"), given.get("subject"), given.get("review_by"))
    return Tags(info.type if info.type != "other" else None, info.grade or None, info.subject or None, info.review_by)


def upload(f: SlackFile, data: bytes, tags: Tags, *, user: str | None, channel: str | None,
           retagged_by: str | None = None) -> Upload:  # fmt: skip
    """A Slack file as the library takes it: who added it, where, and the tags as given."""
    slack: dict[str, Any] = {
        "file_id": f.id,
        "name": f.name,
        "added_by": user,
        "channel": channel,
        "permalink": f.permalink,
        "tags": {"type": tags.type, "grade": tags.grade, "subject": tags.subject, "review_by": tags.review_by},
    }
    if retagged_by:
        slack["tagged_by"] = retagged_by
    return Upload(data, f.name, source_key(f.id), url=f.permalink, extra={"slack": slack})


def add_file(ctx: BotContext, file_id: str, tags: Tags, *, user: str | None, channel: str | None,
             anyway: dict[str, Any] | None = None) -> Added:  # fmt: skip
    """Fetch the Slack file `file_id` and add it. `tags` fill in over the tags it was indexed
    with before (so sharing it again without tags changes nothing). It is refused when it looks
    like it holds student personal data, unless `anyway` (who chose to index it anyway, and when:
    kept in the document's extra)."""
    name = file_id
    try:
        f = ctx.files.info(file_id)
        name = f.name
        ctx.files.check(f)
        data = ctx.files.download(f)
    except GuidepostError as e:
        return Added.failed(name, str(e))
    except Exception:
        log.exception("could not fetch Slack file %s", file_id)
        return Added.failed(name, UNEXPECTED_ADD)
    before = ctx.library.existing(source_key(file_id))
    given = tags.merged_over(stored_tags(before)) if before else tags
    item = upload(f, data, given, user=user, channel=channel)
    if anyway:
        item.extra[PERSONAL_DATA_OVERRIDE] = anyway
    return ctx.library.add(item, given, allow_personal_data=bool(anyway))


def retag(ctx: BotContext, doc_id: str, tags: Tags, *, user: str | None) -> Added:
    """Index a document that came from Slack again, with exactly `tags`."""

    def fetch_again(doc: SourceInfo) -> Upload:
        file_id = slack_file_id(doc)
        if file_id is None:
            raise FileFetchError(f"{doc.title} was not added from Slack; change its tags where it was added (a tags file beside it).")
        f = ctx.files.info(file_id)
        ctx.files.check(f)
        origin = slack_origin(doc)
        return upload(f, ctx.files.download(f), tags, user=origin.get("added_by") or user, channel=origin.get("channel"),
                      retagged_by=user)  # fmt: skip

    return ctx.library.retag(doc_id, tags, fetch_again)


def add_files(ctx: BotContext, file_ids: list[str], tags: Tags, user: str | None, channel: str | None) -> list[Added]:
    """Add each file (at most MAX_FILES; the others are reported, not silently dropped)."""
    results = [add_file(ctx, f, tags, user=user, channel=channel) for f in file_ids[:MAX_FILES]]
    results += [Added.failed(f, f"I add at most {MAX_FILES} files at a time: share it again.") for f in file_ids[MAX_FILES:]]
    return results


# --- files shared in a DM --------------------------------------------------------------------


def files_in_dm(ctx: BotContext, message: MessageEvent, bot: BotIdentity, retry: int = 0) -> None:
    """A DM with files: a coach's files are added (the text gives their tags); anyone else is
    told who can add them, and a question in the text is still answered."""
    if not ctx.claims.add(("files", message.channel, message.ts)):
        return
    reply_thread = message.thread_ts if message.in_thread else None
    text = clean_text(message.text, bot.user_id)

    def say(note: str, blocks: list[dict[str, Any]] | None = None, replace_ts: str | None = None) -> str | None:
        return post_in_conversation(ctx, message.channel, reply_thread, text=note, blocks=blocks or notice_blocks(note),
                                    replace_ts=replace_ts)  # fmt: skip

    if not ctx.coaches.is_coach(message.user):
        say(refusal(ADD, ctx.help_contact))
        if text and not has_tags(text) and not is_chatter(text):
            answer_in_conversation(ctx, MessageAsk.of(message, bot, "dm", retry), bot)
        return
    try:
        tags = parse_tags(text)
    except InvalidTags as e:
        say(f":warning: I didn't add the file: {escape_mrkdwn(str(e))}. Share it again with tags such as {TAGS_EXAMPLE}.")
        return
    names = ", ".join(f.name for f in message.files)
    working = f":hourglass_flowing_sand: Adding {truncate(escape_mrkdwn(names), 500)} to the knowledge base…"
    placeholder = say(working, [context(working)])

    def finish() -> None:
        results = add_files(ctx, [f.id for f in message.files], tags, message.user, message.channel)
        say(added_text(results), added_blocks(results), replace_ts=placeholder)

    ctx.submit_ingest(finish)


# --- /guidepost add --------------------------------------------------------------------------


_WEB_LINK = re.compile(r"<(https?://[^|>\s]+)(?:\|[^>]*)?>|(https?://[^\s<>]+)")
_SLACK_FILE_LINK = re.compile(r"https?://[^\s/]*slack\.com/files(?:-pri)?/")


def web_links(text: str) -> tuple[list[str], str]:
    """The web page links in `text` (Slack's `<url|label>` or bare; Slack file links are not
    web pages), and the text without them."""
    links: list[str] = []

    def take(m: re.Match[str]) -> str:
        link = m.group(1) or m.group(2)
        if _SLACK_FILE_LINK.match(link):
            return m.group(0)
        links.append(link.replace("&amp;", "&"))
        return " "

    rest = _WEB_LINK.sub(take, text)
    return list(dict.fromkeys(links)), " ".join(rest.split())


def _coach_tags(ctx: BotContext, cmd: SlashCommand, text: str, example: str) -> Tags | None:
    """The tags of a coach's `/guidepost add`; None, after telling the asker why, when the asker
    is not a coach or the tags do not parse."""
    if not ctx.coaches.is_coach(cmd.user):
        reply_privately(ctx, cmd.recipient, refusal(ADD, ctx.help_contact), replace=True)
        return None
    try:
        return parse_tags(text)
    except InvalidTags as e:
        reply_privately(ctx, cmd.recipient, f":warning: {escape_mrkdwn(str(e))}. Tags look like `{example}`.", replace=True)
        return None


def add_command(ctx: BotContext, ack: Ack, cmd: SlashCommand, rest: str) -> None:
    links, rest = web_links(rest)
    if links:
        add_links_command(ctx, ack, cmd, links, rest)
        return
    ack(response_type="ephemeral", text="Looking for the file…", blocks=[context(":hourglass_flowing_sand: Looking for the file…")])
    to = cmd.recipient
    ids, text = file_refs(rest)
    tags = _coach_tags(ctx, cmd, text, "type=lesson_template grade=3-5 subject=ela")
    if tags is None:
        return
    if not ids:
        try:
            ids = latest_files(ctx, cmd.channel, cmd.user)
        except SlackApiError as e:
            error = e.response.get("error")
            log.info("conversations.history in %s failed: %s", cmd.channel, error)
            reply_privately(ctx, to, "I can't read this conversation to find your file"
                            f" ({escape_mrkdwn(str(error))}). Invite me here (`/invite @Guidepost`), DM me the file, or pass "
                            f"its link: `{cmd.command} add <file link>`.", replace=True)  # fmt: skip
            return
    if not ids:
        reply_privately(ctx, to, "I couldn't find a file you shared here recently. Share the file in this conversation first, "
                        f"or pass its link: `{cmd.command} add <file link> type=…`.", replace=True)  # fmt: skip
        return
    reply_privately(ctx, to, "Adding the file…", [context(":hourglass_flowing_sand: Adding the file to the knowledge base…")],
                    replace=True)  # fmt: skip

    def finish() -> None:
        results = add_files(ctx, ids, tags, cmd.user, cmd.channel)
        reply_privately(ctx, to, added_text(results), added_blocks(results), replace=True)

    ctx.submit_ingest(finish)


def add_links_command(ctx: BotContext, ack: Ack, cmd: SlashCommand, links: list[str], text: str) -> None:
    """`/guidepost add https://… [tags]`: fetch each page and index its main text; answers cite
    the page's address."""
    working = f"Fetching {'the page' if len(links) == 1 else f'{len(links)} pages'}…"
    ack(response_type="ephemeral", text=working, blocks=[context(f":hourglass_flowing_sand: {working}")])
    to = cmd.recipient
    tags = _coach_tags(ctx, cmd, text, "type=guide grade=3-5 subject=ela")
    if tags is None:
        return

    def finish() -> None:
        extra = {"slack": {"added_by": cmd.user, "channel": cmd.channel}}
        results = [ctx.library.add_url(link, tags, extra=extra) for link in links[:MAX_FILES]]
        results += [Added.failed(link, f"I add at most {MAX_FILES} pages at a time: add it again.") for link in links[MAX_FILES:]]
        reply_privately(ctx, to, added_text(results), added_blocks(results, editable=False), replace=True)

    ctx.submit_ingest(finish)


def refresh_command(ctx: BotContext, ack: Ack, cmd: SlashCommand, rest: str) -> None:
    """`/guidepost refresh [ID…]` (coaches): fetch pages added from a link again and index again
    only those that changed."""
    ack(response_type="ephemeral", text="Fetching the pages again…", blocks=[context(":hourglass_flowing_sand: Fetching the pages again…")])
    to = cmd.recipient
    if not ctx.coaches.is_coach(cmd.user):
        reply_privately(ctx, to, refusal(REFRESH, ctx.help_contact), replace=True)
        return
    refs = [r.strip("`") for r in rest.split()]

    def finish() -> None:
        results = ctx.library.refresh(refs)
        if not results:
            reply_privately(ctx, to, "No document was added from a link, so there is nothing to fetch again. "
                            f"Add a page with `{cmd.command} add https://…`.", replace=True)  # fmt: skip
            return
        reply_privately(ctx, to, added_text(results), added_blocks(results, editable=False), replace=True)

    ctx.submit_ingest(finish)


def latest_files(ctx: BotContext, channel: str | None, user: str | None) -> list[str]:
    """The files of the latest message with files that `user` posted in `channel`."""
    if not channel or not user:
        return []
    resp = ctx.client.conversations_history(channel=channel, limit=HISTORY_LOOKBACK)
    for m in resp.get("messages") or []:
        message = MessageEvent.parse(m)
        if message.user == user and message.files:
            return [f.id for f in message.files]
    return []


# --- a file refused for student personal data: Index anyway / Cancel -------------------------


def index_anyway(ctx: BotContext, action: BlockAction) -> None:
    """The coach pressed "Index anyway": fetch the file again and index it, recording who chose
    to and when."""
    if not ctx.coaches.is_coach(action.user):
        reply_privately(ctx, action.recipient, refusal(ADD, ctx.help_contact))
        return
    try:
        value = json.loads(action.value)
        key, given = str(value["key"]), value.get("tags") or {}
        tags = Tags.parse(type=given.get("type"), grade=given.get("grade"), subject=given.get("subject"))
    except (ValueError, KeyError, TypeError, GuidepostError):
        reply_privately(ctx, action.recipient, "That button is out of date: share the file again.")
        return
    if not key.startswith((SOURCE_PREFIX, "http://", "https://")):
        reply_privately(ctx, action.recipient, "Only files shared in Slack and pages can be indexed from here; "
                        "from the command line use `guidepost ingest --allow-personal-data`.")  # fmt: skip
        return
    anyway = {"by": action.user, "at": datetime.now(timezone.utc).isoformat(timespec="seconds")}
    reply_privately(ctx, action.recipient, "Indexing it anyway…", [context(":hourglass_flowing_sand: Indexing it anyway…")],
                    replace=True)  # fmt: skip

    def finish() -> None:
        if key.startswith(SOURCE_PREFIX):
            result = add_file(ctx, key[len(SOURCE_PREFIX) :], tags, user=action.user, channel=action.channel, anyway=anyway)
        else:
            extra = {"slack": {"added_by": action.user, "channel": action.channel}, PERSONAL_DATA_OVERRIDE: anyway}
            result = ctx.library.add_url(key, tags, extra=extra, allow_personal_data=True)
        if result.ok:
            log.info("%s indexed %s despite the personal-data scan", action.user, result.doc_id)
        reply_privately(ctx, action.recipient, added_text([result]), added_blocks([result]), replace=True)

    ctx.submit_ingest(finish)


def cancel_personal_data(ctx: BotContext, action: BlockAction) -> None:
    try:
        name = str(json.loads(action.value).get("name") or "the file")
    except (ValueError, AttributeError):
        name = "the file"
    reply_privately(ctx, action.recipient, f"Cancelled: *{escape_mrkdwn(name)}* was not added to the knowledge base.",
                    replace=True)  # fmt: skip


# --- Edit tags -------------------------------------------------------------------------------


def open_tags_modal(ctx: BotContext, action: BlockAction) -> None:
    if not ctx.coaches.is_coach(action.user):
        reply_privately(ctx, action.recipient, refusal(RETAG, ctx.help_contact))
        return
    try:
        doc = ctx.library.find(action.value)
    except SourceNotFound:
        reply_privately(ctx, action.recipient, "That document is no longer in the knowledge base.")
        return
    meta = json.dumps({"doc": doc.id, "response_url": action.response_url, "channel": action.channel})
    view = tags_modal(title=doc.title, doc_type=doc.type, grade=doc.grade or None, subject=doc.subject or None,
                      metadata=meta, types=TAGGABLE_TYPES, review_by=doc.review_by)  # fmt: skip
    try:
        ctx.client.views_open(trigger_id=action.trigger_id, view=view)
    except SlackApiError as e:  # most often expired_trigger_id: Slack allows 3 seconds
        log.warning("could not open the tags modal: %s", e.response.get("error"))
        reply_privately(ctx, action.recipient, "Sorry, that took too long. Press *Edit tags* again.")


def read_tags_form(form: ViewSubmission) -> tuple[Tags | None, dict[str, str]]:
    """The tags in a submitted modal, or the errors to show beside its fields."""
    raw = {name: form.value(name) for name in TAGS_FIELDS}
    errors: dict[str, str] = {}
    checks = {"type": normalize_type, "grade": parse_grade, "subject": normalize_subject, "review_by": parse_review_by}
    for name, check in checks.items():
        try:
            check(raw[name])
        except InvalidTags as e:
            errors[name] = truncate(str(e), 150)
    if errors:
        return None, errors
    return Tags.parse(type=raw["type"], grade=raw["grade"], subject=raw["subject"], review_by=raw["review_by"]), {}


def save_tags(ctx: BotContext, ack: Ack, form: ViewSubmission) -> None:
    tags, errors = read_tags_form(form)
    if errors:
        ack(response_action="errors", errors=errors)
        return
    ack()
    try:
        meta = json.loads(form.private_metadata or "{}")
    except ValueError:
        meta = {}
    to = Recipient(meta.get("response_url"), meta.get("channel"), form.user)
    if not ctx.coaches.is_coach(form.user):
        reply_privately(ctx, to, refusal(RETAG, ctx.help_contact))
        return

    def finish() -> None:
        result = retag(ctx, meta.get("doc") or "", tags or Tags(), user=form.user)
        reply_privately(ctx, to, added_text([result]), added_blocks([result]), replace=bool(to.response_url))

    ctx.submit_ingest(finish)


# --- /guidepost sources, remove --------------------------------------------------------------


def sources_page(ctx: BotContext, page: int, command: str = "/guidepost", user: str | None = None) -> tuple[str, list[dict[str, Any]]]:
    docs = ctx.library.sources()
    pages = max(1, -(-len(docs) // SOURCES_PAGE_SIZE))
    page = min(max(1, page), pages)
    start = (page - 1) * SOURCES_PAGE_SIZE
    coach = ctx.coaches.is_coach(user)
    blocks = sources_blocks(docs[start : start + SOURCES_PAGE_SIZE], page=page, total=len(docs), command=command,
                            is_coach=coach, overdue=sum(1 for d in docs if d.overdue()) if coach else 0)  # fmt: skip
    return f"{len(docs)} documents in the knowledge base", blocks


def sources_command(ctx: BotContext, ack: Ack, cmd: SlashCommand, rest: str) -> None:
    word = rest.strip().split()[0] if rest.strip() else "1"
    try:
        text, blocks = sources_page(ctx, int(word) if word.isdigit() else 1, cmd.command, cmd.user)
    except GuidepostError as e:
        text, blocks = str(e), error_blocks(str(e), help_contact=ctx.help_contact)
    except Exception:
        log.exception("could not list the sources")
        text, blocks = error_text(), error_blocks(help_contact=ctx.help_contact)
    ack(response_type="ephemeral", text=text, blocks=blocks)


def show_sources_page(ctx: BotContext, action: BlockAction) -> None:
    text, blocks = sources_page(ctx, int(action.value) if action.value.isdigit() else 1, user=action.user)
    reply_privately(ctx, action.recipient, text, blocks, replace=True)


def remove_command(ctx: BotContext, ack: Ack, cmd: SlashCommand, rest: str) -> None:
    ack()
    to = cmd.recipient
    if not ctx.coaches.is_coach(cmd.user):
        reply_privately(ctx, to, refusal(REMOVE, ctx.help_contact), replace=True)
        return
    ref = rest.strip().strip("`")
    if not ref:
        reply_privately(ctx, to, f"Which one? `{cmd.command} remove ID` — `{cmd.command} sources` lists the ids.", replace=True)
        return
    try:
        doc = ctx.library.remove(ref)
    except SourceNotFound:
        reply_privately(ctx, to, f"No document in the knowledge base has the id `{escape_mrkdwn(ref)}`. "
                        f"`{cmd.command} sources` lists the ids.", replace=True)  # fmt: skip
        return
    except Exception:
        log.exception("could not remove %s", ref)
        reply_privately(ctx, to, error_text(), error_blocks(help_contact=ctx.help_contact), replace=True)
        return
    log.info("%s removed %s (%s)", cmd.user, doc.id, doc.title)
    note = ""
    if doc.path:
        note = " It was added from a folder: delete the file there too, or the next ingest will add it back."
    reply_privately(ctx, to, f":wastebasket: Removed *{escape_mrkdwn(doc.title)}* (`{doc.id}`); "
                    f"answers no longer cite it.{note}", replace=True)  # fmt: skip
