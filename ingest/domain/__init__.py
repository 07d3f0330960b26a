"""The types both layers share: what a document is about (`Tags`), where to search (`Filters`,
`Scope`), a document and its chunks, and what the answer engine returns (`Answer`, `Source`).
Plain data; nothing here touches a file, a model or Slack."""

from .answers import Abstention, Answer, AnswerEngine, Source
from .documents import Chunk, Document, Section, doc_id_for
from .tags import DOC_TYPES, TAGGABLE_TYPES, Filters, Scope, Tags, normalize_subject, normalize_type, parse_grade

__all__ = [
    "DOC_TYPES",
    "TAGGABLE_TYPES",
    "Abstention",
    "Answer",
    "AnswerEngine",
    "Chunk",
    "Document",
    "Filters",
    "Scope",
    "Section",
    "Source",
    "Tags",
    "doc_id_for",
    "normalize_subject",
    "normalize_type",
    "parse_grade",
]
