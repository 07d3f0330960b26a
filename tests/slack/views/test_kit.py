"""Block Kit primitives: escaping, Slack's limits."""

from __future__ import annotations

import re

import pytest

from bot.slack.views import help as help_view
from bot.slack.views import kit


@pytest.mark.parametrize(
    ("raw", "escaped"),
    [
        ("a & b", "a &amp; b"),
        ("<!channel>", "&lt;!channel&gt;"),
        ("<@U123> <http://evil|click>", "&lt;@U123&gt; &lt;http://evil|click&gt;"),
        ("*bold* _it_ ~s~ `code` > quote", "*bold* _it_ ~s~ `code` &gt; quote"),
        ("&amp;", "&amp;amp;"),
    ],
)
def test_escape_mrkdwn_escapes_only_amp_lt_gt(raw: str, escaped: str) -> None:
    assert kit.escape_mrkdwn(raw) == escaped


def test_split_never_cuts_an_entity() -> None:
    pieces = kit.split_text(kit.escape_mrkdwn("&" * 5000))
    assert all(len(p) <= kit.MAX_SECTION_TEXT for p in pieces)
    assert all(re.fullmatch(r"(&amp;)+", p) for p in pieces)
    assert sum(p.count("&amp;") for p in pieces) == 5000


def test_truncate_never_leaves_half_an_entity() -> None:
    cut = kit.truncate("a" * 10 + "&amp;" * 10, 14)
    assert cut == "a" * 10 + "…" and len(cut) <= 14


def test_header_is_at_most_150_characters() -> None:
    assert len(kit.header("x" * 400)["text"]["text"]) == kit.MAX_HEADER_TEXT
    help_header = help_view.help_blocks(command="/" + "g" * 300)[0]
    assert len(help_header["text"]["text"]) <= kit.MAX_HEADER_TEXT


def test_button_value_limit() -> None:
    with pytest.raises(ValueError):
        kit.button("x", "a", "v" * 2001)
