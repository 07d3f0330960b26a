"""Coaches curate the knowledge base from Slack, end to end: the real Bolt app over signed HTTP,
the fake Slack Web API (files.info, a download that needs the bearer token), a real knowledge
base in a temp data dir, the real encoder and the real answer engine."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from slack_sdk import WebClient

from bot.slack import ids
from bot.slack.context import BotContext
from bot.slack.flows.curation import add_file
from ingest.domain import Tags
from ingest.library import Library
from ingest.settings import Settings
from tests.fixtures import MARKDOWN_BODY, make_encrypted_pdf, make_textless_pdf, pdf_bytes
from tests.slack.fake_engine import FakeEngine
from tests.slack.fake_slack import Call, FakeSlack
from tests.slack.signing import COACH, SlackSender, block_action, file_share, mention, message, view_submission

BOARD_ID = "F0BOARD0001"
BOARD_NAME = "fractions-board.md"
BOARD_TITLE = "Choice Board: Fractions"
DM = "D0COACH"


@pytest.fixture
def engine(settings: Settings, encoder: Any) -> Any:
    """The real engine over a real knowledge base in the test's data dir."""
    from bot.engine.answer import Engine
    from ingest.stores import KnowledgeBase

    return Engine(settings, KnowledgeBase(settings), encoder)


@pytest.fixture
def library(settings: Settings, engine: Any) -> Library:
    """What coaches add goes into the index the engine answers from (as `guidepost serve` does)."""
    return Library(settings, engine.kb, engine.encoder)


def share(sender: SlackSender, fake: FakeSlack, file_id: str, name: str, content: bytes, text: str, *, ts: str,
          user: str = COACH, **kw: Any) -> None:  # fmt: skip
    fake.add_file(file_id, name, content, user=user, mimetype=kw.pop("mimetype", "text/markdown"), **kw)
    r = sender.event(file_share(text, [fake.file_object(file_id)], ts=ts, user=user))
    assert r.status == 200


def result_of(fake: FakeSlack, n: int = 1) -> Call:
    """The n-th "Adding…" placeholder replaced with its result."""
    return fake.wait_for("chat.update", count=n, timeout=60)[n - 1]


def edit_button(call: Call) -> dict[str, Any]:
    return next(b["accessory"] for b in call.params["blocks"] if b.get("accessory", {}).get("action_id") == ids.ACTION_EDIT_TAGS)


def test_a_file_shared_in_a_dm_is_downloaded_with_the_token_and_indexed(
    sender: SlackSender, fake_slack: FakeSlack, engine: Any
) -> None:
    share(sender, fake_slack, BOARD_ID, BOARD_NAME, MARKDOWN_BODY.encode(), "type: choice board, grade 5, subject math",
          ts="1700001000.000100")  # fmt: skip

    placeholder = fake_slack.wait_for("chat.postMessage")[0]
    assert placeholder.params["channel"] == DM and f"Adding {BOARD_NAME}" in placeholder.blocks_json
    update = result_of(fake_slack)
    assert update.params["ts"] == placeholder.response["ts"]

    assert [c.params["file"] for c in fake_slack.calls("files.info")] == [BOARD_ID]
    (download,) = fake_slack.calls("file")
    assert download.params["_id"] == BOARD_ID
    assert download.headers["authorization"] == "Bearer xoxb-test"

    doc = engine.kb.find(f"slack:{BOARD_ID}")
    assert (doc.title, doc.type, doc.grade, doc.subject) == (BOARD_TITLE, "choice_board", "5", "math")
    assert doc.url == f"https://district.slack.com/files/{COACH}/{BOARD_ID}/{BOARD_NAME}"
    assert doc.extra["slack"]["added_by"] == COACH and doc.extra["slack"]["channel"] == DM
    assert doc.chunks >= 1

    text = update.blocks_json
    assert f"Added <{doc.url}|{BOARD_TITLE}>: {doc.chunks} passage" in text
    assert "type *choice board* · grade *5* · subject *math*" in text and doc.id in text
    assert edit_button(update)["value"] == doc.id
    assert update.params["text"].startswith(f"Added: {BOARD_TITLE}")


def test_sharing_the_same_file_again_is_recognised_and_keeps_its_tags(
    sender: SlackSender, fake_slack: FakeSlack, engine: Any
) -> None:
    share(sender, fake_slack, BOARD_ID, BOARD_NAME, MARKDOWN_BODY.encode(), "type: choice board, subject math",
          ts="1700001100.000100")  # fmt: skip
    result_of(fake_slack)
    first = engine.kb.find(f"slack:{BOARD_ID}")

    sender.event(file_share("", [fake_slack.file_object(BOARD_ID)], ts="1700001101.000100"))  # no tags this time
    again = result_of(fake_slack, 2)
    assert "already in the knowledge base, unchanged" in again.blocks_json
    doc = engine.kb.find(f"slack:{BOARD_ID}")
    assert (doc.type, doc.subject, doc.updated_at) == ("choice_board", "math", first.updated_at)
    assert len(engine.kb.sources()) == 1


def test_a_file_without_a_type_is_indexed_and_offers_edit_tags_which_stores_the_new_tags(
    sender: SlackSender, fake_slack: FakeSlack, engine: Any
) -> None:
    share(sender, fake_slack, BOARD_ID, BOARD_NAME, MARKDOWN_BODY.encode(), "the new board", ts="1700001200.000100")
    update = result_of(fake_slack)
    assert "filed as *other*" in update.blocks_json
    doc_id = edit_button(update)["value"]

    # Edit tags → a modal with the type select and the grade and subject fields
    r = sender.interaction(block_action(ids.ACTION_EDIT_TAGS, doc_id, response_url=fake_slack.response_url("added"),
                                        user=COACH, channel=DM))  # fmt: skip
    assert r.status == 200
    (opened,) = fake_slack.wait_for("views.open")
    view = opened.params["view"]
    assert view["callback_id"] == ids.TAGS_MODAL and opened.params["trigger_id"].startswith("trig.")
    assert [b.get("block_id") for b in view["blocks"] if b["type"] == "input"] == ["type", "grade", "subject", "review_by"]
    options = [o["value"] for o in view["blocks"][1]["element"]["options"]]
    assert options == ["report", "lesson_template", "choice_board", "guide", "other"]

    def values(doc_type: str, grade: str, subject: str) -> dict[str, Any]:
        return {
            "type": {"value": {"type": "static_select", "selected_option": {"value": doc_type}}},
            "grade": {"value": {"type": "plain_text_input", "value": grade}},
            "subject": {"value": {"type": "plain_text_input", "value": subject}},
        }

    # a bad grade is shown beside its field; nothing is re-indexed
    bad = sender.interaction(view_submission(ids.TAGS_MODAL, values("choice_board", "13", "math"),
                                             private_metadata=view["private_metadata"], user=COACH))  # fmt: skip
    assert bad.status == 200
    assert bad.json()["response_action"] == "errors" and "unknown grade" in bad.json()["errors"]["grade"]

    ok = sender.interaction(view_submission(ids.TAGS_MODAL, values("choice_board", "3-5", "Maths"),
                                            private_metadata=view["private_metadata"], user=COACH))  # fmt: skip
    assert ok.status == 200 and ok.body == ""
    done = fake_slack.wait_for("response_url", timeout=60, where=lambda c: c.params["_name"] == "added")[0]
    assert done.params["replace_original"] is True
    assert "Updated" in done.blocks_json and "type *choice board* · grade *3-5* · subject *math*" in done.blocks_json
    doc = engine.kb.find(doc_id)
    assert (doc.type, doc.grade, doc.subject) == ("choice_board", "3-5", "math")
    assert doc.extra["slack"]["tagged_by"] == COACH
    assert len(fake_slack.calls("file")) == 2  # fetched again from Slack to re-index


@pytest.mark.parametrize(
    ("name", "make", "reason", "downloaded"),
    [
        ("grades.xlsx", lambda d: b"PK\x03\x04 not really", "*grades.xlsx*: it is a .xlsx file, which Guidepost cannot read", False),
        ("blank.md", lambda d: b"   \n\n  ", "*blank.md*: it contains only blank space", True),
        ("locked.pdf", lambda d: make_encrypted_pdf(d).read_bytes(), "*locked.pdf*: it is protected by a password", True),
        ("scan.pdf", lambda d: make_textless_pdf(d).read_bytes(), "*scan.pdf*: it has no extractable text", True),
        ("notes.txt", lambda d: b"\x00\x01\x02binary\x00" * 50, "*notes.txt*: it contains binary data", True),
    ],
)  # fmt: skip
def test_a_bad_file_is_answered_with_its_reason(
    sender: SlackSender, fake_slack: FakeSlack, engine: Any, tmp_path: Path, name: str, make: Any, reason: str,
    downloaded: bool,
) -> None:  # fmt: skip
    share(sender, fake_slack, "F0BAD00001", name, make(tmp_path), "type: guide", ts="1700001300.000100")
    update = result_of(fake_slack)
    assert ":warning: I couldn't add" in update.blocks_json and reason in update.blocks_json
    assert ids.ACTION_EDIT_TAGS not in update.blocks_json
    assert bool(fake_slack.calls("file")) is downloaded
    assert engine.kb.sources() == []


def test_a_sign_in_page_instead_of_the_file_is_explained(sender: SlackSender, fake_slack: FakeSlack, engine: Any) -> None:
    share(sender, fake_slack, "F0HTML0001", "guide.pdf", b"<html>Sign in to Slack</html>", "", ts="1700001350.000100",
          mimetype="text/html; charset=utf-8")  # fmt: skip
    update = result_of(fake_slack)
    assert "Slack sent a sign-in page instead of guide.pdf: the app needs the files:read permission" in update.blocks_json


def test_an_expired_trigger_is_explained(sender: SlackSender, fake_slack: FakeSlack, engine: Any) -> None:
    share(sender, fake_slack, BOARD_ID, BOARD_NAME, MARKDOWN_BODY.encode(), "", ts="1700001360.000100")
    doc_id = edit_button(result_of(fake_slack))["value"]
    fake_slack.fail_next("views.open", error="expired_trigger_id")
    sender.interaction(block_action(ids.ACTION_EDIT_TAGS, doc_id, response_url=fake_slack.response_url("late"), user=COACH))
    late = fake_slack.wait_for("response_url", where=lambda c: c.params["_name"] == "late")[0]
    assert "that took too long. Press *Edit tags* again" in late.params["text"]


def test_the_size_limit_is_checked_before_downloading(sender: SlackSender, fake_slack: FakeSlack, engine: Any) -> None:
    share(sender, fake_slack, "F0BIG00001", "huge.pdf", pdf_bytes(), "", ts="1700001400.000100", size=60 * 1024 * 1024,
          mimetype="application/pdf")  # fmt: skip
    update = result_of(fake_slack)
    assert "*huge.pdf*: it is 60 MB, over the 50 MB limit (GUIDEPOST_MAX_FILE_MB)" in update.blocks_json
    assert not fake_slack.calls("file")


def test_an_explicit_bad_tag_is_refused_before_anything_is_fetched(
    sender: SlackSender, fake_slack: FakeSlack, engine: Any
) -> None:
    share(sender, fake_slack, BOARD_ID, BOARD_NAME, MARKDOWN_BODY.encode(), "type: worksheet", ts="1700001500.000100")
    note = fake_slack.wait_for("chat.postMessage")[0]
    assert "I didn't add the file: unknown document type 'worksheet'" in note.blocks_json
    fake_slack.assert_quiet("files.info", 0)


def test_guidepost_add_takes_the_latest_file_the_coach_shared_in_the_channel(
    sender: SlackSender, fake_slack: FakeSlack, engine: Any
) -> None:
    fake_slack.add_file("F0OLD00001", "old.md", b"# Old\n\nAn older file.", user=COACH)
    fake_slack.add_file(BOARD_ID, BOARD_NAME, MARKDOWN_BODY.encode(), user=COACH)
    fake_slack.add_file("F0OTHER001", "other.md", b"# Other\n\nSomeone else's file.", user="UOTHER")
    fake_slack.add_message("C0PLAN", user=COACH, text="old one", files=["F0OLD00001"])
    fake_slack.add_message("C0PLAN", user=COACH, text="here is the board", files=[BOARD_ID])
    fake_slack.add_message("C0PLAN", user="UOTHER", text="mine", files=["F0OTHER001"])
    fake_slack.add_message("C0PLAN", user=COACH, text="no file here")

    r = sender.command("add type=choice_board grade=5 subject=math", response_url=fake_slack.response_url("add"),
                       user=COACH, channel="C0PLAN")  # fmt: skip
    assert r.status == 200 and r.json()["text"] == "Looking for the file…"
    done = fake_slack.wait_for("response_url", count=2, timeout=60)[-1]
    assert done.params["replace_original"] is True and "Added <" in done.blocks_json and BOARD_TITLE in done.blocks_json
    assert [c.params["file"] for c in fake_slack.calls("files.info")] == [BOARD_ID]
    history = fake_slack.calls("conversations.history")[0]
    assert history.params["channel"] == "C0PLAN"
    doc = engine.kb.find(f"slack:{BOARD_ID}")
    assert (doc.type, doc.grade, doc.subject) == ("choice_board", "5", "math")
    assert doc.extra["slack"]["channel"] == "C0PLAN"


def test_guidepost_add_with_a_file_link(sender: SlackSender, fake_slack: FakeSlack, engine: Any) -> None:
    info = fake_slack.add_file(BOARD_ID, BOARD_NAME, MARKDOWN_BODY.encode(), user=COACH)
    sender.command(f"add <{info['permalink']}|{BOARD_NAME}> type: lesson template", user=COACH,
                   response_url=fake_slack.response_url("add"))  # fmt: skip
    done = fake_slack.wait_for("response_url", count=2, timeout=60)[-1]
    assert "type *lesson template*" in done.blocks_json
    assert not fake_slack.calls("conversations.history")


def test_guidepost_add_without_a_file_says_how(sender: SlackSender, fake_slack: FakeSlack, engine: Any) -> None:
    sender.command("add", response_url=fake_slack.response_url(), user=COACH, channel="C0EMPTY")
    reply = fake_slack.wait_for("response_url")[0]
    assert "I couldn't find a file you shared here recently" in reply.params["text"]


def test_sources_lists_documents_newest_first_in_pages_and_remove_removes_one(
    sender: SlackSender, fake_slack: FakeSlack, engine: Any
) -> None:
    for i in range(12):
        fid = f"F0DOC{i:05d}"
        fake_slack.add_file(fid, f"doc{i}.md", f"# Document {i}\n\nPassage number {i} about routines.".encode())
        sender.event(file_share(f"type: guide, grade {i % 12 + 1}", [fake_slack.file_object(fid)], ts=f"17000016{i:02d}.000100"))
        result_of(fake_slack, i + 1)

    r = sender.command("sources", response_url=fake_slack.response_url())
    page1 = r.json()
    assert page1["text"] == "12 documents in the knowledge base"
    text = json.dumps(page1["blocks"], ensure_ascii=False)
    assert "Knowledge base — 12 documents" in text and "Page 1 of 2" in text
    titles = [b["text"]["text"].split("|")[1].split(">")[0] for b in page1["blocks"] if b["type"] == "section"]
    assert titles == [f"Document {i}" for i in range(11, 1, -1)]  # newest first
    (nav,) = [b for b in page1["blocks"] if b["type"] == "actions"]
    assert [(e["text"]["text"], e["value"]) for e in nav["elements"]] == [("Older →", "2")]

    sender.interaction(block_action(ids.ACTION_SOURCES_PAGE, "2", response_url=fake_slack.response_url("page")))
    page2 = fake_slack.wait_for("response_url", where=lambda c: c.params["_name"] == "page")[0]
    assert "Document 1" in page2.blocks_json and "Document 0" in page2.blocks_json and "Document 2" not in page2.blocks_json
    assert "← Newer" in page2.blocks_json

    doc = engine.kb.find("slack:F0DOC00003")
    r = sender.command(f"remove {doc.id}", response_url=fake_slack.response_url("rm"), user=COACH)
    assert r.status == 200
    removed = fake_slack.wait_for("response_url", where=lambda c: c.params["_name"] == "rm")[0]
    assert f"Removed *Document 3* (`{doc.id}`)" in removed.params["text"]
    assert len(engine.kb.sources()) == 11 and "Document 3" not in [d.title for d in engine.kb.sources()]

    sender.command("remove dnope", response_url=fake_slack.response_url("rm2"), user=COACH)
    missing = fake_slack.wait_for("response_url", where=lambda c: c.params["_name"] == "rm2")[0]
    assert "No document in the knowledge base has the id `dnope`" in missing.params["text"]


def test_citations_of_a_slack_file_link_to_it_in_slack(sender: SlackSender, fake_slack: FakeSlack, engine: Any) -> None:
    share(sender, fake_slack, BOARD_ID, BOARD_NAME, MARKDOWN_BODY.encode(), "type: choice board, grade 5, subject math",
          ts="1700001700.000100")  # fmt: skip
    result_of(fake_slack)
    sender.event(message("How many activities do students pick from the fractions choice board?",
                         ts="1700001701.000100", channel="D0TEACH", channel_type="im"))  # fmt: skip
    answer = fake_slack.wait_for("chat.update", count=2, timeout=30)[-1]
    assert answer.params["channel"] == "D0TEACH"
    permalink = f"https://district.slack.com/files/{COACH}/{BOARD_ID}/{BOARD_NAME}"
    assert f"<{permalink}|Open the document>" in answer.blocks_json
    assert f"*{BOARD_TITLE}*" in answer.blocks_json


def test_home_tab_shows_the_knowledge_base_status(sender: SlackSender, fake_slack: FakeSlack, engine: Any) -> None:
    share(sender, fake_slack, BOARD_ID, BOARD_NAME, MARKDOWN_BODY.encode(), "type: choice board", ts="1700001800.000100")
    result_of(fake_slack)
    sender.event({"type": "app_home_opened", "user": COACH, "channel": DM, "tab": "home"})
    (published,) = fake_slack.wait_for("views.publish")
    assert published.params["user_id"] == COACH
    view = published.params["view"]
    text = json.dumps(view)
    assert view["type"] == "home" and len(view["blocks"]) <= 100
    assert "*1* document (1 passage)" in text and "Choice board: 1" in text and "last updated <!date^" in text
    assert "*Latest additions*" in text and BOARD_TITLE in text
    assert "For coaches: adding resources" in text


def test_the_engine_hears_when_the_index_changes(settings: Settings, fake_slack: FakeSlack, engine: Any) -> None:
    heard: list[str] = []

    class Watching(FakeEngine):
        def index_changed(self) -> None:
            heard.append("changed")

    client = WebClient(token="xoxb-test", base_url=fake_slack.url)
    ctx = BotContext.build(settings, Watching(), client, library=Library(settings, engine.kb, engine.encoder))
    try:
        fake_slack.add_file(BOARD_ID, BOARD_NAME, MARKDOWN_BODY.encode())
        added = add_file(ctx, BOARD_ID, Tags(), user=COACH, channel=DM)
        assert added.status == "indexed" and heard == ["changed"]
        assert add_file(ctx, BOARD_ID, Tags(), user=COACH, channel=DM).status == "unchanged" and len(heard) == 1
        ctx.library.remove(added.doc_id)
        assert len(heard) == 2
    finally:
        ctx.close()


LIGHTHOUSE = (
    "# Warm-up routine for a spelling choice board\n\n## How it works\n"
    "The lighthouse warm-up has each student circle three words they misspelled last week and pick "
    "the choice-board column that practises them."
)


def test_a_coachs_new_file_is_quoted_first_when_a_teacher_asks_about_it(
    sender: SlackSender, fake_slack: FakeSlack, engine: Any, shared: Path
) -> None:
    """Issue 8: the file's only paragraph sits on the line under a heading; the answer must quote
    it as its first point, cited [1], not sentences from the other documents."""
    from ingest.pipeline import Ingestor

    Ingestor(engine.settings, engine.kb, engine.encoder).ingest_paths([shared / "seeds"])  # distractors
    share(sender, fake_slack, "F0LIGHT0001", "warm-up.md", LIGHTHOUSE.encode(), "type: choice board",
          ts="1700002000.000100")  # fmt: skip
    assert "Added" in result_of(fake_slack).blocks_json
    engine.index_changed()

    from tests.slack.signing import mention

    sender.event(mention("<@UBOT> What does the lighthouse warm-up have students do?", ts="1700002001.000100"))
    answer = fake_slack.wait_for("chat.update", count=2, timeout=60)[1]
    text = answer.params["text"]
    first = text.splitlines()[0] if "•" not in text else text[text.index("•"):].splitlines()[0]
    assert "circle three words they misspelled last week" in first and "[1]" in first, text
    assert "When I pick my own kids up" not in answer.blocks_json


def _button(call: Call, action_id: str) -> dict[str, Any]:
    return next(e for b in call.params["blocks"] if b["type"] == "actions" for e in b["elements"] if e["action_id"] == action_id)


def test_a_file_with_student_personal_data_is_held_back_until_a_coach_says_index_anyway(
    sender: SlackSender, fake_slack: FakeSlack, engine: Any
) -> None:
    from tests.ingest.privacy_samples import gradebook_markdown

    share(sender, fake_slack, "F0GRADES01", "gradebook.md", gradebook_markdown(), "type: report", ts="1700001700.000100")
    update = result_of(fake_slack)
    text = update.blocks_json
    assert "looks like it holds student personal data" in text and "Maria Lopez" not in text
    assert "line " in text and "roster or gradebook table" in text  # what and where, masked
    assert engine.kb.sources() == []  # not indexed
    anyway = _button(update, ids.ACTION_INDEX_ANYWAY)
    assert _button(update, ids.ACTION_INDEX_CANCEL)

    # a teacher pressing it is refused
    sender.interaction(block_action(ids.ACTION_INDEX_ANYWAY, anyway["value"], response_url=fake_slack.response_url("t"),
                                    channel=DM))  # fmt: skip
    refused = fake_slack.wait_for("response_url", where=lambda c: c.params["_name"] == "t")[0]
    assert "coach" in refused.params["text"].lower() and engine.kb.sources() == []

    sender.interaction(block_action(ids.ACTION_INDEX_ANYWAY, anyway["value"], response_url=fake_slack.response_url("ok"),
                                    user=COACH, channel=DM))  # fmt: skip
    done = fake_slack.wait_for("response_url", count=2, timeout=60, where=lambda c: c.params["_name"] == "ok")[-1]
    assert "Added" in done.blocks_json and done.params["replace_original"] is True
    doc = engine.kb.find("slack:F0GRADES01")
    override = doc.extra["personal_data_override"]
    assert override["by"] == COACH and override["at"][:4].isdigit() and doc.type == "report"


def test_cancel_leaves_a_file_with_personal_data_out(sender: SlackSender, fake_slack: FakeSlack, engine: Any) -> None:
    from tests.ingest.privacy_samples import gradebook_markdown

    share(sender, fake_slack, "F0GRADES02", "gradebook.md", gradebook_markdown(), "", ts="1700001800.000100")
    cancel = _button(result_of(fake_slack), ids.ACTION_INDEX_CANCEL)
    sender.interaction(block_action(ids.ACTION_INDEX_CANCEL, cancel["value"], response_url=fake_slack.response_url("c"),
                                    user=COACH, channel=DM))  # fmt: skip
    gone = fake_slack.wait_for("response_url", where=lambda c: c.params["_name"] == "c")[0]
    assert "Cancelled: *gradebook.md* was not added" in gone.params["text"] and engine.kb.sources() == []


def test_guidepost_add_a_link_acks_first_then_indexes_the_page_and_refresh_fetches_only_what_changed(
    sender: SlackSender, fake_slack: FakeSlack, engine: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.web_site import serve_site

    monkeypatch.setenv("GUIDEPOST_ALLOW_PRIVATE_URLS", "1")
    with serve_site() as site:
        link = site.put("/stations", "Station Rotation", "Split the class into three groups that rotate between stations.")
        r = sender.command(f"add <{link}> type=guide grade=3-5", response_url=fake_slack.response_url("add"), user=COACH,
                           channel="C0PLAN")  # fmt: skip
        assert r.status == 200 and r.json()["text"] == "Fetching the page…"  # the ack comes first
        done = fake_slack.wait_for("response_url", timeout=60, where=lambda c: c.params["_name"] == "add")[-1]
        assert f"Added <{link}|Station Rotation>" in done.blocks_json and "grade *3-5*" in done.blocks_json
        assert ids.ACTION_EDIT_TAGS not in done.blocks_json
        doc = engine.kb.find(link)
        assert (doc.url, doc.type, doc.extra["slack"]["added_by"]) == (link, "guide", COACH)
        assert not fake_slack.calls("files.info")

        sender.command("refresh", response_url=fake_slack.response_url("r1"), user=COACH)
        same = fake_slack.wait_for("response_url", timeout=60, where=lambda c: c.params["_name"] == "r1")[-1]
        assert "already in the knowledge base, unchanged" in same.blocks_json and site.statuses("/stations")[-1] == 304

        site.put("/stations", "Station Rotation", "Split the class into four groups; one station is always teacher-led.")
        sender.command(f"refresh {doc.id}", response_url=fake_slack.response_url("r2"), user=COACH)
        updated = fake_slack.wait_for("response_url", timeout=60, where=lambda c: c.params["_name"] == "r2")[-1]
        assert "Updated" in updated.blocks_json and engine.kb.find(link).updated_at > doc.updated_at

        sender.command(f"add {link}", response_url=fake_slack.response_url("t"))  # a teacher
        refused = fake_slack.wait_for("response_url", where=lambda c: c.params["_name"] == "t")[-1]
        assert "coach" in refused.params["text"].lower()


def test_standard_codes_filter_the_slash_command_and_a_channel_scope_and_show_on_citations(
    sender: SlackSender, fake_slack: FakeSlack, engine: Any, settings: Settings
) -> None:
    lists = b"# Lists\n\nThis lesson covers 3A-AP-14. Students append items to a list and index into it, starting at zero.\n"
    loops = b"# Loops\n\nA for loop repeats a block of code once for each item in a list; students trace it on paper.\n"
    share(sender, fake_slack, "F0LISTS001", "lists.md", lists, "type: lesson template", ts="1700001900.000100")
    share(sender, fake_slack, "F0LOOPS001", "loops.md", loops, "type: lesson template", ts="1700001901.000100")
    result_of(fake_slack, 2)
    assert engine.kb.find("slack:F0LISTS001").extra["standards"] == ["3A-AP-14"]
    assert "standards" not in engine.kb.find("slack:F0LOOPS001").extra

    sender.command("standard=3a-ap-14 how do students use a list?", response_url=fake_slack.response_url("q"))
    answer = fake_slack.wait_for("response_url", timeout=60, where=lambda c: c.params["_name"] == "q")[-1]
    cited = answer.blocks_json
    assert "Lists" in cited and "Loops" not in cited and "3A-AP-14" in cited
    assert "standard: 3A-AP-14" in cited  # the answer says it was limited

    r = sender.command("standard=XYZ how do students use a list?", response_url=fake_slack.response_url("bad"))
    assert "not a standard code" in r.json()["text"]

    sender.command("scope standard=3A-AP-14", response_url=fake_slack.response_url("s"), user=COACH, channel="C0CS")
    fake_slack.wait_for("response_url", where=lambda c: c.params["_name"] == "s")
    assert json.loads((settings.data_dir / "channel_scopes.json").read_text())["C0CS"]["standards"] == ["3A-AP-14"]
    sender.command("how do students repeat code for each item?", response_url=fake_slack.response_url("q2"), channel="C0CS")
    scoped = fake_slack.wait_for("response_url", timeout=60, where=lambda c: c.params["_name"] == "q2")[-1]
    assert "Loops" not in scoped.blocks_json


def test_fresh_sources_overdue_flags_and_planning_notes_citing_a_replaced_or_removed_source(
    sender: SlackSender, fake_slack: FakeSlack, engine: Any, settings: Settings
) -> None:
    board = b"---\nreview_by: 2020-01-31\n---\n# Exit Tickets\n\nExit tickets take five minutes at the end of the lesson.\n"
    share(sender, fake_slack, BOARD_ID, "exit.md", board, "type: guide", ts="1700002000.000100")
    result_of(fake_slack)
    doc = engine.kb.find(f"slack:{BOARD_ID}")
    assert doc.review_by == "2020-01-31" and doc.overdue()

    # coaches see it flagged in /guidepost sources and on App Home; teachers do not
    coach_list = sender.command("sources", response_url=fake_slack.response_url(), user=COACH).json()
    assert "review overdue" in str(coach_list["blocks"]) and "1 document is past its review date" in str(coach_list["blocks"])
    assert "review overdue" not in str(sender.command("sources", response_url=fake_slack.response_url()).json()["blocks"])
    sender.event({"type": "app_home_opened", "user": COACH, "channel": "D0HOME", "tab": "home"})
    home = fake_slack.wait_for("views.publish")[0]
    assert "Due for review" in home.blocks_json or "Due for review" in json.dumps(home.params["view"])

    # an answer citing it is saved to the channel's planning notes
    sender.event(mention("<@UBOT> how long do exit tickets take?", ts="1700002001.000100"))
    answered = fake_slack.wait_for("chat.update", count=2, timeout=60)[-1]
    button = next(e for b in answered.params["blocks"] if b["type"] == "actions" for e in b["elements"]
                  if e["action_id"] == ids.ACTION_SAVE_PLANNING)  # fmt: skip
    sender.interaction(block_action(ids.ACTION_SAVE_PLANNING, button["value"], response_url=fake_slack.response_url("save"),
                                    user="UTEACH", channel="C0001"))  # fmt: skip
    fake_slack.wait_for("response_url", where=lambda c: c.params["_name"] == "save")

    def told() -> list[Call]:
        return [c for c in fake_slack.calls("chat.postMessage") if c.params.get("channel") == "C0001"
                and "planning notes changed" in c.params.get("text", "")]  # fmt: skip

    # the coach shares an edited version: the note is marked and the channel told once
    fake_slack.add_file(BOARD_ID, "exit.md", board.replace(b"five", b"three"), user=COACH, mimetype="text/markdown")
    sender.event(file_share("", [fake_slack.file_object(BOARD_ID)], ts="1700002002.000100"))
    fake_slack.wait_for("chat.postMessage", timeout=60, where=lambda c: "planning notes changed" in c.params.get("text", ""))
    assert len(told()) == 1 and "source updated on" in told()[0].params["text"] and "Exit Tickets" in told()[0].params["text"]
    shown = sender.command("digest", response_url=fake_slack.response_url(), channel="C0001").json()
    assert "Exit Tickets: source updated on" in str(shown["blocks"])

    sender.command(f"remove {doc.id}", response_url=fake_slack.response_url("rm"), user=COACH)
    fake_slack.wait_for("chat.postMessage", count=2, timeout=30, where=lambda c: "planning notes changed" in c.params.get("text", ""))
    assert len(told()) == 2 and "source removed" in told()[1].params["text"]

    from bot.render import digest_markdown
    from ingest.stores import DigestStore

    exported = digest_markdown(DigestStore(settings.data_dir).current("C0001"))
    assert "> **Note:** Exit Tickets: source removed on " in exported
