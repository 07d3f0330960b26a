"""Everything Guidepost keeps in the data dir, under one roof:

- `KnowledgeBase` (`knowledge_base.py`): the index, a SQLite catalog (`catalog.py`) plus Chroma
  vectors (`vectors.py`), written crash-safely;
- `FeedbackStore` (`feedback.py`): the answers the bot posted and the votes on them;
- `DigestStore` (`digests.py`): the planning notes channels saved;
- `GapStore` (`gaps.py`): questions the knowledge base could not answer, and the weekly summaries sent;
- `DeliveryStore` (`deliveries.py`): Slack deliveries, claims and threads every bot process shares;
- `ChannelScopes` (`scopes.py`): what each channel searches (a hand-editable JSON file).

The SQLite stores open through `sqlite.Database`: created on first use, upgraded at open by
numbered migrations (`PRAGMA user_version`).
"""

from .catalog import IndexStats, SourceInfo, StoredChunk, keyword_terms
from .deliveries import DeliveryStore, SharedSeen
from .digests import Digest, DigestEntry, DigestStore
from .feedback import FeedbackStore, StoredAnswer
from .gaps import GapStore
from .knowledge_base import KnowledgeBase, Version
from .prompts import SuggestedPrompts
from .scopes import ChannelScopes

__all__ = [
    "ChannelScopes",
    "DeliveryStore",
    "Digest",
    "DigestEntry",
    "DigestStore",
    "FeedbackStore",
    "GapStore",
    "IndexStats",
    "KnowledgeBase",
    "SharedSeen",
    "SourceInfo",
    "StoredAnswer",
    "StoredChunk",
    "SuggestedPrompts",
    "Version",
    "keyword_terms",
]
