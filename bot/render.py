"""Pure renderers of answers for the terminal and for Markdown (planning digests), and the words
of an abstention. Slack's Block Kit renderers live in `bot.slack.views` and reuse
`abstention_text` with Slack's own way of adding documents."""

from __future__ import annotations

import textwrap
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from ingest.domain import Abstention, Answer, Source
from ingest.settings import DEFAULT_HELP_CONTACT
from ingest.stores import Digest

# How documents get added, as the reader of each surface would do it (named in an abstention).
CLI_HOW_TO_ADD = "`guidepost ingest PATH`, or `/guidepost add` in Slack"


def abstention_text(reason: Abstention | None, *, help_contact: str, how_to_add: str, scoped: bool = False) -> str:
    """Why there is no answer, and what to do about it. `scoped`: only part of the knowledge
    base was searched (a filter, a channel's scope)."""
    if reason == "empty_index":
        return (
            "The knowledge base is empty, so there is nothing to answer from yet. "
            f"Ask {help_contact} to add documents ({how_to_add})."
        )
    where = " (in the part of it searched here)" if scoped else ""
    return (
        f"I couldn't find anything in the knowledge base{where} that answers this, so I won't guess. "
        f"If it should be covered, ask {help_contact} to add a resource on it ({how_to_add})."
    )


def answer_text(answer: Answer, *, help_contact: str = DEFAULT_HELP_CONTACT, scoped: bool = False) -> str:
    """The answer's text; for an abstention without words of its own, why there is none."""
    if answer.abstained and not answer.text.strip():
        return abstention_text(answer.abstention, help_contact=help_contact, how_to_add=CLI_HOW_TO_ADD, scoped=scoped)
    return answer.text


def answer_json(answer: Answer, *, help_contact: str = DEFAULT_HELP_CONTACT, scoped: bool = False) -> dict[str, Any]:
    """What `guidepost ask --json` prints: question, answer, abstained, sources."""
    return {**answer.to_dict(), "answer": answer_text(answer, help_contact=help_contact, scoped=scoped),
            "writer": "llm" if answer.mode == "llm" else "extractive", "fallback_reason": answer.fallback_reason,
            "grounding": answer.grounding}  # fmt: skip


def source_line(s: Source) -> str:
    where = f", {s.location}" if s.location else ""
    codes = f" (standards: {', '.join(s.standards)})" if s.standards else ""
    return f"[{s.n}] {s.title}{where}{codes}"


def to_terminal(answer: Answer, *, width: int = 100, help_contact: str = DEFAULT_HELP_CONTACT, scoped: bool = False) -> str:
    lines = [f"Q: {answer.question}", ""]
    for para in answer_text(answer, help_contact=help_contact, scoped=scoped).splitlines():
        lines.extend(textwrap.wrap(para, width, subsequent_indent="  ") or [""])
    if answer.sources:
        lines += ["", "Closest material (it may not answer the question):" if answer.abstained else "Sources:"]
        for s in answer.sources if answer.abstained else answer.shown_sources():
            lines.append("  " + source_line(s))
            lines.extend(textwrap.wrap(f'"{s.quote}"', width - 6, initial_indent="      ", subsequent_indent="      "))
            lines.append(f"      {s.link}")
    return "\n".join(lines)


def to_markdown(answer: Answer, *, heading_level: int = 3) -> str:
    """An answer with its numbered citations (title, page or section, quote, link) as Markdown."""
    h = "#" * heading_level
    out = [f"{h} {answer.question}", "", answer_text(answer), ""]
    sources = answer.shown_sources()
    if sources and not answer.abstained:
        out.append("Sources:")
        out.append("")
        for s in sources:
            where = f", {s.location}" if s.location else ""
            link = s.link
            target = f"[{link}]({link})" if link.startswith(("http://", "https://")) else f"`{link}`"
            quote = s.quote.replace("\n", " ")
            # "- [3]", not "3.": Markdown renumbers an ordered list (1, 3 would become 1, 2).
            out.append(f"- [{s.n}] **{s.title}**{where}: \"{quote}\" ({target})")
        out.append("")
    return "\n".join(out)


def digest_markdown(
    digest: Digest,
    *,
    title: str = "Planning notes",
    names: Mapping[str, str] | None = None,
    exported_at: datetime | None = None,
) -> str:
    """A channel's planning notes as a Markdown document: every saved answer with its numbered
    citations (title, page or section, quote, link). `names` maps user ids to display names."""
    names = names or {}
    when = (exported_at or datetime.now(UTC)).strftime("%Y-%m-%d %H:%M UTC")
    n = len(digest.entries)
    lines = [f"# {title}", ""]
    meta = [f"{n} saved answer{'s' if n != 1 else ''}"]
    if digest.started_at:
        meta.append(f"started {digest.started_at[:10]}")
    meta.append(f"exported {when}")
    lines += ["_" + " · ".join(meta) + "_", ""]
    if not digest.entries:
        lines += ["No answers have been saved yet.", ""]
    for i, entry in enumerate(digest.entries, start=1):
        who = names.get(entry.saved_by or "", entry.saved_by or "someone")
        lines += ["---", "", f"## {i}. {_one_line(entry.answer.question) or 'Saved answer'}", ""]
        lines += [f"_Saved by {who} on {entry.saved_at[:10]}_", ""]
        for note in entry.notes:
            lines += [f"> **Note:** {note.title}: {note.text()}.", ""]
        body = to_markdown(entry.answer, heading_level=2)
        lines.append(body.split("\n", 1)[1].lstrip("\n") if body.startswith("## ") else body)
    return "\n".join(lines).rstrip() + "\n"


def _one_line(text: str) -> str:
    return " ".join(text.split())
