"""Moved to `ingest.stores` (transitional re-export, removed once the engine imports from there)."""

from .stores import KnowledgeBase, StoredChunk, keyword_terms

__all__ = ["KnowledgeBase", "StoredChunk", "keyword_terms"]
