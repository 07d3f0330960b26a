"""Reading built blocks back in tests, and a sample answer."""

from __future__ import annotations

import json
import time

from ingest.domain import Answer
from ingest.stores import SourceInfo
from tests.slack.fake_engine import BOARD, GUIDE, UNCITED


def answer(text: str = "Five minutes [1], then the board [2].", **kw) -> Answer:
    return Answer(question="How long are exit tickets?", text=text, abstained=False,
                  sources=kw.pop("sources", [GUIDE, BOARD, UNCITED]), **kw)  # fmt: skip


def all_text(blocks: list[dict]) -> str:
    return json.dumps(blocks, ensure_ascii=False)


def mrkdwn_texts(blocks: list[dict]) -> list[str]:
    out = []
    for b in blocks:
        if "text" in b and isinstance(b["text"], dict):
            out.append(b["text"]["text"])
        for el in b.get("elements", []):
            if el.get("type") == "mrkdwn":
                out.append(el["text"])
    return out


def doc(i: int) -> SourceInfo:
    return SourceInfo(id=f"d{i:015x}", title=f"Guide <{i}> & more " * 30, path=None, type="guide", grade="5",
                      subject="math", chunks=3, fmt="md", url=f"https://district.slack.com/files/U1/F{i}/g.md",
                      added_at=time.time() - i, updated_at=time.time(), source_key=f"slack:F{i}", extra={})  # fmt: skip
