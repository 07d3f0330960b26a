"""Answers in Slack: the answer text with its [n] markers, the numbered sources, the buttons
under it; an abstention in Slack's words; the placeholder while searching; an honest error."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from bot.render import abstention_text
from bot.slack.ids import (
    ACTION_FEEDBACK_DOWN,
    ACTION_FEEDBACK_UP,
    ACTION_SAVE_PLANNING,
    ACTION_SHARE,
    ANSWER_ACTIONS_BLOCK,
)
from bot.slack.views.kit import (
    MAX_BLOCKS,
    MAX_MESSAGE_TEXT,
    MAX_SECTION_TEXT,
    button,
    context,
    escape_mrkdwn,
    one_line,
    safe_url,
    section,
    slack_id,
    split_text,
    truncate,
)
from ingest.domain import Answer, Source
from ingest.settings import DEFAULT_HELP_CONTACT

MAX_ANSWER_SECTIONS = 8  # the answer text is split over at most this many sections
MAX_QUOTE_CHARS = 500
MAX_FALLBACK_CHARS = 3000  # notifications show far less; keep `text` short

# Said in one line when the chat model's answer was not used (the answer quotes the documents).
FALLBACK_NOTES = {
    "timeout": "_The writing model was too slow, so this answer quotes the documents directly._",
    "error": "_The writing model is unavailable, so this answer quotes the documents directly._",
    "grounding": "_The written answer did not match its sources closely enough, so this one quotes them directly._",
}
PLACEHOLDER_TEXT = "Searching the knowledge base…"
ERROR_TEXT = "Sorry, something went wrong on my side while answering."
SLACK_HOW_TO_ADD = "coaches can add documents with `/guidepost add`"  # named when there is no answer


# --- sources ---------------------------------------------------------------------------------


def markdown_for_slack(text: str) -> str:
    """Quotes stay verbatim slices of their documents; on screen, Markdown's markers become
    Slack's: **bold** -> *bold*, and a marker a quote cut in half is dropped."""
    text = re.sub(r"\*\*(?=\S)(.+?)(?<=\S)\*\*", r"*\1*", text)
    return text.replace("**", "")


def source_text(source: Source) -> str:
    """The mrkdwn for one numbered source: title and location, the quoted line, a link."""
    title = escape_mrkdwn(one_line(source.title) or "Untitled document")
    line = f"*[{source.n}]* *{truncate(title, 300)}*"
    # 'p. 3 · Unit 2 › Exit tickets': the page or slide, then the section when there is one
    location = " · ".join(p for p in (source.page_or_slide, source.section) if p)
    if location:
        line += " — " + truncate(escape_mrkdwn(one_line(location)), 300)
    if source.standards:
        line += "  ·  " + escape_mrkdwn(", ".join(source.standards[:8]))
    lines = [line]
    quote = one_line(source.quote or "")
    if quote:
        lines.append("> " + truncate(markdown_for_slack(escape_mrkdwn(quote)), MAX_QUOTE_CHARS))
    url = safe_url(source.url) if source.url else None
    if url:
        lines.append(f"<{url}|Open the document>")
    elif source.path or source.url:
        path = (source.path or source.url or "").replace("`", "'")
        lines.append("`" + truncate(escape_mrkdwn(one_line(path)), 500) + "`")
    return truncate("\n".join(lines), MAX_SECTION_TEXT)


def source_names(answer: Answer, limit: int) -> str:
    """'[1] Title (p. 3); [2] Other': the sources an answer shows, on one line (mrkdwn)."""
    names = "; ".join(
        f"[{s.n}] {escape_mrkdwn(one_line(s.title))}" + (f" ({escape_mrkdwn(one_line(s.location))})" if s.location else "")
        for s in answer.shown_sources()
    )
    return truncate(names, limit)


# --- whole messages --------------------------------------------------------------------------


def planning_button(answer_id: str) -> dict[str, Any]:
    """"Save to planning notes": adds the answer, with its sources, to the channel's digest."""
    return button("📌 Save to planning notes", ACTION_SAVE_PLANNING, answer_id)


def scope_note(label: str) -> dict[str, Any]:
    """Said under answers in a scoped channel: what part of the knowledge base was searched."""
    return context(
        ":mag: This channel searches only part of the knowledge base — "
        + truncate(escape_mrkdwn(label), 500)
        + ". `/guidepost scope` shows it."
    )


def feedback_buttons(answer_id: str) -> list[dict[str, Any]]:
    return [
        button("👍 Helpful", ACTION_FEEDBACK_UP, answer_id),
        button("👎 Not helpful", ACTION_FEEDBACK_DOWN, answer_id),
    ]


def answer_actions(
    answer_id: str | None,
    *,
    shareable: bool = False,
    extra_actions: Sequence[dict[str, Any]] = (),
) -> dict[str, Any] | None:
    """The buttons under an answer: feedback, then Share (private answers only), then any
    `extra_actions` (room for "Save to planning notes"). None when there is nothing to show."""
    elements: list[dict[str, Any]] = []
    if answer_id:
        elements.extend(feedback_buttons(answer_id))
        if shareable:
            elements.append(button("Share in channel", ACTION_SHARE, answer_id, style="primary"))
    elements.extend(extra_actions)
    if not elements:
        return None
    return {"type": "actions", "block_id": ANSWER_ACTIONS_BLOCK, "elements": elements[:25]}


def answer_blocks(
    answer: Answer,
    *,
    answer_id: str | None = None,
    help_contact: str = DEFAULT_HELP_CONTACT,
    shareable: bool = False,
    show_question: bool = False,
    shared_by: str | None = None,
    extra_actions: Sequence[dict[str, Any]] = (),
    scope: str | None = None,
    with_text: bool = True,
) -> list[dict[str, Any]]:
    """The blocks of an answer: its text with [n] markers, the numbered sources, then the
    feedback buttons (`with_text=False`: all but the text, to go under a streamed one). An abstention renders as `abstention_blocks`. `scope` labels the part of
    the knowledge base that was searched, in a scoped channel.

    `answer_id` is the stored answer the buttons refer to (no buttons without it);
    `shareable` adds "Share in channel" (for answers only the asker sees); `show_question`
    repeats the question (for slash commands, shortcuts and shared answers); `shared_by` is a
    Slack user id credited on a shared answer."""
    if answer.abstained:
        return abstention_blocks(
            answer,
            answer_id=answer_id,
            help_contact=help_contact,
            shareable=False,
            show_question=show_question,
            extra_actions=extra_actions,
            scope=scope,
        )
    blocks: list[dict[str, Any]] = []
    blocks.extend(_question_blocks(answer, show_question=show_question, shared_by=shared_by))

    text = markdown_for_slack(escape_mrkdwn(answer.text.strip())) or "_(empty answer)_"
    pieces = split_text(text)
    if len(pieces) > MAX_ANSWER_SECTIONS:
        pieces = pieces[:MAX_ANSWER_SECTIONS]
        pieces[-1] = truncate(pieces[-1] + " …", MAX_SECTION_TEXT)
    if with_text:
        blocks.extend(section(p) for p in pieces)
    if answer.fallback_reason in FALLBACK_NOTES:
        blocks.append(context(FALLBACK_NOTES[answer.fallback_reason]))

    tail: list[dict[str, Any]] = []
    if scope:
        tail.append(scope_note(scope))
    actions = answer_actions(answer_id, shareable=shareable, extra_actions=extra_actions)
    if actions:
        tail.append(actions)

    sources = answer.shown_sources()
    if sources:
        blocks.append(context("*Sources*"))
        room = MAX_BLOCKS - len(blocks) - len(tail)
        if len(sources) > room:
            shown, hidden = sources[: room - 1], len(sources) - (room - 1)
            blocks.extend(section(source_text(s)) for s in shown)
            blocks.append(context(f"…and {hidden} more source{'s' if hidden != 1 else ''}."))
        else:
            blocks.extend(section(source_text(s)) for s in sources)
    blocks.extend(tail)
    return blocks[:MAX_BLOCKS]


def _question_blocks(answer: Answer, *, show_question: bool, shared_by: str | None) -> list[dict[str, Any]]:
    lines: list[str] = []
    if shared_by:
        lines.append(f"Shared by <@{slack_id(shared_by)}>")
    if show_question and answer.question.strip():
        lines.append("*Question:* " + truncate(escape_mrkdwn(one_line(answer.question)), 1000))
    standalone = (answer.standalone_question or "").strip()
    if standalone and one_line(standalone).lower() != one_line(answer.question).lower():
        lines.append("_Read as:_ " + truncate(escape_mrkdwn(one_line(standalone)), 500))
    return [context("\n".join(lines))] if lines else []


def abstention_blocks(
    answer: Answer,
    *,
    answer_id: str | None = None,
    help_contact: str = DEFAULT_HELP_CONTACT,
    shareable: bool = False,
    show_question: bool = False,
    extra_actions: Sequence[dict[str, Any]] = (),
    scope: str | None = None,
) -> list[dict[str, Any]]:
    """A plain, helpful "I don't know": no guess, a next step, and the closest material the
    knowledge base has (labelled as not an answer), so the teacher is not left with nothing."""
    blocks = _question_blocks(answer, show_question=show_question, shared_by=None)
    lead = escape_mrkdwn(abstention_lead(answer, help_contact=help_contact, scoped=scope is not None))
    blocks.append(section(truncate(lead, MAX_SECTION_TEXT)))
    if answer.sources:
        blocks.append(context("*Closest material* (it may not answer your question)"))
        blocks.extend(section(source_text(s)) for s in answer.sources[:2])
    blocks.append(
        context(
            "Try naming the grade, subject or document, or ask "
            + truncate(escape_mrkdwn(help_contact), 200)
            + "."
        )
    )
    if scope:
        blocks.append(scope_note(scope))
    actions = answer_actions(answer_id, shareable=shareable, extra_actions=extra_actions)
    if actions:
        blocks.append(actions)
    return blocks


def abstention_lead(answer: Answer, *, help_contact: str, scoped: bool = False) -> str:
    """Why there is no answer (plain text): the engine's reason in Slack's words, or the
    answer's own words when it has them."""
    said = answer.text.strip()
    if said:
        return said
    if answer.abstention is None:
        return "I couldn't find this in the documents I have, so I won't guess."
    return abstention_text(answer.abstention, help_contact=help_contact, how_to_add=SLACK_HOW_TO_ADD, scoped=scoped)


def answer_text_fallback(answer: Answer, *, help_contact: str = DEFAULT_HELP_CONTACT, scoped: bool = False) -> str:
    """The top-level `text` sent with the blocks (notifications, screen readers, old clients)."""
    if answer.abstained:
        if answer.text.strip() or answer.abstention:
            said = abstention_lead(answer, help_contact=help_contact, scoped=scoped)
        else:
            said = "I couldn't find this in the documents I have."
        return truncate(escape_mrkdwn(one_line(said)), MAX_FALLBACK_CHARS)
    text = truncate(escape_mrkdwn(answer.text.strip()), MAX_FALLBACK_CHARS)
    sources = answer.shown_sources()
    if sources:
        names = "; ".join(
            f"[{s.n}] {escape_mrkdwn(one_line(s.title))}" + (f" ({escape_mrkdwn(s.location)})" if s.location else "")
            for s in sources
        )
        text += "\nSources: " + truncate(names, 2000)
    return truncate(text, MAX_MESSAGE_TEXT)


def placeholder_blocks(question: str = "") -> list[dict[str, Any]]:
    """What the asker sees while the answer is being found."""
    q = one_line(question)
    if q:
        text = f":mag: Searching the knowledge base for _{truncate(escape_mrkdwn(q), 300)}_ …"
    else:
        text = ":mag: " + PLACEHOLDER_TEXT
    return [context(text)]


def error_blocks(message: str | None = None, *, help_contact: str = DEFAULT_HELP_CONTACT) -> list[dict[str, Any]]:
    """A short, honest failure reply. `message` is a readable sentence (a GuidepostError);
    without one the reply says the failure was ours and has been logged."""
    if message:
        lead = ":warning: " + truncate(escape_mrkdwn(message.strip()), 2000)
    else:
        lead = f":warning: {ERROR_TEXT} It has been logged; please try again in a minute."
    return [
        section(lead),
        context("If it keeps happening, tell " + truncate(escape_mrkdwn(help_contact), 200) + "."),
    ]


def error_text(message: str | None = None) -> str:
    return truncate(escape_mrkdwn(message.strip()), 2000) if message else ERROR_TEXT
