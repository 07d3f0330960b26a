"""The App Home tab: published on app_home_opened; status, how to ask, and coach help for coaches.
(With a real knowledge base: see test_curation.test_home_tab_shows_the_knowledge_base_status.)"""

from __future__ import annotations

import json
import time

from bot.slack.home import home_view
from ingest.stores import IndexStats, SourceInfo
from tests.slack.fake_slack import FakeSlack
from tests.slack.signing import COACH, TEACHER, SlackSender


def open_home(sender: SlackSender, fake: FakeSlack, user: str) -> dict:
    r = sender.event({"type": "app_home_opened", "user": user, "channel": "D0HOME", "tab": "home"})
    assert r.status == 200
    call = fake.wait_for("views.publish", where=lambda c: c.params["user_id"] == user)[0]
    return call.params["view"]


def test_teachers_see_status_and_how_to_ask_but_not_coach_help(sender: SlackSender, fake_slack: FakeSlack) -> None:
    view = open_home(sender, fake_slack, TEACHER)
    text = json.dumps(view, ensure_ascii=False)
    assert view["type"] == "home"
    assert "*Knowledge base*\\nNothing is indexed yet: Ms. Rivera (instructional coach) can add documents." in text
    assert "*How to ask*" in text and "Save to planning notes" in text
    assert "For coaches" not in text and "Want a document added? Send it to Ms. Rivera" in text


def test_coaches_also_see_how_to_add_resources(sender: SlackSender, fake_slack: FakeSlack) -> None:
    text = json.dumps(open_home(sender, fake_slack, COACH), ensure_ascii=False)
    assert "For coaches: adding resources" in text and "/guidepost remove ID" in text and "/guidepost scope" in text


def test_the_messages_tab_publishes_nothing(sender: SlackSender, fake_slack: FakeSlack) -> None:
    sender.event({"type": "app_home_opened", "user": TEACHER, "channel": "D0HOME", "tab": "messages"})
    fake_slack.assert_quiet("views.publish", 0)


def doc(i: int) -> SourceInfo:
    return SourceInfo(id=f"d{i:015x}", title=f"Guide <{i}> & more " * 30, path=None, type="guide", grade="5",
                      subject="math", chunks=3, fmt="md", url=f"https://district.slack.com/files/U1/F{i}/g.md",
                      added_at=time.time() - i, updated_at=time.time(), source_key=f"slack:F{i}", extra={})  # fmt: skip


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
