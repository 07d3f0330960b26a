"""Curation views: what happened to added files, the tags modal, the list of documents."""

from __future__ import annotations

import pytest

from bot.slack import ids
from bot.slack.views import kit, library
from tests.slack.views.reading import all_text, doc


def test_sources_list_escapes_titles_and_pages() -> None:
    blocks = library.sources_blocks([doc(i) for i in range(10)], page=2, total=35)
    assert len(blocks) <= kit.MAX_BLOCKS
    text = all_text(blocks)
    assert "Guide &lt;0&gt; &amp; more" in text and "Page 2 of 4" in text
    nav = blocks[-1]["elements"]
    assert [(e["action_id"], e["value"]) for e in nav] == [(ids.ACTION_SOURCES_PAGE, "1"), (ids.ACTION_SOURCES_PAGE, "3")]


def test_added_blocks_escape_names_and_reasons() -> None:
    from ingest.domain import Tags
    from ingest.library import Added

    results = [
        Added("<!here>.pdf", "failed", reason="<!here>.pdf is encrypted"),
        Added("a.md", "indexed", "Title <@U1>", "d1", 3, Tags("guide", "5", "math"), url="https://x.slack.com/files/U/F/a.md"),
    ]
    blocks = library.added_blocks(results)
    text = all_text(blocks)
    assert "<!here>" not in text and "<@U1>" not in text
    assert "*&lt;!here&gt;.pdf*: it is encrypted" in text
    assert blocks[1]["accessory"] == kit.button("Edit tags", ids.ACTION_EDIT_TAGS, "d1")
    assert "filed as *other*" not in text


def test_tags_modal_fits_slack() -> None:
    view = library.tags_modal(title="T" * 500, doc_type="guide", grade="5", subject=None, metadata="{}",
                        types=("report", "guide", "other"))  # fmt: skip
    assert len(view["title"]["text"]) <= kit.MAX_MODAL_TITLE
    select = view["blocks"][1]["element"]
    assert select["initial_option"]["value"] == "guide"
    assert view["blocks"][2]["element"]["initial_value"] == "5" and "initial_value" not in view["blocks"][3]["element"]
    with pytest.raises(ValueError):
        library.tags_modal(title="t", doc_type=None, grade=None, subject=None, metadata="x" * 3001, types=())
