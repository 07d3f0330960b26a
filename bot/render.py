"""Pure renderers of an `Answer` for the terminal and for Markdown (the planning digest).
Slack's Block Kit renderer lives in `bot.slack.blocks`."""

from __future__ import annotations

import textwrap

from .engine.types import Answer, Source


def source_line(s: Source) -> str:
    where = f", {s.location}" if s.location else ""
    return f"[{s.n}] {s.title}{where}"


def cited_sources(answer: Answer) -> list[Source]:
    """The sources an answer names; all of them when it names none (an LLM answer may not)."""
    return answer.cited() or answer.sources


def to_terminal(answer: Answer, *, width: int = 100) -> str:
    lines = [f"Q: {answer.question}", ""]
    for para in answer.text.splitlines():
        lines.extend(textwrap.wrap(para, width, subsequent_indent="  ") or [""])
    if answer.sources:
        lines += ["", "Closest material (it may not answer the question):" if answer.abstained else "Sources:"]
        for s in answer.sources if answer.abstained else cited_sources(answer):
            lines.append("  " + source_line(s))
            lines.extend(textwrap.wrap(f'"{s.quote}"', width - 6, initial_indent="      ", subsequent_indent="      "))
            lines.append(f"      {s.link}")
    return "\n".join(lines)


def to_markdown(answer: Answer, *, heading_level: int = 3) -> str:
    """An answer with its numbered citations (title, page or section, quote, link) as Markdown."""
    h = "#" * heading_level
    out = [f"{h} {answer.question}", "", answer.text, ""]
    sources = cited_sources(answer)
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
