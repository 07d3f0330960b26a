"""The App Home tab's view: within Slack's limits, escaped, honest when the index is unreadable."""

from __future__ import annotations

import json
import time

from bot.slack.views.home import home_view
from ingest.stores import IndexStats
from tests.slack.views.reading import doc


def test_home_view_respects_slack_limits_with_a_big_knowledge_base() -> None:
    stats = IndexStats(documents=5000, chunks=90000, last_updated=time.time(),
                       by_type={"guide": 4000, "report": 900, "weird_type": 100})
    view = home_view(stats=stats, latest=[doc(i) for i in range(50)], is_coach=True, help_contact="x" * 500)
    assert len(view["blocks"]) <= 100
    for b in view["blocks"]:
        if b["type"] == "section":
            assert len(b["text"]["text"]) <= 3000
    text = json.dumps(view, ensure_ascii=False)
    assert "*5000* documents (90000 passages)" in text and "• Guide: 4000\\n• Report: 900\\n• Weird type: 100" in text
    assert "Guide &lt;0&gt; &amp; more" in text and text.count("added <!date^") == 5


def test_home_view_when_the_index_cannot_be_read() -> None:
    view = home_view(stats=None, latest=[], is_coach=False, help_contact="Ms. R")
    assert "can't read the knowledge base right now" in json.dumps(view)
