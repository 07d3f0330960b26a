"""The knowledge base on disk: the SQLite catalog (documents, chunk texts, BM25 keyword index) and
the Chroma collection (chunk vectors), kept consistent with each other. Searches take `Filters`
and translate them for each half, so callers never write SQL or Chroma clauses.

Crash safety. Every write to a document follows one protocol:

1. a journal row naming the document is committed to the catalog;
2. new vectors are upserted into Chroma (ids are derived from content, so a replay is harmless);
3. the catalog's rows for the document (chunks, keyword index, version) are replaced in one
   transaction;
4. vectors the new version no longer has are deleted from Chroma;
5. the journal row is removed.

A run killed at any point leaves a journal row; the next write replays the repair for that
document: Chroma is made to hold exactly the catalog's chunks, and a document whose vectors went
missing is marked stale so that the next ingest re-embeds it. Nothing is duplicated, nothing the
catalog lists is lost.

Concurrent writers. Steps 1-5 (and the repair) run under a cross-process write lock
(`lock.WriteLock`, a `flock` on `data_dir/write.lock`): the CLI, the bot's coach uploads and a
second bot process take turns per batch. Embedding, the slow part, happens before the lock is
taken. Because a journal row only exists while its writer holds the lock, a row seen by the lock
holder is a dead (or failed) writer's: the repair never touches a live process's in-flight
work. `consistency()` compares the catalog, the keyword index, the vectors, the sentence
vectors and the acronyms (`guidepost sources check`) and repairs what differs.
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from ..aliases import Alias
from ..standards import standards_metadata
from ..domain import Chunk, Document, Filters
from ..errors import EncoderMismatch, IndexUnavailable, SourceNotFound
from ..settings import IndexSettings
from .catalog import FILENAME, Catalog, IndexStats, SourceInfo, StoredChunk
from .files import ensure_private_dir
from .lock import WriteLock
from .vectors import Vectors


@dataclass
class Version:
    """A document as it is about to be stored: its chunks, version stamp and size in bytes."""

    doc: Document
    chunks: list[Chunk]
    version: str
    size: int = 0
    aliases: list[Alias] = field(default_factory=list)

    @cached_property
    def ids(self) -> list[str]:
        return chunk_ids(self.chunks)

    def metadatas(self) -> list[dict[str, Any]]:
        """What Chroma stores beside each vector (scalars only): enough to filter and to cite."""
        doc, meta = self.doc, self.doc.tags.metadata()
        meta = {**meta, **standards_metadata(doc.extra.get("standards") or [])}
        return [
            {
                "doc_id": doc.doc_id,
                "ord": c.ord,
                "title": doc.title[:500],
                "path": str(doc.path or doc.source_key),
                "section": c.section[:500],
                "page": c.page or 0,
                "slide": c.slide or 0,
                "char_start": c.char_start,
                "char_end": c.char_end,
                **meta,
            }
            for c in self.chunks
        ]


@dataclass
class Consistency:
    """What `KnowledgeBase.consistency` found: row counts before and after, the problems found
    (kind -> how many rows), and the documents to ingest again."""

    before: dict[str, int]
    after: dict[str, int]
    problems: dict[str, int]
    stale: list[str]
    repaired: bool

    @property
    def ok(self) -> bool:
        return not self.problems


EmbedChunks = Callable[[list[Chunk]], tuple[np.ndarray, list[np.ndarray]]]


def chunk_ids(chunks: Sequence[Chunk]) -> list[str]:
    """Ids derived from the document and the chunk's content: re-ingesting the same content
    yields the same ids, so an upsert never duplicates."""
    seen: dict[str, int] = {}
    ids = []
    for c in chunks:
        base = f"{c.doc_id}-{c.key}"
        n = seen.get(base, 0)
        seen[base] = n + 1
        ids.append(base if n == 0 else f"{base}-{n}")
    return ids


def encoder_mismatch(data_dir: Path, recorded: str, wanted: str) -> str:
    def said(space: str) -> str:
        return "GUIDEPOST_ENCODER=onnx-int8" if space.endswith("+int8") else "GUIDEPOST_ENCODER=torch or onnx"

    return (
        f"the index in {data_dir} holds vectors made with {said(recorded)} ({recorded}), but this process "
        f"is set to {said(wanted)} ({wanted}), whose vectors differ: searching or adding to it would give "
        f"wrong results. Set GUIDEPOST_ENCODER back, or build a separate index with the new encoder "
        f"(a new GUIDEPOST_DATA_DIR, then `guidepost ingest` your documents into it)."
    )


class KnowledgeBase:
    """Documents, chunks, keyword index and vectors in the data dir."""

    def __init__(self, settings: IndexSettings) -> None:
        self.settings = settings
        try:
            ensure_private_dir(settings.data_dir)
        except OSError as exc:
            raise IndexUnavailable(f"the data dir {settings.data_dir} cannot be used: {exc.strerror or exc} "
                                   "(check GUIDEPOST_DATA_DIR)") from exc  # fmt: skip
        if not settings.data_dir.is_dir():
            raise IndexUnavailable(f"the data dir {settings.data_dir} is not a folder (check GUIDEPOST_DATA_DIR)")
        self.lock = WriteLock(settings.data_dir, settings.write_wait_s)
        with self.lock.hold("open the index"):  # two first runs on a new data dir create it in turn
            self.catalog = Catalog(settings.data_dir / FILENAME)
        self.vectors = Vectors(settings, self.lock)
        self.space: str | None = None  # the encoder's vector space (`use_encoder`)
        self._legacy: str | None = None
        self._space_ok = False

    # -- which encoder's vectors -----------------------------------------------------------------
    def use_encoder(self, space: str, legacy: str | None = None) -> None:
        """Declare the vector space of the encoder that will search and write this index
        (`Encoder.vector_space`). An index whose vectors another space made raises
        EncoderMismatch now, and so does a search or write later if another process records a
        different space first. `legacy`: the space of an index written before spaces were
        recorded (torch's: the encoder's model id); such an index is stamped with it."""
        self.space = space
        self._space_ok = False
        self._legacy = legacy
        self._check_space()

    def _check_space(self) -> None:
        if self.space is None or self._space_ok:
            return
        recorded = self.catalog.info("vector_space")
        if recorded is None and self.catalog.chunk_count() and self._legacy is not None:
            recorded = self._legacy  # built before the space was recorded: by torch
        if recorded is None:
            return  # an empty index: the first write records the space
        if recorded != self.space:
            raise EncoderMismatch(encoder_mismatch(self.settings.data_dir, recorded, self.space))
        self._space_ok = True

    def _record_space(self, tx) -> None:
        """(Under the write lock, in a transaction.) Stamp the index with our space, or refuse
        to add vectors of another space to it."""
        if self.space is None:
            return
        self._space_ok = False
        self._check_space()
        if self.catalog.info("vector_space") is None:
            Catalog.set_info(tx, "vector_space", self.space)

    def open(self) -> None:
        """Open the vector index now rather than on the first search or write."""
        self.vectors.collection  # noqa: B018

    def warm(self) -> None:
        """Before answering questions: open the vector index, and read the common words'
        keyword scores (`Catalog.warm_keywords`), now rather than on the first searches."""
        self.open()
        self.catalog.warm_keywords()

    # -- documents -------------------------------------------------------------------------------
    def version_of(self, source_key: str) -> str | None:
        return self.catalog.version_of(source_key)

    def sources(self) -> list[SourceInfo]:
        """Every document, newest first."""
        return self.catalog.sources()

    def stats(self) -> IndexStats:
        return self.catalog.stats()

    def find(self, id_or_path: str) -> SourceInfo:
        """A document by id, source key, path (absolute or relative to the cwd) or unique id prefix."""
        candidates = [id_or_path]
        try:
            candidates.append(str(Path(id_or_path).expanduser().resolve()))
        except OSError:
            pass
        for c in candidates:
            info = self.catalog.find(c)
            if info is not None:
                return info
        if len(id_or_path) >= 4:
            found = self.catalog.with_id_prefix(id_or_path)
            if len(found) == 1:
                return found[0]
        raise SourceNotFound(f"no indexed document matches {id_or_path!r} (see `guidepost sources list`)")

    def sources_under(self, folder: Path) -> list[SourceInfo]:
        return self.catalog.under(folder)

    # -- searching -------------------------------------------------------------------------------
    def chunks(self, ids: Sequence[str]) -> dict[str, StoredChunk]:
        return self.catalog.chunks(ids)

    def chunk_count(self) -> int:
        return self.catalog.chunk_count()

    def term_frequency(self, term: str) -> int:
        """In how many chunks a (stemmed, by FTS5's Porter stemmer) keyword occurs."""
        return self.catalog.term_frequency(term)

    def search_keyword(self, terms: Sequence[str], k: int, filters: Filters | None = None) -> list[tuple[str, float]]:
        """BM25 over titles, headings and chunk text: (chunk_id, score), higher = better."""
        return self.catalog.search_keyword(terms, k, filters)

    def search_dense(self, embedding: np.ndarray, k: int, filters: Filters | None = None) -> list[tuple[str, float]]:
        """The nearest chunks to a normalised query vector: (chunk_id, cosine), best first.
        A filter becomes the set of chunks it lets through (read from the catalog, cached until
        the catalog changes), and the vectors are searched among those."""
        self._check_space()
        allowed = self.catalog.filtered_rows(filters)
        count = self.catalog.cached_chunk_count()
        if allowed is None or len(allowed[1]) >= count:  # no filter, or one every chunk passes
            return self.vectors.query(embedding, k, count=count)
        if not allowed[1]:
            return []
        return self.vectors.query(embedding, k, ids=allowed[1], count=count)

    def similarities(self, embedding: np.ndarray, ids: list[str]) -> dict[str, float]:
        """Exact cosine similarity of the stored vectors of `ids` to `embedding`."""
        return self.vectors.similarities(embedding, ids)

    def sentence_sums(self, chunk_ids: Sequence[str]) -> dict[str, list[tuple[int, int, np.ndarray]]]:
        """For each chunk, its units (sentences, list items, rows) in order as (start, end, sum of
        token vectors). A chunk indexed before sentence vectors existed has none."""
        return self.catalog.sentence_sums(chunk_ids)

    def alias_candidates(self, abbr: str) -> list[tuple[str, int]]:
        """Long forms of an acronym that the documents use, with their weight."""
        return self.catalog.alias_candidates(abbr)

    # -- writing ---------------------------------------------------------------------------------
    def write_many(self, versions: Sequence[Version], embed: EmbedChunks) -> int:
        """Store new versions of documents, following the journal protocol for all of them at
        once (Chroma's per-call cost is high, so vectors go in one upsert). `embed` is called
        only for chunks whose vectors are not already stored: an edited document re-embeds only
        what changed. It returns the chunks' vectors and their units' token-vector sums.
        Embedding runs before the write lock is taken; the writing runs under it.
        Returns how many chunks were embedded."""
        if not versions:
            return 0
        doc_ids = [v.doc.doc_id for v in versions]
        ids: list[str] = []
        chunks: list[Chunk] = []
        metadatas: list[dict[str, Any]] = []
        for v in versions:
            ids += v.ids
            chunks += v.chunks
            metadatas += v.metadatas()
        # what is already stored (read without the lock: checked again under it)
        present = self._reusable(ids) if self.catalog.chunk_ids_of(doc_ids) else set()
        embedded: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        self._embed_into(embedded, [i for i, cid in enumerate(ids) if cid not in present], chunks, embed)

        with self.lock.hold():
            self._repair()
            now = time.time()
            added = self.catalog.added_at(doc_ids)
            old_ids = self.catalog.chunk_ids_of(doc_ids)
            present = self._reusable(ids) if old_ids else set()
            # another writer may have replaced the same document meanwhile: embed what went
            self._embed_into(embedded, [i for i, cid in enumerate(ids) if cid not in present and i not in embedded],
                             chunks, embed)  # fmt: skip
            new_pos = [i for i in range(len(ids)) if ids[i] not in present]
            kept_pos = [i for i in range(len(ids)) if ids[i] in present]

            with self.catalog.db.transaction() as tx:  # 1. journal
                self._record_space(tx)
                Catalog.begin(tx, doc_ids, "write", now)
            sentence_rows: list[tuple[str, int, int, int, bytes]] = []
            if new_pos:  # 2. vectors
                for i in new_pos:
                    sentence_rows += [(ids[i], o, a, b, u.astype(np.float16).tobytes())
                                      for o, ((a, b), u) in enumerate(zip(chunks[i].units, embedded[i][1]))]
                self.vectors.upsert([ids[i] for i in new_pos], np.stack([embedded[i][0] for i in new_pos]),
                                    [chunks[i].text for i in new_pos], [metadatas[i] for i in new_pos])  # fmt: skip
            if kept_pos:
                self.vectors.update_metadata([ids[i] for i in kept_pos], [metadatas[i] for i in kept_pos])

            with self.catalog.db.transaction() as tx:  # 3. catalog
                for v in versions:
                    Catalog.replace_rows(tx, v, added.get(v.doc.doc_id, now), now)
                Catalog.add_sentences(tx, sentence_rows)
            stale = sorted(old_ids - set(ids))
            if stale:  # 4. vectors the new versions no longer have
                self.vectors.delete(stale)
            with self.catalog.db.transaction() as tx:  # 5. done
                Catalog.done(tx, doc_ids)
        return len(embedded)

    def _reusable(self, ids: list[str]) -> set[str]:
        """Chunks whose vector and sentence vectors are both stored (not to be embedded again)."""
        present = self.vectors.existing(ids)
        return present & self.catalog.with_sentences(sorted(present))  # indexed before sentence vectors: again

    @staticmethod
    def _embed_into(out: dict[int, tuple[np.ndarray, np.ndarray]], pos: list[int], chunks: list[Chunk],
                    embed: EmbedChunks) -> None:  # fmt: skip
        if pos:
            vecs, sums = embed([chunks[i] for i in pos])
            out.update({i: (vecs[n], sums[n]) for n, i in enumerate(pos)})

    def remove(self, doc_id: str) -> None:
        with self.lock.hold():
            self._repair()
            with self.catalog.db.transaction() as tx:
                Catalog.begin(tx, [doc_id], "remove", time.time())
                Catalog.delete_rows(tx, doc_id)
            self.vectors.delete(self.vectors.ids_of(doc_id))
            with self.catalog.db.transaction() as tx:
                Catalog.done(tx, [doc_id])

    def repair(self) -> list[str]:
        """Finish or undo writes that a crash interrupted. Returns the documents it touched."""
        with self.lock.hold():
            return self._repair()

    def _repair(self) -> list[str]:
        """(Under the write lock: every journal row left is a dead or failed writer's.)"""
        touched = []
        for doc_id in self.catalog.pending():
            want = self.catalog.chunk_ids_of([doc_id])
            have = set(self.vectors.ids_of(doc_id))
            extra = sorted(have - want)
            if extra:
                self.vectors.delete(extra)
            with self.catalog.db.transaction() as tx:
                if want - have:  # vectors lost: re-embed on the next ingest
                    Catalog.mark_stale(tx, doc_id)
                Catalog.done(tx, [doc_id])
            touched.append(doc_id)
        return touched

    def check(self) -> dict[str, int]:
        """Compare the catalog with Chroma (tests and the ingest benchmark report it)."""
        want = self.catalog.all_chunk_ids()
        have = self.vectors.all_ids()
        return {"catalog": len(want), "vectors": len(have), "keyword": self.catalog.keyword_rows(),
                "missing": len(want - have), "orphans": len(have - want)}  # fmt: skip

    def consistency(self, repair: bool = True) -> Consistency:
        """Compare the catalog's documents and chunks with the keyword index, the vectors, the
        sentence vectors and the acronyms; with `repair`, fix what differs (under the write
        lock). What the catalog can rebuild (keyword rows) is rebuilt; rows of nothing are
        deleted; a document that lost vectors, sentence vectors or chunks is marked stale, so the
        next ingest of its file re-embeds it (`stale` lists them)."""
        with self.lock.hold("check the index") if repair else contextlib.nullcontext():
            pending = self._repair() if repair else self.catalog.pending()
            want = self.catalog.all_chunk_ids()
            have = self.vectors.all_ids()
            found = self.catalog.inconsistencies()
            missing = sorted(want - have)
            found["chunks_without_vector"] = missing
            found["vectors_without_chunk"] = sorted(have - want)
            stale = (self.catalog.docs_of_chunks(missing) | self.catalog.docs_of_chunks(found["chunks_without_sentences"])
                     | set(found["documents_with_wrong_count"]))  # fmt: skip
            before = {**self.catalog.counts(), "vectors": len(have)}
            if repair:
                if found["vectors_without_chunk"]:
                    self.vectors.delete(found["vectors_without_chunk"])
                with self.catalog.db.transaction() as tx:
                    Catalog.fix_rows(tx, found)
                    for doc_id in sorted(stale):
                        Catalog.mark_stale(tx, doc_id)
            after = {**self.catalog.counts(), "vectors": len(self.vectors.all_ids())} if repair else before
        problems = {k: len(v) for k, v in found.items() if v}
        if pending:
            problems["interrupted_writes"] = len(pending)
        return Consistency(before=before, after=after, problems=problems, stale=sorted(stale), repaired=repair)

    def close(self) -> None:
        self.catalog.close()
