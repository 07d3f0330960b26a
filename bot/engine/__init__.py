"""The answer engine: plain Python, no Slack. `Engine.answer(question, filters) -> Answer`
(the types it speaks are the shared ones of `ingest.domain`)."""

from ingest.domain import Answer, AnswerEngine, Filters, Source

from .answer import Engine

__all__ = ["Answer", "AnswerEngine", "Engine", "Filters", "Source"]
