"""Planning digests: "Save to planning notes" on answers, `/guidepost digest` (show, export as
Markdown with citations intact, clear), stored in the data dir so they survive restarts."""

from __future__ import annotations

from bot.slack import ids
from ingest.settings import Settings
from ingest.stores import DigestStore
from tests.slack.fake_engine import BOARD, GUIDE, UNCITED
from tests.slack.fake_slack import Call, FakeSlack
from tests.slack.signing import SlackSender, block_action, mention

SAVER = "USAVER"


def save_button(call: Call) -> dict | None:
    for b in call.params["blocks"]:
        for e in b.get("elements", []) if b["type"] == "actions" else []:
            if e["action_id"] == ids.ACTION_SAVE_PLANNING:
                return e
    return None


def ask_and_save(sender: SlackSender, fake: FakeSlack, question: str, ts: str, n: int = 1) -> Call:
    """Mention the bot in C0001, then press "Save to planning notes" on the answer."""
    sender.event(mention(f"<@UBOT> {question}", ts=ts))
    update = fake.wait_for("chat.update", count=n)[n - 1]
    button = save_button(update)
    assert button and button["text"]["text"] == "📌 Save to planning notes"
    sender.interaction(block_action(ids.ACTION_SAVE_PLANNING, button["value"], user=SAVER,
                                    response_url=fake.response_url(f"save{n}"), message_ts=update.params["ts"]))  # fmt: skip
    return fake.wait_for("response_url", where=lambda c: c.params["_name"] == f"save{n}")[0]


def test_save_show_export_and_clear(sender: SlackSender, fake_slack: FakeSlack, settings: Settings) -> None:
    saved = ask_and_save(sender, fake_slack, "how long are exit tickets?", "1700003000.000100")
    assert saved.params["response_type"] == "ephemeral" and saved.params["replace_original"] is False
    assert "Saved to this channel's planning notes (1 saved answer)" in saved.params["text"]

    # the digest survives a restart: it is in the data dir
    assert (settings.data_dir / "digests.sqlite3").exists()
    stored = DigestStore(settings.data_dir).current("C0001")
    assert [e.answer.question for e in stored.entries] == ["how long are exit tickets?"]
    assert [s.title for s in stored.entries[0].answer.sources] == [GUIDE.title, BOARD.title, UNCITED.title]
    assert stored.entries[0].saved_by == SAVER

    shown = sender.command("digest", response_url=fake_slack.response_url("show")).json()
    text = str(shown["blocks"])
    assert shown["text"] == "Planning notes: 1 saved answer"
    assert "Planning notes — 1 saved answer" in text and "*1. how long are exit tickets?*" in text
    assert "Saved by <@USAVER>" in text and "Sources: [1] Exit Ticket Routine (p. 3); [2] Grade 5 Fractions" in text

    r = sender.command("digest export", response_url=fake_slack.response_url("export"))
    assert r.json()["text"] == "Exporting the planning notes…"
    (complete,) = fake_slack.wait_for("files.completeUploadExternal")
    (url_call,) = fake_slack.calls("files.getUploadURLExternal")
    (upload,) = fake_slack.calls("upload")
    file_id = url_call.response["file_id"]
    assert upload.path == f"/upload/{file_id}" and complete.params["files"][0]["id"] == file_id
    assert complete.params["channel_id"] == "C0001"
    assert url_call.params["filename"].startswith("planning-notes-grade-5-") and url_call.params["filename"].endswith(".md")
    assert "exported this channel's planning notes: 1 saved answer" in complete.params["initial_comment"]

    markdown = fake_slack.uploaded(file_id).decode()
    assert markdown.startswith("# Planning notes — #grade-5\n")
    assert "## 1. how long are exit tickets?" in markdown and "_Saved by User USAVER on " in markdown
    assert "Exit tickets take five minutes at the end of the lesson [1]. Early finishers use the choice board [2]." in markdown
    assert ('- [1] **Exit Ticket Routine**, p. 3: "Exit tickets take five minutes at the end of the lesson." '
            "([https://docs.example.org/exit-tickets?id=1&page=3](https://docs.example.org/exit-tickets?id=1&page=3))") in markdown
    assert ('- [2] **Grade 5 Fractions Choice Board**, Early finishers: "Early finishers pick any square in row two." '
            "(`knowledge/boards/fractions.docx`)") in markdown
    assert UNCITED.title not in markdown  # not cited by the answer
    done = fake_slack.wait_for("response_url", where=lambda c: c.params["_name"] == "export")[0]
    assert "Uploaded `planning-notes-grade-5-" in done.params["text"] and done.params["replace_original"] is True

    cleared = sender.command("digest clear", response_url=fake_slack.response_url()).json()
    assert "Started new planning notes" in cleared["text"] and "previous 1 saved answer is archived" in cleared["text"]
    empty = sender.command("digest", response_url=fake_slack.response_url()).json()
    assert "planning notes are empty" in str(empty["blocks"])


def test_saving_twice_keeps_one_copy_and_channels_have_their_own_digest(
    sender: SlackSender, fake_slack: FakeSlack, settings: Settings
) -> None:
    first = ask_and_save(sender, fake_slack, "how long are exit tickets?", "1700003100.000100")
    update = fake_slack.calls("chat.update")[0]
    sender.interaction(block_action(ids.ACTION_SAVE_PLANNING, save_button(update)["value"],  # type: ignore[index]
                                    response_url=fake_slack.response_url("again")))  # fmt: skip
    again = fake_slack.wait_for("response_url", where=lambda c: c.params["_name"] == "again")[0]
    assert "already in this channel's planning notes (1 saved answer)" in again.params["text"]
    assert "(1 saved answer)" in first.params["text"]
    assert DigestStore(settings.data_dir).current("C0OTHER").entries == []


def test_an_answer_saved_from_a_private_slash_command_goes_to_that_channels_digest(
    sender: SlackSender, fake_slack: FakeSlack, settings: Settings
) -> None:
    sender.command("how long are exit tickets?", response_url=fake_slack.response_url("ask"), channel="C0PLAN")
    reply = fake_slack.wait_for("response_url")[0]
    button = save_button(reply)
    assert button
    sender.interaction(block_action(ids.ACTION_SAVE_PLANNING, button["value"], channel="C0PLAN",
                                    response_url=fake_slack.response_url("save")))  # fmt: skip
    fake_slack.wait_for("response_url", where=lambda c: c.params["_name"] == "save")
    assert len(DigestStore(settings.data_dir).current("C0PLAN").entries) == 1


def test_an_abstention_has_no_save_button(sender: SlackSender, fake_slack: FakeSlack) -> None:
    sender.event(mention("<@UBOT> an unknowable thing", ts="1700003200.000100"))
    update = fake_slack.wait_for("chat.update")[0]
    assert save_button(update) is None


def test_export_of_an_empty_digest_and_upload_errors(sender: SlackSender, fake_slack: FakeSlack) -> None:
    sender.command("digest export", response_url=fake_slack.response_url("e1"))
    nothing = fake_slack.wait_for("response_url", where=lambda c: c.params["_name"] == "e1")[0]
    assert "nothing to export yet" in nothing.params["text"]
    assert not fake_slack.calls("files.getUploadURLExternal")

    ask_and_save(sender, fake_slack, "how long are exit tickets?", "1700003300.000100")
    fake_slack.fail_next("files.completeUploadExternal", error="not_in_channel")
    sender.command("digest export", response_url=fake_slack.response_url("e2"))
    refused = fake_slack.wait_for("response_url", where=lambda c: c.params["_name"] == "e2")[0]
    assert "I'm not in this channel: invite me" in refused.params["text"]


def test_export_button_under_the_digest(sender: SlackSender, fake_slack: FakeSlack) -> None:
    ask_and_save(sender, fake_slack, "how long are exit tickets?", "1700003400.000100")
    shown = sender.command("digest", response_url=fake_slack.response_url()).json()
    (actions,) = [b for b in shown["blocks"] if b["type"] == "actions"]
    assert actions["elements"][0]["action_id"] == ids.ACTION_DIGEST_EXPORT
    sender.interaction(block_action(ids.ACTION_DIGEST_EXPORT, "C0001", response_url=fake_slack.response_url("btn")))
    fake_slack.wait_for("files.completeUploadExternal")
    done = fake_slack.wait_for("response_url", where=lambda c: c.params["_name"] == "btn")[0]
    assert "Uploaded" in done.params["text"] and done.params["replace_original"] is False
