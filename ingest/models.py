"""Moved to `ingest.domain` (transitional re-export, removed once the engine imports from there)."""

from .domain import normalize_subject, normalize_type, parse_grade

__all__ = ["normalize_subject", "normalize_type", "parse_grade"]
