"""Knowledge gaps for coaches: what teachers asked that the knowledge base could not answer,
grouped by meaning, newest first, each with "Add a resource" and "Mark handled"; and the weekly
summary DM."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.slack.ids import ACTION_GAP_ADD, ACTION_GAP_HANDLED, COMMAND
from bot.slack.views.kit import MAX_BLOCKS, MAX_BUTTON_VALUE, button, context, escape_mrkdwn, header, section, slack_id, truncate
from ingest.gaps import GapGroup

MAX_GROUPS = 15  # groups shown in one message (3 blocks each, within Slack's 50)
QUESTIONS_SHOWN = 3

_REASONS = {"abstention": "no answer", "thumbs_down": "👎"}


def _group_section(group: GapGroup) -> dict[str, Any]:
    n = group.count
    lead = f"*{truncate(escape_mrkdwn(group.example.text), 300)}*  ·  {n} question{'s' if n != 1 else ''}"
    others = [q for q in group.questions if q is not group.example][:QUESTIONS_SHOWN]
    lines = [lead] + [f"• {truncate(escape_mrkdwn(q.text), 200)}" for q in others]
    if n - 1 > len(others):
        lines.append(f"• …and {n - 1 - len(others)} more")
    kinds = sorted({_REASONS.get(q.reason, q.reason) for q in group.questions})
    channels = sorted({f"<#{slack_id(q.channel)}>" for q in group.questions if q.channel and q.channel[:1] in "CG"})
    meta = f"latest {group.newest.strftime('%Y-%m-%d %H:%M')} UTC · {', '.join(kinds)}"
    if channels:
        meta += " · in " + ", ".join(channels[:5])
    lines.append(f"_{meta}_")
    return section(truncate("\n".join(lines), 2900))


def _ids_value(group: GapGroup) -> str:
    ids: list[str] = []
    for q in group.questions:
        if q.id and len(",".join([*ids, q.id])) <= MAX_BUTTON_VALUE:
            ids.append(q.id)
    return ",".join(ids)


def gaps_blocks(groups: Sequence[GapGroup], *, handled_hidden: int = 0, command: str = COMMAND) -> list[dict[str, Any]]:
    cmd = escape_mrkdwn(command)
    blocks: list[dict[str, Any]] = [header("Knowledge gaps")]
    if not groups:
        blocks.append(section("No open knowledge gaps: every question recently asked was answered, and nobody marked an answer 👎."))
    else:
        total = sum(g.count for g in groups)
        blocks.append(context(f"{total} question{'s' if total != 1 else ''} the knowledge base could not answer (or got a 👎), "
                              f"in {len(groups)} group{'s' if len(groups) != 1 else ''} by meaning, newest first."))  # fmt: skip
    for group in list(groups)[:MAX_GROUPS]:
        blocks.append(_group_section(group))
        blocks.append({"type": "actions", "elements": [
            button("Add a resource", ACTION_GAP_ADD, truncate(group.example.text, 1500)),
            button("Mark handled", ACTION_GAP_HANDLED, _ids_value(group)),
        ]})  # fmt: skip
    if len(groups) > MAX_GROUPS:
        blocks.append(context(f"…and {len(groups) - MAX_GROUPS} older groups: `guidepost gaps` on the command line lists them all."))
    if handled_hidden:
        blocks.append(context(f"{handled_hidden} handled group{'s' if handled_hidden != 1 else ''} not shown."))
    return blocks[:MAX_BLOCKS]


def gaps_text(groups: Sequence[GapGroup]) -> str:
    if not groups:
        return "No open knowledge gaps."
    return f"{len(groups)} knowledge gap{'s' if len(groups) != 1 else ''}: " + "; ".join(
        truncate(g.example.text, 100) for g in list(groups)[:5]
    )


def add_resource_text(example: str, command: str = COMMAND) -> str:
    cmd = escape_mrkdwn(command)
    return (f"To fill the gap *{truncate(escape_mrkdwn(example), 300)}*: DM me a file that answers it (with tags such as "
            f"`type: guide, grade 5`), share it and run `{cmd} add`, or add a web page with `{cmd} add https://…`. "
            "Then press *Mark handled*.")  # fmt: skip


def weekly_summary_blocks(groups: Sequence[GapGroup], *, since: str | None, command: str = COMMAND) -> list[dict[str, Any]]:
    total = sum(g.count for g in groups)
    lead = (f":compass: *This week's knowledge gaps*: {total} question{'s' if total != 1 else ''} the knowledge base "
            f"could not answer (or got a 👎), in {len(groups)} group{'s' if len(groups) != 1 else ''}.")  # fmt: skip
    blocks = [section(lead)]
    for group in list(groups)[:10]:
        blocks.append(section(f"• *{truncate(escape_mrkdwn(group.example.text), 300)}* ({group.count})"))
    blocks.append(context(f"`{escape_mrkdwn(command)} gaps` lists them with *Add a resource* and *Mark handled*."))
    return blocks
