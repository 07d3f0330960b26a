from __future__ import annotations

import pytest
from slack_sdk import WebClient

from bot.slack.conversation import (
    addressed_to_someone_else,
    clean_text,
    is_bot_thread,
    is_chatter,
    mentions,
    thread_history,
)
from ingest.domain import Answer
from ingest.stores import FeedbackStore
from tests.slack.fake_slack import FakeSlack


@pytest.mark.parametrize(
    ("raw", "plain"),
    [
        ("<@UBOT> how long are exit tickets?", "how long are exit tickets?"),
        ("<@UBOT|guidepost>   what   about <@U22|maria>?", "what about @maria?"),
        ("ask <@U22> about <#C1|grade-5>", "ask @someone about #grade-5"),
        ("<!here> <!channel> is 3 &lt; 5 &amp;&amp; 5 &gt; 2?", "is 3 < 5 && 5 > 2?"),
        ("see <https://x.example/a?b=1&amp;c=2|the guide> and <https://y.example>",
         "see the guide and https://y.example"),
        ("<!subteam^S1|@coaches> help", "@coaches help"),
        ("", ""),
        (None, ""),
    ],
)  # fmt: skip
def test_clean_text(raw: str | None, plain: str) -> None:
    assert clean_text(raw, "UBOT") == plain


def test_mentions_and_addressing() -> None:
    assert mentions("hey <@UBOT> x", "UBOT") and mentions("<@UBOT|g> x", "UBOT")
    assert not mentions("hey <@UBOTX> x", "UBOT") and not mentions("hi", "UBOT")
    assert addressed_to_someone_else("<@U22> can you share it?", "UBOT")
    assert not addressed_to_someone_else("<@UBOT> and grade 3?", "UBOT")
    assert not addressed_to_someone_else("and grade 3?", "UBOT")


@pytest.mark.parametrize("text", ["thanks!", "Thank you", "ok", "👍", ":+1:", ":tada: :raised_hands:", "got it, thanks"])
def test_chatter(text: str) -> None:
    assert is_chatter(text)


@pytest.mark.parametrize("text", ["and for grade 3?", "thanks, what about early finishers?", "ok so how long?"])
def test_not_chatter(text: str) -> None:
    assert not is_chatter(text)


def test_thread_history_roles_and_stored_answers(tmp_path, fake_slack: FakeSlack) -> None:
    client = WebClient(token="xoxb-test", base_url=fake_slack.url)
    store = FeedbackStore(tmp_path)
    root = fake_slack.add_message("C1", user="UT", text="<@UBOT> how long are exit tickets?")
    bot_ts = client.chat_postMessage(channel="C1", thread_ts=root, text="Five minutes [1]. Sources: …")["ts"]
    store.record_answer(Answer(question="q", text="Five minutes [1].", abstained=False), surface="mention",
                        channel="C1", question_ts=root, thread_ts=root, message_ts=bot_ts)  # fmt: skip
    fake_slack.add_message("C1", user="UX", text="a bot", thread_ts=root, bot_id="BOTHER")
    client.chat_postMessage(channel="C1", thread_ts=root, text="Searching the knowledge base…")  # in flight
    current = fake_slack.add_message("C1", user="UT", text="and for grade 3?", thread_ts=root)
    fake_slack.add_message("C1", user="UT", text="later message", thread_ts=root)

    history = thread_history(client, "C1", root, bot_user_id="UBOT", bot_id="BBOT", exclude_ts=current, store=store)
    assert history == [("user", "how long are exit tickets?"), ("assistant", "Five minutes [1].")]
    assert fake_slack.calls("conversations.replies")[0].params["ts"] == root


def test_is_bot_thread(tmp_path) -> None:
    store = FeedbackStore(tmp_path)
    assert is_bot_thread(store, "C1", "9.9", parent_user_id="UBOT", bot_user_id="UBOT")
    assert not is_bot_thread(store, "C1", "9.9", parent_user_id="UT", bot_user_id="UBOT")
