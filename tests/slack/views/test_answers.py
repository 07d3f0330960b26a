"""Answers as Slack shows them: pure builders, data in, dicts out."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

from bot.slack import ids
from bot.slack.views import answers, kit
from ingest.domain import Answer, Source
from tests.slack.fake_engine import EVIL, EVIL_TEXT, GUIDE
from tests.slack.views.reading import all_text, answer, mrkdwn_texts


def test_answer_layout_text_then_numbered_sources_then_buttons() -> None:
    blocks = answers.answer_blocks(answer(), answer_id="abc123")
    assert blocks[0] == {"type": "section", "text": {"type": "mrkdwn", "text": "Five minutes [1], then the board [2]."}}
    texts = mrkdwn_texts(blocks)
    first, second = texts[2], texts[3]
    assert first.startswith("*[1]* *Exit Ticket Routine* — p. 3 · Routines › Closing")
    assert "\n> Exit tickets take five minutes at the end of the lesson.\n" in first
    assert first.endswith("<https://docs.example.org/exit-tickets?id=1&amp;page=3|Open the document>")
    assert second.startswith("*[2]* *Grade 5 Fractions Choice Board* — Early finishers")
    assert second.endswith("`knowledge/boards/fractions.docx`")
    assert "Unrelated Report" not in all_text(blocks)  # not cited, not shown
    actions = blocks[-1]
    assert actions["type"] == "actions" and actions["block_id"] == ids.ANSWER_ACTIONS_BLOCK
    assert [(e["action_id"], e["value"]) for e in actions["elements"]] == [
        (ids.ACTION_FEEDBACK_UP, "abc123"),
        (ids.ACTION_FEEDBACK_DOWN, "abc123"),
    ]


def test_all_sources_shown_when_none_is_cited() -> None:
    blocks = answers.answer_blocks(answer("No markers here."))
    assert "Unrelated Report" in all_text(blocks)


def test_no_buttons_without_an_answer_id_and_share_only_when_asked() -> None:
    assert all(b["type"] != "actions" for b in answers.answer_blocks(answer()))
    shared = answers.answer_blocks(answer(), answer_id="x", shareable=True)
    assert [e["action_id"] for e in shared[-1]["elements"]][-1] == ids.ACTION_SHARE


def test_extra_actions_leave_room_for_more_buttons() -> None:
    save = kit.button("Save to planning notes", "save_note", "x")
    blocks = answers.answer_blocks(answer(), answer_id="x", extra_actions=[save])
    assert blocks[-1]["elements"][-1]["action_id"] == "save_note"


def test_document_markup_never_pings_or_links() -> None:
    a = Answer(question="memo?", text=f"The memo: {EVIL_TEXT} [1]", abstained=False, sources=[EVIL])
    rendered = all_text(answers.answer_blocks(a, answer_id="x")) + answers.answer_text_fallback(a)
    for raw in ("<!channel>", "<!here>", "<@U123>", "<@U999>", "<http://evil"):
        assert raw not in rendered
    assert "&lt;!channel&gt;" in rendered and "&lt;http://evil.example|click here&gt;" in rendered
    assert "&amp; win" in rendered
    # the only links left are ours: none here (the memo has no URL)
    assert not re.search(r"<(?!/)[^>]*>", rendered)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://a.example/x?a=1&b=2", "<https://a.example/x?a=1&amp;b=2|Open the document>"),
        ("https://a.example/x|<!channel>", "<https://a.example/x%7C%3C!channel%3E|Open the document>"),
        ("javascript:alert(1)", "`javascript:alert(1)`"),
        ("file:///etc/passwd", "`file:///etc/passwd`"),
    ],
)
def test_source_links(url: str, expected: str) -> None:
    src = replace(GUIDE, url=url, path="")
    assert answers.source_text(src).endswith(expected)


def test_path_shown_as_code_without_breaking_out() -> None:
    src = replace(GUIDE, url=None, path="docs/`weird` <b>.pdf")
    assert answers.source_text(src).endswith("`docs/'weird' &lt;b&gt;.pdf`")


def test_long_answer_is_split_into_sections_within_limits() -> None:
    text = ("Paragraph of guidance & notes. " * 120 + "\n\n") * 4  # ~15,000 characters
    blocks = answers.answer_blocks(answer(text))
    sections = [b for b in blocks if b["type"] == "section"]
    assert all(len(b["text"]["text"]) <= kit.MAX_SECTION_TEXT for b in blocks if "text" in b)
    joined = " ".join(b["text"]["text"] for b in sections[: len(sections) - 2])
    assert joined.count("Paragraph of guidance") == 480


def test_fifty_blocks_at_most_with_a_note_about_the_rest() -> None:
    many = [replace(GUIDE, n=i, title=f"Doc {i}") for i in range(1, 81)]
    text = " ".join(f"[{i}]" for i in range(1, 81))
    blocks = answers.answer_blocks(answer(text, sources=many), answer_id="x")
    assert len(blocks) <= kit.MAX_BLOCKS
    assert blocks[-1]["type"] == "actions"
    assert "more sources" in blocks[-2]["elements"][0]["text"]


def test_very_long_text_is_truncated_and_fallback_is_bounded() -> None:
    a = answer("word " * 30_000)
    blocks = answers.answer_blocks(a)
    assert sum(1 for b in blocks if b["type"] == "section") <= answers.MAX_ANSWER_SECTIONS + 3  # + three sources (none cited)
    fallback = answers.answer_text_fallback(a)
    assert len(fallback) <= kit.MAX_MESSAGE_TEXT and len(fallback) < 6000
    assert fallback.endswith("[3] Unrelated Report (p. 9)")


def test_abstention_is_plain_and_helpful() -> None:
    a = Answer(question="Who won the 1962 spelling bee?", text="", abstained=True, sources=[GUIDE])
    blocks = answers.answer_blocks(a, answer_id="x", help_contact="Ms. Rivera <coach>")
    text = all_text(blocks)
    assert "I couldn't find this in the documents I have, so I won't guess." in text
    assert "Ms. Rivera &lt;coach&gt;" in text
    # no "Sources" under an abstention: the closest material, labelled as not an answer
    assert "*Sources*" not in text
    assert text.index("Closest material") < text.index("Exit Ticket Routine")
    assert blocks[-1]["type"] == "actions"
    assert answers.answer_text_fallback(a).startswith("I couldn't find this")


def test_abstention_keeps_the_engines_own_words() -> None:
    a = Answer(question="q", text="Not in the guides <yet>.", abstained=True)
    assert answers.answer_blocks(a)[0]["text"]["text"] == "Not in the guides &lt;yet&gt;."


def test_question_and_reading_shown_when_asked() -> None:
    a = answer(standalone_question="How long are exit tickets in grade 5?")
    ctx = answers.answer_blocks(a, show_question=True, shared_by="U42")[0]
    line = ctx["elements"][0]["text"]
    assert "Shared by <@U42>" in line
    assert "*Question:* How long are exit tickets?" in line
    assert "_Read as:_ How long are exit tickets in grade 5?" in line
    # an id that is not a Slack id cannot smuggle markup
    assert "<!channel>" not in all_text(answers.answer_blocks(a, shared_by="<!channel>"))


def test_placeholder_and_error_blocks_escape_and_stay_short() -> None:
    ph = all_text(answers.placeholder_blocks("<!channel> " + "long " * 200))
    assert "<!channel>" not in ph and len(ph) < 1000
    err = answers.error_blocks()
    assert "went wrong on my side" in err[0]["text"]["text"]
    domain = answers.error_blocks("The index <is> empty.")
    assert "The index &lt;is&gt; empty." in domain[0]["text"]["text"]


def test_source_with_slide_and_no_section() -> None:
    src = Source(n=4, title="Deck", path="deck.pptx", page=None, section="", quote="", text="", score=0.5, slide=7)
    assert answers.source_text(src).startswith("*[4]* *Deck* — slide 7\n`deck.pptx`")




def test_scope_note_and_save_button_sit_above_the_limit_with_many_sources() -> None:
    many = [replace(GUIDE, n=i, title=f"Doc {i}") for i in range(1, 80)]
    blocks = answers.answer_blocks(answer(text="See " + " ".join(f"[{i}]" for i in range(1, 80)), sources=many),
                             answer_id="a1", extra_actions=[answers.planning_button("a1")], scope="type: guide")  # fmt: skip
    assert len(blocks) <= kit.MAX_BLOCKS
    assert blocks[-1]["type"] == "actions" and blocks[-2]["type"] == "context"
    assert "searches only part of the knowledge base — type: guide" in blocks[-2]["elements"][0]["text"]
    assert [e["action_id"] for e in blocks[-1]["elements"]] == [ids.ACTION_FEEDBACK_UP, ids.ACTION_FEEDBACK_DOWN,
                                                                 ids.ACTION_SAVE_PLANNING]  # fmt: skip


def test_abstention_in_a_scoped_channel_says_so() -> None:
    blocks = answers.answer_blocks(Answer(question="q", text="", abstained=True), answer_id="a1", scope="subject: <math>")
    assert "subject: &lt;math&gt;" in all_text(blocks)


@pytest.mark.parametrize("reason", ["empty_index", "no_support"])
def test_an_abstention_reason_is_worded_for_slack(reason: str) -> None:
    a = Answer(question="q", text="", abstained=True, abstention=reason)  # type: ignore[arg-type]
    text = all_text(answers.answer_blocks(a, help_contact="Ms. R")) + answers.answer_text_fallback(a, help_contact="Ms. R")
    assert "ask Ms. R" in text.replace("Ask", "ask") and "coaches can add documents with `/guidepost add`" in text
    assert "guidepost ingest" not in text  # a command line is no use to a teacher in Slack


def test_markdown_markers_are_shown_as_slacks_and_half_markers_dropped() -> None:
    assert answers.markdown_for_slack("District **design teams** were common") == "District *design teams* were common"
    assert answers.markdown_for_slack("Set clear goals for the work.** District respondents") == (
        "Set clear goals for the work. District respondents")
