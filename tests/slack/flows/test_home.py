"""The App Home tab: published on app_home_opened; status, how to ask, and coach help for coaches.
(With a real knowledge base: see flows/test_curation.test_home_tab_shows_the_knowledge_base_status.)"""

from __future__ import annotations

import json

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
