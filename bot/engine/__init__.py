"""The answer engine: plain Python, no Slack. `Engine.answer(question, filters) -> Answer`."""

from .answer import Engine
from .types import Answer, AnswerEngine, Filters, Source

__all__ = ["Answer", "AnswerEngine", "Engine", "Filters", "Source"]
