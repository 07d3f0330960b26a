"""Optional LLM answers: a chat model (LangChain `init_chat_model`) writes the answer from the
retrieved passages, with prompts kept as files in `prompts/`. Citations are validated: a `[n]`
that names no retrieved source is removed, and an answer left with no valid citation is dropped
so that the caller falls back to the extractive answer."""

from __future__ import annotations

import logging
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

from ingest.domain import Answer, Source
from ingest.errors import GuidepostError
from ingest.settings import Settings

log = logging.getLogger(__name__)

PROMPTS_DIR = Path(__file__).resolve().parents[2] / "prompts"
NOT_COVERED = "NOT_COVERED"
_CITATION = re.compile(r"\[(\d+(?:\s*,\s*\d+)*)\]")
_HISTORY_TURNS = 6


@lru_cache(maxsize=None)
def load_prompt(name: str, directory: Path = PROMPTS_DIR) -> str:
    """A prompt by name (`prompts/NAME.md`)."""
    path = directory / f"{name}.md"
    try:
        return path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise GuidepostError(f"prompt {name!r} is missing ({path})") from exc


def validate_citations(text: str, sources: list[Source]) -> tuple[str, int]:
    """Remove citation markers that name no retrieved source; split "[1, 2]" into "[1][2]".
    Returns the cleaned text and how many valid markers remain."""
    valid = {s.n for s in sources}
    count = 0

    def fix(m: re.Match[str]) -> str:
        nonlocal count
        nums = [int(x) for x in re.split(r"\s*,\s*", m.group(1))]
        kept = [n for n in nums if n in valid]
        count += len(kept)
        return "".join(f"[{n}]" for n in kept)

    cleaned = _CITATION.sub(fix, text)
    cleaned = re.sub(r"[ \t]+([.,;:!?])", r"\1", cleaned)
    cleaned = re.sub(r"[ \t]{2,}", " ", cleaned).strip()
    return cleaned, count


def format_passages(sources: list[Source]) -> str:
    parts = []
    for s in sources:
        where = f", {s.location}" if s.location else ""
        parts.append(f"[{s.n}] {s.title}{where}\n{s.text.strip()}")
    return "\n\n".join(parts)


def format_history(history: list[tuple[str, str]]) -> str:
    turns = history[-_HISTORY_TURNS:]
    return "\n".join(f"{'Teacher' if role == 'user' else 'Guidepost'}: {text.strip()}" for role, text in turns)


class LLMWriter:
    """Writes answers and standalone questions with a chat model."""

    def __init__(self, model: Any) -> None:
        self.model = model

    @classmethod
    def from_settings(cls, settings: Settings) -> "LLMWriter":
        from langchain.chat_models import init_chat_model

        spec = settings.llm or ""
        provider, _, name = spec.partition(":")
        if not name:
            raise GuidepostError(f"GUIDEPOST_LLM must look like provider:model (e.g. openai:gpt-4o-mini), not {spec!r}")
        try:
            model = init_chat_model(name, model_provider=provider, temperature=0)
        except ImportError as exc:
            raise GuidepostError(
                f"the {provider} chat model needs its LangChain package: pip install 'guidepost[{provider}]' ({exc})"
            ) from exc
        except ValueError as exc:
            raise GuidepostError(f"GUIDEPOST_LLM={spec!r} is not usable: {exc}") from exc
        return cls(model)

    def _ask(self, messages: list[tuple[str, str]]) -> str | None:
        try:
            reply = self.model.invoke(messages)
        except Exception:  # noqa: BLE001 - a provider outage must not cost the teacher an answer
            log.exception("the chat model failed; falling back to an extractive answer")
            return None
        content = reply.content if hasattr(reply, "content") else str(reply)
        if isinstance(content, list):  # some providers return content blocks
            content = "".join(b.get("text", "") if isinstance(b, dict) else str(b) for b in content)
        return str(content).strip()

    def write(self, question: str, standalone: str, sources: list[Source], history: list[tuple[str, str]]) -> Answer | None:
        """An answer citing `sources`, or None when the model's answer cannot be trusted."""
        user = load_prompt("answer_user").format(passages=format_passages(sources), question=standalone)
        text = self._ask([("system", load_prompt("answer_system")), ("human", user)])
        if not text or text.startswith(NOT_COVERED):
            return None
        cleaned, valid = validate_citations(text, sources)
        if valid == 0:
            log.info("the chat model's answer cited no retrieved source; using the extractive answer")
            return None
        return Answer(question=question, text=cleaned, abstained=False, sources=sources, mode="llm")

    def condense(self, question: str, history: list[tuple[str, str]]) -> str | None:
        prompt = load_prompt("condense").format(history=format_history(history), question=question)
        text = self._ask([("human", prompt)])
        if not text:
            return None
        return text.splitlines()[0].strip().strip('"') or None
