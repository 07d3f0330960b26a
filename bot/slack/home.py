"""The App Home tab: the knowledge base's status (documents by type, the latest additions, when
it last changed), how to ask, and — for coaches — how to add and manage resources.

`home_view` is a pure builder; `publish_home` gathers the data and calls `views.publish`.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from bot.slack import blocks as B
from ingest.domain import DOC_TYPES

if TYPE_CHECKING:
    from bot.slack.listeners.answering import BotContext
    from ingest.stores import IndexStats, SourceInfo

log = logging.getLogger("guidepost.slack")

LATEST = 5


def home_view(
    *,
    stats: IndexStats | None,
    latest: Sequence[SourceInfo],
    is_coach: bool,
    help_contact: str,
    command: str = "/guidepost",
) -> dict[str, Any]:
    """The Home tab. `stats` is `Library.stats()`, or None when the index could not be
    read (the tab still shows how to ask)."""
    cmd = B.escape_mrkdwn(command)
    contact = B.truncate(B.escape_mrkdwn(help_contact), 200)
    blocks: list[dict[str, Any]] = [B.header("Guidepost")]
    if stats is None:
        status = ":warning: I can't read the knowledge base right now; please look again in a minute."
    elif not stats.documents:
        status = "Nothing is indexed yet: " + ("add the first document (see below)." if is_coach
                                               else f"{contact} can add documents.")  # fmt: skip
    else:
        docs, chunks = stats.documents, stats.chunks
        by_type = stats.by_type
        order = sorted(by_type, key=lambda t: (-by_type[t], t))  # most documents first
        kinds = "\n".join(f"• {B.escape_mrkdwn(B.type_label(t)).capitalize()}: {by_type[t]}" for t in order)
        status = (
            f"*{docs}* document{'s' if docs != 1 else ''} ({chunks} passage{'s' if chunks != 1 else ''}), last updated "
            f"{B.slack_date(stats.last_updated, '{date_short_pretty} at {time}')}.\n{kinds}"
        )
    blocks.append(B.section("*Knowledge base*\n" + status))
    if stats and stats.documents and latest:
        lines = [
            f"• {B.doc_link(d.title, d.url)} — {B.tags_text(d.type, d.grade, d.subject)} · added {B.slack_date(d.added_at)}"
            for d in latest[:LATEST]
        ]
        blocks.append(B.section("*Latest additions*\n" + "\n".join(lines)))
    blocks += [{"type": "divider"}, B.section("*How to ask*\n" + B.how_to_ask_text(command)),
               B.section(B.planning_help_text(command))]  # fmt: skip
    if is_coach:
        types = ", ".join(f"`{t}`" for t in DOC_TYPES)
        blocks += [
            {"type": "divider"},
            B.section(
                "*For coaches: adding resources*\n"
                "• *Share a file with me here* (Messages tab): PDF, Word, PowerPoint, Markdown, text or HTML. "
                "Put its tags in the same message, e.g. `type: choice board, grade 5, subject math`. I reply "
                "with what I indexed, or why I couldn't; *Edit tags* changes them later.\n"
                f"• Or share it in a channel I'm in and run `{cmd} add` there (the latest file you shared), "
                f"or `{cmd} add <file link> type=lesson_template grade=3-5 subject=ela`.\n"
                f"• Types: {types}. Sharing the same file again changes nothing; an edited file replaces the old one."
            ),
            B.section(
                "*Managing*\n"
                f"• `{cmd} sources` lists what is indexed, newest first, with each document's id.\n"
                f"• `{cmd} remove ID` removes a document.\n"
                f"• `{cmd} scope type=choice_board,lesson_template subject=math` makes a channel search only "
                f"those documents; `{cmd} scope` shows it, `{cmd} scope clear` lifts it."
            ),
        ]
    else:
        blocks.append(B.context(f"Want a document added? Send it to {contact}: coaches add resources."))
    blocks.append(B.context(f"Questions about Guidepost itself? Ask {contact}."))
    return {"type": "home", "blocks": blocks[: B.MAX_HOME_BLOCKS]}


def publish_home(ctx: BotContext, user: str) -> None:
    """Build and publish `user`'s Home tab; failures are logged (the tab keeps its last view)."""
    stats: IndexStats | None
    try:
        stats = ctx.library.stats()
        latest = ctx.library.sources()[:LATEST]
    except Exception:
        log.exception("could not read the knowledge base for the Home tab")
        stats, latest = None, []
    view = home_view(stats=stats, latest=latest, is_coach=ctx.coaches.is_coach(user), help_contact=ctx.help_contact)
    try:
        ctx.client.views_publish(user_id=user, view=view)
    except Exception:
        log.exception("could not publish the Home tab of %s", user)
