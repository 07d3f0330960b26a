"""A channel's planning notes as Slack shows them."""

from __future__ import annotations

from dataclasses import replace

from bot.slack.views import digest, kit
from tests.slack.fake_engine import EVIL, EVIL_TEXT
from tests.slack.views.reading import all_text, answer, mrkdwn_texts


def test_digest_summary_stays_within_limits_and_escapes() -> None:
    from ingest.stores import Digest, DigestEntry

    long = answer(text=EVIL_TEXT * 200, sources=[EVIL])
    entries = [DigestEntry(f"a{i}", replace(long, question=f"Q{i} <!channel> " + "x" * 5000), "U1",
                           "2024-05-01T10:00:00+00:00") for i in range(60)]  # fmt: skip
    blocks = digest.digest_blocks(Digest("C1", 1, "2024-05-01T09:00:00+00:00", entries))
    assert len(blocks) <= kit.MAX_BLOCKS
    for text in mrkdwn_texts(blocks):
        assert len(text) <= kit.MAX_SECTION_TEXT
        assert "<!channel>" not in text and "<@U123>" not in text and "<http://evil" not in text
    assert blocks[0]["text"]["text"] == "Planning notes — 60 saved answers"
    assert "Showing the latest 20; 40 earlier answers are in the export." in all_text(blocks)
    assert "*41. Q40 &lt;!channel&gt;" in all_text(blocks)
    assert "<!date^" in all_text(blocks)  # dates in the reader's time zone
