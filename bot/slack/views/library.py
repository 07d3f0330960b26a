"""Curating the knowledge base from Slack: what happened to the files a coach added, the
"Edit tags" modal, the list of indexed documents, a channel's scope, and the polite refusal
everyone but coaches gets."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from bot.slack.ids import ACTION_EDIT_TAGS, ACTION_INDEX_ANYWAY, ACTION_INDEX_CANCEL, ACTION_SOURCES_PAGE, COMMAND, TAGS_MODAL
from bot.slack.views.kit import (
    MAX_BLOCKS,
    MAX_MODAL_TITLE,
    MAX_OPTION_TEXT,
    MAX_PRIVATE_METADATA,
    button,
    context,
    doc_link,
    escape_mrkdwn,
    header,
    one_line,
    plain,
    section,
    slack_date,
    tags_text,
    truncate,
    type_label,
)
from bot.slack.views.answers import MAX_FALLBACK_CHARS
from ingest.domain import Scope
from ingest.library import Added
from ingest.stores import SourceInfo

SOURCES_PAGE_SIZE = 10


def added_blocks(results: Sequence[Added], *, editable: bool = True) -> list[dict[str, Any]]:
    """What happened to each file a coach shared: indexed (title, passages, tags), unchanged,
    or the reason it could not be. `editable` puts an "Edit tags" button beside each document."""
    blocks: list[dict[str, Any]] = []
    for r in results[: MAX_BLOCKS // 4]:
        if r.personal_data:
            blocks.extend(personal_data_blocks(r))
            continue
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


MAX_FINDINGS_SHOWN = 8


def personal_data_blocks(r: Added) -> list[dict[str, Any]]:
    """A file refused because it looks like it holds student personal data: what was found and
    where (values masked), with "Index anyway" and "Cancel"."""
    findings = list(r.personal_data.findings)
    lines = [f"• {escape_mrkdwn(f.kind.label)} `{escape_mrkdwn(f.masked)}` ({escape_mrkdwn(str(f.location))})"
             for f in findings[:MAX_FINDINGS_SHOWN]]  # fmt: skip
    if len(findings) > MAX_FINDINGS_SHOWN:
        lines.append(f"• …and {len(findings) - MAX_FINDINGS_SHOWN} more")
    text = (f":lock: I didn't add *{truncate(escape_mrkdwn(r.name), 300)}*: it looks like it holds student personal data. "
            "Teachers could be shown it in answers.\n" + "\n".join(lines))  # fmt: skip
    value = json.dumps({"key": r.source_key, "tags": {"type": r.tags.type, "grade": r.tags.grade, "subject": r.tags.subject}},
                       separators=(",", ":"))  # fmt: skip
    actions = {"type": "actions", "elements": [
        button("Index anyway", ACTION_INDEX_ANYWAY, value, style="danger"),
        button("Cancel", ACTION_INDEX_CANCEL, json.dumps({"name": r.name[:200]})),
    ]}  # fmt: skip
    return [section(truncate(text, 2900)), actions,
            context("_Index anyway_ if it is not student data (it is recorded who chose to and when); _Cancel_ to leave it out.")]


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
            lines.append(f"{'Unchanged' if r.status == 'unchanged' else 'Added'}: {one_line(r.title)} ({_passages(r.chunks)})")
        else:
            lines.append(f"Could not add {one_line(r.name)}: {one_line(_reason_about(r.name, r.reason))}")
    return truncate(escape_mrkdwn("\n".join(lines)), MAX_FALLBACK_CHARS)


def tags_modal(*, title: str, doc_type: str | None, grade: str | None, subject: str | None, metadata: str,
               types: Sequence[str], review_by: str | None = None) -> dict[str, Any]:  # fmt: skip
    """The "Edit tags" modal: a type select, grade and subject fields, and a review date."""
    if len(metadata) > MAX_PRIVATE_METADATA:
        raise ValueError("private_metadata is too long")

    def option(t: str) -> dict[str, Any]:
        return {"text": plain(type_label(t).capitalize(), MAX_OPTION_TEXT), "value": t}

    select: dict[str, Any] = {"type": "static_select", "action_id": "value", "options": [option(t) for t in types],
                              "placeholder": plain("Choose a type", 150)}  # fmt: skip
    if doc_type in types:
        select["initial_option"] = option(doc_type)  # type: ignore[arg-type]

    def text_input(initial: str | None, placeholder: str) -> dict[str, Any]:
        element: dict[str, Any] = {"type": "plain_text_input", "action_id": "value",
                                   "placeholder": plain(placeholder, 150), "max_length": 100}  # fmt: skip
        if initial:
            element["initial_value"] = initial
        return element

    return {
        "type": "modal",
        "callback_id": TAGS_MODAL,
        "title": plain("Edit tags", MAX_MODAL_TITLE),
        "submit": plain("Save", MAX_MODAL_TITLE),
        "close": plain("Cancel", MAX_MODAL_TITLE),
        "private_metadata": metadata,
        "blocks": [
            section("Tags for *" + truncate(escape_mrkdwn(one_line(title)), 300) + "*"),
            {"type": "input", "block_id": "type", "label": plain("Type", 2000), "element": select},
            {"type": "input", "block_id": "grade", "optional": True, "label": plain("Grade", 2000),
             "element": text_input(grade, "5, K-2 or 9-12"),
             "hint": plain("Leave empty for every grade.", 2000)},
            {"type": "input", "block_id": "subject", "optional": True, "label": plain("Subject", 2000),
             "element": text_input(subject, "math, science, ELA…"),
             "hint": plain("Leave empty for every subject.", 2000)},
            {"type": "input", "block_id": "review_by", "optional": True, "label": plain("Review by", 2000),
             "element": text_input(review_by, "YYYY-MM-DD"),
             "hint": plain("When a coach should check it is still current; leave empty for no date.", 2000)},
        ],  # fmt: skip
    }


def review_note(d: SourceInfo) -> str:
    """':warning: *review overdue* (review by 2026-01-31)', 'review by 2026-09-01', or ''."""
    if not d.review_by:
        return ""
    return f":warning: *review overdue* (review by {d.review_by})" if d.overdue() else f"review by {d.review_by}"


def sources_blocks(docs: Sequence[SourceInfo], *, page: int, total: int, page_size: int = SOURCES_PAGE_SIZE,
                   command: str = COMMAND, is_coach: bool = False, overdue: int = 0) -> list[dict[str, Any]]:  # fmt: skip
    """One page of the indexed documents (newest first), with Newer / Older buttons. For
    coaches, documents past their review date are flagged (`overdue`: how many in all)."""
    cmd = escape_mrkdwn(command)
    if total == 0:
        return [section("Nothing is indexed yet. Coaches add documents by sharing a file with me in a DM "
                        f"(or with `{cmd} add`).")]  # fmt: skip
    pages = max(1, -(-total // page_size))
    blocks = [header(f"Knowledge base — {total} document{'s' if total != 1 else ''}")]
    if is_coach and overdue:
        blocks.append(section(f":warning: {overdue} document{'s are' if overdue != 1 else ' is'} past {'their' if overdue != 1 else 'its'} "
                              "review date: check them, then share an updated version or remove them."))  # fmt: skip
    for d in docs[:page_size]:
        facts = [tags_text(d.type, d.grade, d.subject), _passages(d.chunks), "added " + slack_date(d.added_at)]
        if is_coach and review_note(d):
            facts.append(review_note(d))
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


def scope_text(scope: Scope | None, command: str = COMMAND) -> str:
    """What a channel searches, and how to change it (mrkdwn)."""
    if scope is None:
        return (f"This channel searches the whole knowledge base. Coaches can limit it: "
                f"`{command} scope type=choice_board,lesson_template subject=math`.")  # fmt: skip
    note = " (documents without a subject tag are included)" if scope.subjects else ""
    return (f"This channel searches only {escape_mrkdwn(scope.label())}{note}. "
            f"`{command} scope clear` lifts it.")  # fmt: skip


def refusal(action: str, help_contact: str) -> str:
    """The mrkdwn of a polite refusal: `action` is what only coaches may do ("add documents")."""
    contact = truncate(escape_mrkdwn(help_contact), 200)
    return (
        f"Sorry — only coaches can {action}. {contact} can help: send them the file or the request. "
        "(Coaches are set by whoever runs Guidepost: Slack user ids in `GUIDEPOST_COACHES`, "
        "or a coach user group in `GUIDEPOST_COACH_GROUP`.)"
    )
