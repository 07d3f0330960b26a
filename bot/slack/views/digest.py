"""Planning notes in Slack: a readable summary of a channel's saved answers, with the button
that exports them (the export itself is Markdown: `bot.render.digest_markdown`)."""

from __future__ import annotations

from typing import Any

from bot.slack.ids import ACTION_DIGEST_EXPORT, COMMAND
from bot.slack.views.answers import source_names
from bot.slack.views.kit import (
    MAX_BLOCKS,
    button,
    context,
    escape_mrkdwn,
    header,
    iso_date,
    one_line,
    section,
    slack_id,
    truncate,
)
from ingest.stores import Digest

DIGEST_SHOWN = 20  # saved answers shown by `/guidepost digest` (the export has them all)


def digest_blocks(digest: Digest, *, command: str = COMMAND, shown: int = DIGEST_SHOWN) -> list[dict[str, Any]]:
    """A readable summary of a channel's planning notes: each saved answer's question, the start
    of its text and its sources (the export carries everything)."""
    cmd = escape_mrkdwn(command)
    n = len(digest.entries)
    if n == 0:
        return [
            section("This channel's planning notes are empty. Press *📌 Save to planning notes* under an answer "
                    "to keep it here, with its sources."),  # fmt: skip
        ]
    blocks = [header(f"Planning notes — {n} saved answer{'s' if n != 1 else ''}")]
    started = iso_date(digest.started_at)
    blocks.append(context((f"Started {started}. " if started else "")
                          + f"`{cmd} digest export` uploads them as Markdown with every citation; "
                          f"`{cmd} digest clear` starts new notes."))  # fmt: skip
    entries = digest.entries
    hidden = max(0, n - shown)
    if hidden:
        entries = entries[-shown:]
        blocks.append(context(f"Showing the latest {shown}; {hidden} earlier answer{'s are' if hidden != 1 else ' is'} in the export."))
    for i, e in enumerate(entries, start=hidden + 1):
        q = truncate(escape_mrkdwn(one_line(e.answer.question)) or "Saved answer", 300)
        body = truncate(escape_mrkdwn(e.answer.text.strip()), 1200)
        blocks.append(section(f"*{i}. {q}*\n{body}"))
        meta = []
        if e.saved_by:
            meta.append(f"Saved by <@{slack_id(e.saved_by)}>")
        meta.append(iso_date(e.saved_at))
        names = source_names(e.answer, 600)
        if names:
            meta.append("Sources: " + names)
        meta += [f":warning: {truncate(escape_mrkdwn(n.title), 100)}: {n.text()}" for n in e.notes[:3]]
        blocks.append(context(truncate(" · ".join(m for m in meta if m), 2900)))
    blocks.append({"type": "actions", "elements": [button("Export as Markdown", ACTION_DIGEST_EXPORT, digest.channel)]})
    return blocks[:MAX_BLOCKS]
