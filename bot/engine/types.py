"""Moved to `ingest.domain` (transitional re-export, removed once the engine imports from there)."""

from ingest.domain import Answer, AnswerEngine, Filters, Source

__all__ = ["Answer", "AnswerEngine", "Filters", "Source"]
