"""Block Kit primitives every view is built from, and Slack's limits.

Everything that reaches Slack as mrkdwn goes through `escape_mrkdwn`, so text from a document
(or a question echoed back) can never ping a channel (`<!channel>`), mention someone
(`<@U…>`) or hide a link (`<http://evil|click>`). Slack asks for exactly three escapes:
`&`, `<` and `>`. Every builder respects Slack's limits (the constants below).
"""

from __future__ import annotations

import re
import time
from datetime import datetime
from typing import Any

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

_ENTITY_TAIL = re.compile(r"&[a-z]{0,4}$")


# --- text ------------------------------------------------------------------------------------


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


def one_line(text: str) -> str:
    return " ".join(text.split())


# --- blocks ----------------------------------------------------------------------------------


def plain(text: str, limit: int) -> dict[str, Any]:
    return {"type": "plain_text", "text": truncate(text, limit), "emoji": True}


def mrkdwn(text: str, limit: int = MAX_SECTION_TEXT) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": truncate(text, limit)}


def section(text: str) -> dict[str, Any]:
    """A section block; `text` is mrkdwn that is already escaped."""
    return {"type": "section", "text": mrkdwn(text or " ")}


def context(text: str) -> dict[str, Any]:
    """A context block with one mrkdwn element; `text` is already escaped."""
    return {"type": "context", "elements": [mrkdwn(text or " ", MAX_CONTEXT_TEXT)]}


def header(text: str) -> dict[str, Any]:
    return {"type": "header", "text": plain(text, MAX_HEADER_TEXT)}


def button(text: str, action_id: str, value: str, *, style: str | None = None) -> dict[str, Any]:
    if len(value) > MAX_BUTTON_VALUE:
        raise ValueError(f"button value is {len(value)} characters; Slack allows {MAX_BUTTON_VALUE}")
    element: dict[str, Any] = {
        "type": "button",
        "action_id": action_id,
        "text": plain(text, MAX_BUTTON_TEXT),
        "value": value,
    }
    if style:
        element["style"] = style
    return element


def notice_blocks(text: str) -> list[dict[str, Any]]:
    """One short line of our own (already safe) mrkdwn."""
    return [section(text)]


# --- links, ids, dates, tags -----------------------------------------------------------------


def safe_url(url: str) -> str | None:
    """An http(s) URL made safe inside `<url|label>`: `&` as an entity, and the characters
    that would end or split the link percent-encoded."""
    url = url.strip()
    if not re.match(r"(?i)^https?://[^\s]+$", url):
        return None
    return url.replace("&", "&amp;").replace("<", "%3C").replace(">", "%3E").replace("|", "%7C")


def doc_link(title: str, url: str | None) -> str:
    name = truncate(escape_mrkdwn(one_line(title) or "Untitled document"), 300)
    safe = safe_url(url) if url else None
    return f"<{safe}|{name}>" if safe else name


def slack_id(value: str) -> str:
    """A Slack id as given by Slack (U…/W…); anything else is neutralised."""
    return value if re.fullmatch(r"[A-Z0-9]{2,30}", value) else "unknown"


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
    try:
        return slack_date(datetime.fromisoformat(iso).timestamp())
    except ValueError:
        return escape_mrkdwn(iso[:10])


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
