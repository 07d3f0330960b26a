"""Optional LLM answers: a chat model writes the answer from the retrieved passages, with prompts
kept as files in `prompts/`. `openai:MODEL` speaks to any OpenAI-compatible endpoint
(`GUIDEPOST_LLM_BASE_URL` / `OPENAI_BASE_URL`); other providers come through LangChain's
`init_chat_model`. The answer is streamed, bounded in time, and grounding-checked
(`grounding.py`); when it cannot be used the caller falls back to the extractive answer and
is told why."""

from __future__ import annotations

import logging
import queue
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from ingest.domain import Answer, Source
from ingest.embeddings import Encoder
from ingest.errors import GuidepostError
from ingest.settings import Settings

from .grounding import Grounding, check

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


@dataclass
class Written:
    """What the writer produced: an answer, or None and why not (`fallback_reason`)."""

    answer: Answer | None
    fallback_reason: str | None = None  # timeout | error | not_covered | no_citation | grounding
    grounding: Grounding | None = None
    timings_ms: dict[str, float] = field(default_factory=dict)


class LLMTimeout(Exception):
    pass


class LLMWriter:
    """Writes answers and standalone questions with a chat model. Answers are streamed: the
    first token must come within `first_token_seconds` and the whole answer within
    `timeout_seconds`, else the caller gets no answer (and falls back)."""

    def __init__(self, model: Any, *, first_token_seconds: float = 10.0, timeout_seconds: float = 60.0) -> None:
        self.model = model
        self.first_token_seconds = first_token_seconds
        self.timeout_seconds = timeout_seconds

    @classmethod
    def from_settings(cls, settings: Settings) -> "LLMWriter":
        from langchain.chat_models import init_chat_model

        spec = settings.llm or ""
        provider, _, name = spec.partition(":")
        if not name:
            raise GuidepostError(f"GUIDEPOST_LLM must look like provider:model (e.g. openai:gpt-4o-mini), not {spec!r}")
        options: dict[str, Any] = {"temperature": 0}
        if provider == "openai":
            # Any OpenAI-compatible server: OpenAI, or a district's Ollama / vLLM / llama.cpp.
            # Retries would multiply the wait for a first token; the engine falls back instead.
            options.update(timeout=settings.llm_timeout_seconds, max_retries=0, stream_usage=False)
            if settings.llm_base_url:
                options["base_url"] = settings.llm_base_url
            if settings.openai_api_key:
                options["api_key"] = settings.openai_api_key
            elif settings.llm_base_url:
                options["api_key"] = "not-needed"  # local servers take any key; the client insists on one
            else:
                raise GuidepostError("GUIDEPOST_LLM=openai:… needs OPENAI_API_KEY, or OPENAI_BASE_URL / GUIDEPOST_LLM_BASE_URL for a local server")
        try:
            model = init_chat_model(name, model_provider=provider, **options)
        except ImportError as exc:
            raise GuidepostError(
                f"the {provider} chat model needs its LangChain package: pip install 'guidepost[{provider}]' ({exc})"
            ) from exc
        except ValueError as exc:
            raise GuidepostError(f"GUIDEPOST_LLM={spec!r} is not usable: {exc}") from exc
        return cls(model, first_token_seconds=settings.llm_first_token_seconds, timeout_seconds=settings.llm_timeout_seconds)

    def _ask(self, messages: list[tuple[str, str]]) -> str | None:
        try:
            reply = self.model.invoke(messages)
        except Exception:  # noqa: BLE001 - a provider outage must not cost the teacher an answer
            log.exception("the chat model failed; falling back to an extractive answer")
            return None
        return _content(reply).strip()

    def _stream(self, messages: list[tuple[str, str]], on_token: Callable[[str], None] | None,
                timings: dict[str, float]) -> str:  # fmt: skip
        """The model's reply, streamed; `on_token` hears it as it comes (held back while it
        could still be NOT_COVERED). Raises LLMTimeout, or the model's own error."""
        tokens: queue.Queue[tuple[str, Any]] = queue.Queue()
        stop = threading.Event()

        def pump() -> None:
            try:
                for chunk in self.model.stream(messages):
                    if stop.is_set():
                        return
                    text = _content(chunk)
                    if text:
                        tokens.put(("token", text))
                tokens.put(("end", None))
            except Exception as exc:  # noqa: BLE001 - handed to the waiting thread
                tokens.put(("error", exc))

        t0 = time.perf_counter()
        threading.Thread(target=pump, daemon=True, name="guidepost-llm-stream").start()
        parts: list[str] = []
        shown = 0
        try:
            while True:
                limit = self.first_token_seconds if not parts else self.timeout_seconds
                left = t0 + limit - time.perf_counter()
                try:
                    kind, value = tokens.get(timeout=max(0.0, left))
                except queue.Empty:
                    raise LLMTimeout("no first token" if not parts else "the answer took too long") from None
                if kind == "error":
                    raise value
                if kind == "end":
                    break
                if not parts:
                    timings["llm_first_token"] = (time.perf_counter() - t0) * 1e3
                parts.append(value)
                text = "".join(parts)
                if on_token and not NOT_COVERED.startswith(text.strip()[: len(NOT_COVERED)]):
                    if shown < len(text):
                        on_token(text[shown:])
                        shown = len(text)
        finally:
            stop.set()
            timings["llm_total"] = (time.perf_counter() - t0) * 1e3
        return "".join(parts).strip()

    def write(self, question: str, standalone: str, sources: list[Source], history: list[tuple[str, str]], *,
              encoder: Encoder | None = None, on_token: Callable[[str], None] | None = None) -> Written:  # fmt: skip
        """An answer citing `sources`, streamed to `on_token`, grounding-checked; or why not."""
        user = load_prompt("answer_user").format(passages=format_passages(sources), question=standalone)
        timings: dict[str, float] = {}
        try:
            text = self._stream([("system", load_prompt("answer_system")), ("human", user)], on_token, timings)
        except LLMTimeout as exc:
            log.warning("the chat model was too slow (%s); using the extractive answer", exc)
            return Written(None, "timeout", timings_ms=timings)
        except Exception:  # noqa: BLE001 - a provider outage must not cost the teacher an answer
            log.exception("the chat model failed; falling back to an extractive answer")
            return Written(None, "error", timings_ms=timings)
        if not text or text.startswith(NOT_COVERED):
            return Written(None, "not_covered", timings_ms=timings)
        _, valid = validate_citations(text, sources)
        if valid == 0:
            log.info("the chat model's answer cited no retrieved source; using the extractive answer")
            return Written(None, "no_citation", timings_ms=timings)
        t0 = time.perf_counter()
        grounding = check(text, sources, encoder)
        timings["grounding"] = (time.perf_counter() - t0) * 1e3
        if not grounding.usable:
            log.info("too little of the chat model's answer is grounded (%d of %d sentences dropped); extractive answer",
                     len(grounding.dropped), grounding.sentences)  # fmt: skip
            return Written(None, "grounding", grounding, timings)
        answer = Answer(question=question, text=grounding.text, abstained=False, sources=sources, mode="llm")
        return Written(answer, None, grounding, timings)

    def condense(self, question: str, history: list[tuple[str, str]]) -> str | None:
        prompt = load_prompt("condense").format(history=format_history(history), question=question)
        text = self._ask([("human", prompt)])
        if not text:
            return None
        return text.splitlines()[0].strip().strip('"') or None


def _content(reply: Any) -> str:
    content = reply.content if hasattr(reply, "content") else str(reply)
    if isinstance(content, list):  # some providers return content blocks
        content = "".join(b.get("text", "") if isinstance(b, dict) else str(b) for b in content)
    return str(content)
