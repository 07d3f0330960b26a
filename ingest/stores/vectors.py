"""The Chroma half of the knowledge base: chunk vectors (our own embeddings, L2-normalised) with
the metadata needed to filter and cite. An embedded `PersistentClient` in the data dir, or a
Chroma server (`GUIDEPOST_CHROMA_HOST`). Opened on first use, so commands that do not search or
write (`sources list`) never start Chroma. The translation of `Filters` into a Chroma `where`
clause is here."""

from __future__ import annotations

import contextlib
import threading
from typing import Any

import numpy as np

from ..domain import Filters
from ..standards import standard_filter
from ..errors import IndexUnavailable
from ..settings import IndexSettings
from .lock import WriteLock

BATCH = 4000  # below Chroma's max batch size


def filters_where(f: Filters | None) -> dict[str, Any] | None:
    """`Filters` as a Chroma `where` clause over the chunk metadata; None for no filter. The
    engine's search restricts by chunk ids instead (`KnowledgeBase.search_dense`, faster); this
    clause is what that search is checked against, and serves anyone querying the collection."""
    if f is None or f.is_empty():
        return None
    clauses: list[dict[str, Any]] = []
    types = f.wanted_types()
    if types:
        clauses.append({"type": types[0]} if len(types) == 1 else {"type": {"$in": types}})
    subjects = f.wanted_subjects()
    if subjects:  # an untagged document (a general guide) applies to every subject
        clauses.append({"subject": {"$in": [*subjects, ""]}})
    band = f.grade_band()
    if band:
        clauses += [{"grade_min": {"$lte": band[1]}}, {"grade_max": {"$gte": band[0]}}]
    codes = f.wanted_standards()
    if codes:  # one `std:<code>: True` key per code a chunk's document carries (ingest.standards)
        alternatives = [standard_filter(c) for c in codes]
        clauses.append(alternatives[0] if len(alternatives) == 1 else {"$or": alternatives})
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}


class Vectors:
    def __init__(self, settings: IndexSettings, lock: WriteLock | None = None) -> None:
        self.settings = settings
        self.write_lock = lock  # an embedded store is created under it (two first runs at once)
        self._collection = None
        self._lock = threading.Lock()

    @property
    def collection(self):
        if self._collection is not None:
            return self._collection
        # an embedded store is created under the write lock (two first runs at once); the write
        # lock is always taken before `_lock`, never after, so the two cannot deadlock
        embedded_first = self.write_lock is not None and not self.settings.chroma_host
        with self.write_lock.hold("open the vector index") if embedded_first else contextlib.nullcontext():
            with self._lock:
                if self._collection is None:
                    self._collection = self._open()
                return self._collection

    def _open(self):
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        cs = ChromaSettings(anonymized_telemetry=False)
        s = self.settings
        try:
            if s.chroma_host:
                client = chromadb.HttpClient(host=s.chroma_host, port=s.chroma_port, settings=cs)
            else:
                client = chromadb.PersistentClient(path=str(s.data_dir / "chroma"), settings=cs)
            return self._collection_of(client)
        except Exception as exc:  # noqa: BLE001 - any client failure means the same to a user
            where = f"the Chroma server at {s.chroma_host}:{s.chroma_port}" if s.chroma_host else f"{s.data_dir / 'chroma'}"
            raise IndexUnavailable(f"could not open the vector index at {where}: {exc}") from exc

    def _collection_of(self, client):
        return client.get_or_create_collection(
            self.settings.collection, embedding_function=None, configuration={"hnsw": {"space": "cosine"}}
        )

    def upsert(self, ids: list[str], embeddings: np.ndarray, texts: list[str], metadatas: list[dict]) -> None:
        for i in range(0, len(ids), BATCH):
            self.collection.upsert(
                ids=ids[i : i + BATCH],
                embeddings=embeddings[i : i + BATCH],
                documents=texts[i : i + BATCH],
                metadatas=metadatas[i : i + BATCH],
            )

    def update_metadata(self, ids: list[str], metadatas: list[dict]) -> None:
        for i in range(0, len(ids), BATCH):
            self.collection.update(ids=ids[i : i + BATCH], metadatas=metadatas[i : i + BATCH])

    def delete(self, ids: list[str]) -> None:
        for i in range(0, len(ids), BATCH):
            self.collection.delete(ids=ids[i : i + BATCH])

    def ids_of(self, doc_id: str) -> list[str]:
        return list(self.collection.get(where={"doc_id": doc_id}, include=[])["ids"])

    def all_ids(self) -> set[str]:
        return set(self.collection.get(include=[])["ids"])

    def existing(self, ids: list[str]) -> set[str]:
        if not ids:
            return set()
        return set(self.collection.get(ids=ids, include=[])["ids"])

    def similarities(self, embedding: np.ndarray, ids: list[str]) -> dict[str, float]:
        """Cosine similarity of stored vectors to `embedding` (vectors are normalised)."""
        got = self.collection.get(ids=ids, include=["embeddings"])
        vecs = np.asarray(got["embeddings"], dtype=np.float32)
        if len(vecs) == 0:
            return {}
        return dict(zip(got["ids"], (vecs @ embedding.astype(np.float32)).tolist()))

    def query(self, embedding: np.ndarray, k: int, *, ids: list[str] | None = None,
              count: int | None = None) -> list[tuple[str, float]]:  # fmt: skip
        """The `k` nearest chunks as (chunk_id, cosine similarity), best first. `ids` restricts
        the search to those chunks: a filter is applied that way, since the catalog knows which
        chunks it lets through (at 30k chunks a search among them takes 10-13 ms, a `where` clause
        over `filters_where` 60-95 ms, for the same results). `count`: the number of vectors,
        when the caller knows it."""
        n = self.collection.count() if count is None else count
        if ids is not None:
            n = min(n, len(ids))
        if n == 0:
            return []
        res = self.collection.query(query_embeddings=[embedding], n_results=min(k, n), ids=ids,
                                    include=["distances"])  # fmt: skip
        # cosine distance -> similarity
        return [(i, 1.0 - float(d)) for i, d in zip(res["ids"][0], res["distances"][0])]
