"""Block Kit builders: pure functions from data to dicts, tested as plain dicts.

Everything that reaches Slack as mrkdwn goes through `escape_mrkdwn`, so text from a document
(or a question echoed back) can never ping a channel (`<!channel>`), mention someone
(`<@U…>`) or hide a link (`<http://evil|click>`). Slack asks for exactly three escapes:
`&`, `<` and `>`. Every builder respects Slack's limits (see the constants below).
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from bot.render import abstention_text
from ingest.domain import Answer, Source
from ingest.settings import DEFAULT_HELP_CONTACT

if TYPE_CHECKING:
    from ingest.library import Added
    from ingest.stores import Digest, SourceInfo

# --- Slack's limits --------------------------------------------------------------------------
MAX_SECTION_TEXT = 3000
MAX_CONTEXT_TEXT = 2000  # per text element in a context block
MAX_BLOCKS = 50  # per message (Home tabs allow 100)
MAX_HEADER_TEXT = 150
MAX_MESSAGE_TEXT = 40_000  # top-level `text`; Slack truncates beyond it
MAX_BUTTON_VALUE = 2000
MAX_BUTTON_TEXT = 75
MAX_HOME_BLOCKS = 100
MAX_MODAL_TITLE = 24
MAX_OPTION_TEXT = 75
MAX_PRIVATE_METADATA = 3000

# --- our own budgets -------------------------------------------------------------------------
MAX_ANSWER_SECTIONS = 8  # the answer text is split over at most this many sections
MAX_QUOTE_CHARS = 500
MAX_FALLBACK_CHARS = 3000  # notifications show far less; keep `text` short

# --- identifiers the listeners match on ------------------------------------------------------
ACTION_FEEDBACK_UP = "feedback_up"
ACTION_FEEDBACK_DOWN = "feedback_down"
ACTION_SHARE = "share_answer"
ACTION_SAVE_PLANNING = "save_to_planning"
ACTION_EDIT_TAGS = "edit_tags"
ACTION_SOURCES_PAGE = "sources_page"
ACTION_DIGEST_EXPORT = "digest_export"
ANSWER_ACTIONS_BLOCK = "guidepost_answer_actions"
TAGS_MODAL = "guidepost_tags"  # the callback_id of the tags modal
TAGS_FIELDS = ("type", "grade", "subject")  # block ids of its inputs
SOURCES_PAGE_SIZE = 10
DIGEST_SHOWN = 20  # saved answers shown by `/guidepost digest` (the export has them all)

PLACEHOLDER_TEXT = "Searching the knowledge base…"
SLACK_HOW_TO_ADD = "coaches can add documents with `/guidepost add`"  # named when there is no answer
ERROR_TEXT = "Sorry, something went wrong on my side while answering."

_ENTITY_TAIL = re.compile(r"&[a-z]{0,4}$")


# --- text helpers ----------------------------------------------------------------------------


def escape_mrkdwn(text: str) -> str:
    """Escape the three characters Slack's mrkdwn treats as control characters."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def truncate(text: str, limit: int, ellipsis: str = "…") -> str:
    """`text` cut to at most `limit` characters, never inside an `&amp;`-style entity."""
    if len(text) <= limit:
        return text
    cut = text[: max(0, limit - len(ellipsis))]
    cut = _ENTITY_TAIL.sub("", cut)
    return cut + ellipsis


def split_text(text: str, limit: int = MAX_SECTION_TEXT) -> list[str]:
    """Split escaped mrkdwn into pieces of at most `limit` characters, preferring paragraph,
    line and word boundaries, never splitting an entity."""
    pieces: list[str] = []
    rest = text
    while len(rest) > limit:
        window = rest[:limit]
        cut = -1
        for sep in ("\n\n", "\n", " "):
            cut = window.rfind(sep)
            if cut > limit // 2:
                break
        if cut <= 0:
            cut = limit
            amp = window.rfind("&", max(0, limit - 5))
            if amp != -1 and ";" not in window[amp:]:
                cut = amp
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        pieces.append(rest)
    return pieces


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _plain(text: str, limit: int) -> dict[str, Any]:
    return {"type": "plain_text", "text": truncate(text, limit), "emoji": True}


def _mrkdwn(text: str, limit: int = MAX_SECTION_TEXT) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": truncate(text, limit)}


def section(text: str) -> dict[str, Any]:
    """A section block; `text` is mrkdwn that is already escaped."""
    return {"type": "section", "text": _mrkdwn(text or " ")}


def context(text: str) -> dict[str, Any]:
    """A context block with one mrkdwn element; `text` is already escaped."""
    return {"type": "context", "elements": [_mrkdwn(text or " ", MAX_CONTEXT_TEXT)]}


def header(text: str) -> dict[str, Any]:
    return {"type": "header", "text": _plain(text, MAX_HEADER_TEXT)}


def button(text: str, action_id: str, value: str, *, style: str | None = None) -> dict[str, Any]:
    if len(value) > MAX_BUTTON_VALUE:
        raise ValueError(f"button value is {len(value)} characters; Slack allows {MAX_BUTTON_VALUE}")
    element: dict[str, Any] = {
        "type": "button",
        "action_id": action_id,
        "text": _plain(text, MAX_BUTTON_TEXT),
        "value": value,
    }
    if style:
        element["style"] = style
    return element


# --- sources ---------------------------------------------------------------------------------


def _safe_url(url: str) -> str | None:
    """An http(s) URL made safe inside `<url|label>`: `&` as an entity, and the characters
    that would end or split the link percent-encoded."""
    url = url.strip()
    if not re.match(r"(?i)^https?://[^\s]+$", url):
        return None
    return url.replace("&", "&amp;").replace("<", "%3C").replace(">", "%3E").replace("|", "%7C")


def source_text(source: Source) -> str:
    """The mrkdwn for one numbered source: title and location, the quoted line, a link."""
    title = escape_mrkdwn(_one_line(source.title) or "Untitled document")
    line = f"*[{source.n}]* *{truncate(title, 300)}*"
    # 'p. 3 · Unit 2 › Exit tickets': the page or slide, then the section when there is one
    location = " · ".join(p for p in (source.page_or_slide, source.section) if p)
    if location:
        line += " — " + truncate(escape_mrkdwn(_one_line(location)), 300)
    lines = [line]
    quote = _one_line(source.quote or "")
    if quote:
        lines.append("> " + truncate(escape_mrkdwn(quote), MAX_QUOTE_CHARS))
    url = _safe_url(source.url) if source.url else None
    if url:
        lines.append(f"<{url}|Open the document>")
    elif source.path or source.url:
        path = (source.path or source.url or "").replace("`", "'")
        lines.append("`" + truncate(escape_mrkdwn(_one_line(path)), 500) + "`")
    return truncate("\n".join(lines), MAX_SECTION_TEXT)


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
) -> list[dict[str, Any]]:
    """The blocks of an answer: its text with [n] markers, the numbered sources, then the
    feedback buttons. An abstention renders as `abstention_blocks`. `scope` labels the part of
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

    text = escape_mrkdwn(answer.text.strip()) or "_(empty answer)_"
    pieces = split_text(text)
    if len(pieces) > MAX_ANSWER_SECTIONS:
        pieces = pieces[:MAX_ANSWER_SECTIONS]
        pieces[-1] = truncate(pieces[-1] + " …", MAX_SECTION_TEXT)
    blocks.extend(section(p) for p in pieces)

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
        lines.append(f"Shared by <@{_slack_id(shared_by)}>")
    if show_question and answer.question.strip():
        lines.append("*Question:* " + truncate(escape_mrkdwn(_one_line(answer.question)), 1000))
    standalone = (answer.standalone_question or "").strip()
    if standalone and _one_line(standalone).lower() != _one_line(answer.question).lower():
        lines.append("_Read as:_ " + truncate(escape_mrkdwn(_one_line(standalone)), 500))
    return [context("\n".join(lines))] if lines else []


def _slack_id(value: str) -> str:
    """A Slack id as given by Slack (U…/W…); anything else is neutralised."""
    return value if re.fullmatch(r"[A-Z0-9]{2,30}", value) else "unknown"


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
    """A plain, helpful "I don't know": no guess, no sources, a next step."""
    blocks = _question_blocks(answer, show_question=show_question, shared_by=None)
    lead = escape_mrkdwn(abstention_lead(answer, help_contact=help_contact, scoped=scope is not None))
    blocks.append(section(truncate(lead, MAX_SECTION_TEXT)))
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
        return truncate(escape_mrkdwn(_one_line(said)), MAX_FALLBACK_CHARS)
    text = truncate(escape_mrkdwn(answer.text.strip()), MAX_FALLBACK_CHARS)
    sources = answer.shown_sources()
    if sources:
        names = "; ".join(
            f"[{s.n}] {escape_mrkdwn(_one_line(s.title))}" + (f" ({escape_mrkdwn(s.location)})" if s.location else "")
            for s in sources
        )
        text += "\nSources: " + truncate(names, 2000)
    return truncate(text, MAX_MESSAGE_TEXT)


def placeholder_blocks(question: str = "") -> list[dict[str, Any]]:
    """What the asker sees while the answer is being found."""
    q = _one_line(question)
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


def notice_blocks(text: str) -> list[dict[str, Any]]:
    """One short line of our own (already safe) mrkdwn."""
    return [section(text)]


def how_to_ask_text(command: str = "/guidepost") -> str:
    """The ways to ask, as mrkdwn (the help message and the App Home share it)."""
    cmd = escape_mrkdwn(command)
    return (
        "I answer questions from your district's guides, lesson templates, choice boards and "
        "reports, and I cite where each answer comes from.\n"
        "• *Mention me* in a channel: `@Guidepost how long is the exit ticket routine?` — "
        "I answer in the thread, and you can reply there without mentioning me again.\n"
        "• *Message me directly* here in Slack.\n"
        f"• *Slash command*: `{cmd} your question` — only you see the answer until you share it.\n"
        "• *On any message*: ⋮ More actions → *Ask Guidepost about this*.\n"
        f"• `{cmd} sources` lists the documents I know; `{cmd} help` shows this message."
    )


def planning_help_text(command: str = "/guidepost") -> str:
    cmd = escape_mrkdwn(command)
    return (
        "*Planning notes* — press *📌 Save to planning notes* under an answer to keep it, with its "
        f"sources, in this channel's notes. `{cmd} digest` shows them, `{cmd} digest export` uploads "
        f"them as a Markdown file with every citation, `{cmd} digest clear` starts new notes."
    )


def help_blocks(*, help_contact: str = DEFAULT_HELP_CONTACT, command: str = "/guidepost") -> list[dict[str, Any]]:
    """How to ask, shown for `/guidepost help`, an empty mention, or an empty DM."""
    return [
        header("Guidepost — how to ask"),
        section(how_to_ask_text(command)),
        section(planning_help_text(command)),
        context(
            "Vote 👍 or 👎 on answers: votes help us improve. When I don't know, I say so — then ask "
            + truncate(escape_mrkdwn(help_contact), 200)
            + "."
        ),
    ]


# --- dates -----------------------------------------------------------------------------------


def slack_date(epoch: float | None, token: str = "{date_short_pretty}") -> str:
    """A date Slack shows in the reader's own time zone, with a UTC fallback."""
    if not epoch:
        return "never"
    fallback = time.strftime("%Y-%m-%d", time.gmtime(epoch))
    return f"<!date^{int(epoch)}^{token}|{fallback}>"


def iso_date(iso: str | None) -> str:
    """'2024-05-01T12:00:00+00:00' as a Slack date ('' when unknown)."""
    if not iso:
        return ""
    from datetime import datetime

    try:
        return slack_date(datetime.fromisoformat(iso).timestamp())
    except ValueError:
        return escape_mrkdwn(iso[:10])


# --- coaches: adding, tagging, listing documents ---------------------------------------------


def type_label(doc_type: str | None) -> str:
    return (doc_type or "other").replace("_", " ")


def tags_text(doc_type: str | None, grade: str | None, subject: str | None) -> str:
    """'type *choice board* · grade *5* · subject *math*' (mrkdwn; missing tags are skipped)."""
    parts = [f"type *{escape_mrkdwn(type_label(doc_type))}*"]
    if grade:
        parts.append(f"grade *{escape_mrkdwn(grade)}*")
    if subject:
        parts.append(f"subject *{escape_mrkdwn(subject)}*")
    return " · ".join(parts)


def doc_link(title: str, url: str | None) -> str:
    name = truncate(escape_mrkdwn(_one_line(title) or "Untitled document"), 300)
    safe = _safe_url(url) if url else None
    return f"<{safe}|{name}>" if safe else name


def added_blocks(results: Sequence[Added], *, editable: bool = True) -> list[dict[str, Any]]:
    """What happened to each file a coach shared: indexed (title, passages, tags), unchanged,
    or the reason it could not be. `editable` puts an "Edit tags" button beside each document."""
    blocks: list[dict[str, Any]] = []
    for r in results[: MAX_BLOCKS // 2]:
        if not r.ok:
            blocks.append(
                section(f":warning: I couldn't add *{truncate(escape_mrkdwn(r.name), 300)}*: "
                        + truncate(escape_mrkdwn(_reason_about(r.name, r.reason)), 2000))  # fmt: skip
            )
            continue
        link = doc_link(r.title, r.url)
        passages = _passages(r.chunks)
        if r.status == "unchanged":
            lead = f":information_source: {link} is already in the knowledge base, unchanged ({passages})."
        elif r.status == "updated":
            lead = f":white_check_mark: Updated {link}: {passages} indexed."
        else:
            lead = f":white_check_mark: Added {link}: {passages} indexed."
        lines = [lead, tags_text(r.tags.type, r.tags.grade, r.tags.subject) + f" · id `{escape_mrkdwn(r.doc_id)}`"]
        if not r.tags.type or r.tags.type == "other":
            lines.append("_No document type was given, so it is filed as *other*: press *Edit tags* to set one._")
        block = section("\n".join(lines))
        if editable and r.doc_id:
            block["accessory"] = button("Edit tags", ACTION_EDIT_TAGS, r.doc_id)
        blocks.append(block)
    if any(r.ok for r in results):
        blocks.append(context("Teachers can ask about it right away. Tags: type, grade, subject — e.g. "
                              "`type: choice board, grade 5, subject math` in the message with the file."))  # fmt: skip
    return blocks


def _passages(n: int) -> str:
    return f"{n} passage{'s' if n != 1 else ''}"


def _reason_about(name: str, reason: str) -> str:
    """'board.pdf is encrypted…' said of board.pdf → 'it is encrypted…' (the name is shown)."""
    if name and reason.startswith(name):
        tail = reason[len(name) :]
        if tail.startswith(":"):
            return tail[1:].strip()
        if tail.startswith(" "):
            return "it" + tail
    return reason


def added_text(results: Sequence[Added]) -> str:
    lines = []
    for r in results:
        if r.ok:
            lines.append(f"{'Unchanged' if r.status == 'unchanged' else 'Added'}: {_one_line(r.title)} ({_passages(r.chunks)})")
        else:
            lines.append(f"Could not add {_one_line(r.name)}: {_one_line(_reason_about(r.name, r.reason))}")
    return truncate(escape_mrkdwn("\n".join(lines)), MAX_FALLBACK_CHARS)


def tags_modal(*, title: str, doc_type: str | None, grade: str | None, subject: str | None, metadata: str,
               types: Sequence[str]) -> dict[str, Any]:  # fmt: skip
    """The "Edit tags" modal: a type select, grade and subject fields."""
    if len(metadata) > MAX_PRIVATE_METADATA:
        raise ValueError("private_metadata is too long")

    def option(t: str) -> dict[str, Any]:
        return {"text": _plain(type_label(t).capitalize(), MAX_OPTION_TEXT), "value": t}

    select: dict[str, Any] = {"type": "static_select", "action_id": "value", "options": [option(t) for t in types],
                              "placeholder": _plain("Choose a type", 150)}  # fmt: skip
    if doc_type in types:
        select["initial_option"] = option(doc_type)  # type: ignore[arg-type]

    def text_input(initial: str | None, placeholder: str) -> dict[str, Any]:
        element: dict[str, Any] = {"type": "plain_text_input", "action_id": "value",
                                   "placeholder": _plain(placeholder, 150), "max_length": 100}  # fmt: skip
        if initial:
            element["initial_value"] = initial
        return element

    return {
        "type": "modal",
        "callback_id": TAGS_MODAL,
        "title": _plain("Edit tags", MAX_MODAL_TITLE),
        "submit": _plain("Save", MAX_MODAL_TITLE),
        "close": _plain("Cancel", MAX_MODAL_TITLE),
        "private_metadata": metadata,
        "blocks": [
            section("Tags for *" + truncate(escape_mrkdwn(_one_line(title)), 300) + "*"),
            {"type": "input", "block_id": "type", "label": _plain("Type", 2000), "element": select},
            {"type": "input", "block_id": "grade", "optional": True, "label": _plain("Grade", 2000),
             "element": text_input(grade, "5, K-2 or 9-12"),
             "hint": _plain("Leave empty for every grade.", 2000)},
            {"type": "input", "block_id": "subject", "optional": True, "label": _plain("Subject", 2000),
             "element": text_input(subject, "math, science, ELA…"),
             "hint": _plain("Leave empty for every subject.", 2000)},
        ],  # fmt: skip
    }


def sources_blocks(docs: Sequence[SourceInfo], *, page: int, total: int, page_size: int = SOURCES_PAGE_SIZE,
                   command: str = "/guidepost") -> list[dict[str, Any]]:  # fmt: skip
    """One page of the indexed documents (newest first), with Newer / Older buttons."""
    cmd = escape_mrkdwn(command)
    if total == 0:
        return [section("Nothing is indexed yet. Coaches add documents by sharing a file with me in a DM "
                        f"(or with `{cmd} add`).")]  # fmt: skip
    pages = max(1, -(-total // page_size))
    blocks = [header(f"Knowledge base — {total} document{'s' if total != 1 else ''}")]
    for d in docs[:page_size]:
        facts = [tags_text(d.type, d.grade, d.subject), _passages(d.chunks), "added " + slack_date(d.added_at)]
        blocks.append(section(f"{doc_link(d.title, d.url)}  `{escape_mrkdwn(d.id)}`\n" + " · ".join(facts)))
    blocks.append(context(f"Page {page} of {pages}, newest first. Coaches: `{cmd} remove ID` removes a document."))
    nav = []
    if page > 1:
        nav.append(button("← Newer", ACTION_SOURCES_PAGE, str(page - 1)))
    if page < pages:
        nav.append(button("Older →", ACTION_SOURCES_PAGE, str(page + 1)))
    if nav:
        blocks.append({"type": "actions", "elements": nav})
    return blocks


# --- planning digests ------------------------------------------------------------------------


def _source_names(answer: Answer, limit: int = 600) -> str:
    names = "; ".join(
        f"[{s.n}] {escape_mrkdwn(_one_line(s.title))}" + (f" ({escape_mrkdwn(_one_line(s.location))})" if s.location else "")
        for s in answer.shown_sources()
    )
    return truncate(names, limit)


def digest_blocks(digest: Digest, *, command: str = "/guidepost", shown: int = DIGEST_SHOWN) -> list[dict[str, Any]]:
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
        q = truncate(escape_mrkdwn(_one_line(e.answer.question)) or "Saved answer", 300)
        body = truncate(escape_mrkdwn(e.answer.text.strip()), 1200)
        blocks.append(section(f"*{i}. {q}*\n{body}"))
        meta = []
        if e.saved_by:
            meta.append(f"Saved by <@{_slack_id(e.saved_by)}>")
        meta.append(iso_date(e.saved_at))
        names = _source_names(e.answer)
        if names:
            meta.append("Sources: " + names)
        blocks.append(context(" · ".join(m for m in meta if m)))
    blocks.append({"type": "actions", "elements": [button("Export as Markdown", ACTION_DIGEST_EXPORT, digest.channel)]})
    return blocks[:MAX_BLOCKS]
