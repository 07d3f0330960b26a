"""The knowledge base on disk: a SQLite catalog (documents, chunk texts and a BM25 keyword index)
and a Chroma collection (chunk vectors), kept consistent with each other.

Crash safety. Every write to a document follows one protocol:

1. a journal row naming the document is committed to the catalog;
2. new vectors are upserted into Chroma (ids are derived from content, so a replay is harmless);
3. the catalog's rows for the document (chunks, keyword index, version) are replaced in one
   transaction;
4. vectors the new version no longer has are deleted from Chroma;
5. the journal row is removed.

A run killed at any point leaves a journal row; the next `open` replays the repair for that
document: Chroma is made to hold exactly the catalog's chunks, and a document whose vectors went
missing is marked stale so that the next ingest re-embeds it. Nothing is duplicated, nothing the
catalog lists is lost.
"""

from __future__ import annotations

import json
import re
import sqlite3
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Sequence

import numpy as np

from .errors import IndexUnavailable, SourceNotFound
from .aliases import Alias
from .models import Chunk, Document
from .settings import Settings
from .text import STOPWORDS, keyword_terms  # noqa: F401 - keyword_terms is part of the store's API

SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS documents (
    doc_id TEXT PRIMARY KEY,
    source_key TEXT NOT NULL UNIQUE,
    path TEXT,
    title TEXT NOT NULL,
    fmt TEXT NOT NULL,
    url TEXT,
    content_hash TEXT NOT NULL,
    version TEXT NOT NULL,
    type TEXT NOT NULL,
    grade TEXT NOT NULL,
    grade_min INTEGER NOT NULL,
    grade_max INTEGER NOT NULL,
    subject TEXT NOT NULL,
    chunks INTEGER NOT NULL,
    size INTEGER NOT NULL,
    added_at REAL NOT NULL,
    updated_at REAL NOT NULL,
    extra TEXT NOT NULL DEFAULT '{}'
);
CREATE TABLE IF NOT EXISTS chunks (
    chunk_id TEXT NOT NULL UNIQUE,
    doc_id TEXT NOT NULL,
    ord INTEGER NOT NULL,
    text TEXT NOT NULL,
    page INTEGER,
    slide INTEGER,
    section TEXT NOT NULL,
    section_starts TEXT NOT NULL,
    char_start INTEGER NOT NULL,
    char_end INTEGER NOT NULL,
    tokens INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS chunks_doc ON chunks(doc_id);
CREATE VIRTUAL TABLE IF NOT EXISTS chunks_fts USING fts5(title, section, body, tokenize='porter unicode61');
CREATE TABLE IF NOT EXISTS journal (doc_id TEXT PRIMARY KEY, op TEXT NOT NULL, started REAL NOT NULL);
-- One row per sentence, list item, table row or heading of a chunk: its offsets in the chunk
-- text and the sum of its token vectors (float16), read off the chunk's own forward pass.
CREATE TABLE IF NOT EXISTS sentences (
    chunk_id TEXT NOT NULL,
    ord INTEGER NOT NULL,
    start INTEGER NOT NULL,
    end INTEGER NOT NULL,
    vec BLOB NOT NULL,
    PRIMARY KEY (chunk_id, ord)
) WITHOUT ROWID;
-- Acronyms a document's long forms spell (see ingest/aliases.py).
CREATE TABLE IF NOT EXISTS aliases (doc_id TEXT NOT NULL, abbr TEXT NOT NULL, phrase TEXT NOT NULL, weight INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS aliases_abbr ON aliases(abbr);
"""

@dataclass
class SourceInfo:
    """One indexed document, as `sources list` shows it."""

    id: str
    title: str
    path: str | None
    type: str
    grade: str
    subject: str
    chunks: int
    fmt: str
    url: str | None
    added_at: float
    updated_at: float
    source_key: str
    extra: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        d = self.__dict__.copy()
        d["added_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self.added_at))
        d["updated_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self.updated_at))
        return d


@dataclass
class StoredChunk:
    """A chunk as read back from the catalog, with its document's fields."""

    chunk_id: str
    doc_id: str
    ord: int
    text: str
    page: int | None
    slide: int | None
    section: str
    section_starts: list[tuple[int, str]]
    title: str
    path: str | None
    url: str | None
    type: str
    grade: str
    subject: str
    fmt: str = ""

    def section_at(self, offset: int) -> str:
        """The heading path in force at `offset` within the chunk text."""
        current = self.section
        for start, heading in self.section_starts:
            if start <= offset:
                current = heading
        return current


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


class Catalog:
    """The SQLite half of the knowledge base. Thread-safe (one connection, one lock)."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.RLock()
        self.db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute("PRAGMA busy_timeout=10000")
        self.db.executescript(_SCHEMA)
        self.db.execute(
            "INSERT OR IGNORE INTO meta(key, value) VALUES ('schema', ?)", (str(SCHEMA_VERSION),)
        )

    @contextmanager
    def tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self.db.execute("BEGIN IMMEDIATE")
            try:
                yield self.db
            except BaseException:
                self.db.execute("ROLLBACK")
                raise
            else:
                self.db.execute("COMMIT")

    def query(self, sql: str, params: Iterable[Any] = ()) -> list[dict[str, Any]]:
        with self._lock:
            cur = self.db.execute(sql, tuple(params))
            cols = [d[0] for d in cur.description or ()]
            return [dict(zip(cols, row)) for row in cur.fetchall()]

    def close(self) -> None:
        with self._lock:
            self.db.close()


class Vectors:
    """The Chroma half: an embedded PersistentClient in the data dir, or a Chroma server."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._collection = None
        self._lock = threading.Lock()

    @property
    def collection(self):
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
            return client.get_or_create_collection(
                s.collection, embedding_function=None, configuration={"hnsw": {"space": "cosine"}}
            )
        except Exception as exc:  # noqa: BLE001 - any client failure means the same to a user
            where = f"the Chroma server at {s.chroma_host}:{s.chroma_port}" if s.chroma_host else f"{s.data_dir / 'chroma'}"
            raise IndexUnavailable(f"could not open the vector index at {where}: {exc}") from exc

    def upsert(self, ids: list[str], embeddings: np.ndarray, texts: list[str], metadatas: list[dict]) -> None:
        step = 4000  # below Chroma's max batch size
        for i in range(0, len(ids), step):
            self.collection.upsert(
                ids=ids[i : i + step],
                embeddings=embeddings[i : i + step],
                documents=texts[i : i + step],
                metadatas=metadatas[i : i + step],
            )

    def update_metadata(self, ids: list[str], metadatas: list[dict]) -> None:
        for i in range(0, len(ids), 4000):
            self.collection.update(ids=ids[i : i + 4000], metadatas=metadatas[i : i + 4000])

    def delete(self, ids: list[str]) -> None:
        for i in range(0, len(ids), 4000):
            self.collection.delete(ids=ids[i : i + 4000])

    def ids_of(self, doc_id: str) -> list[str]:
        return list(self.collection.get(where={"doc_id": doc_id}, include=[])["ids"])

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

    def query(self, embedding: np.ndarray, k: int, where: dict | None) -> list[tuple[str, float]]:
        n = self.collection.count()
        if n == 0:
            return []
        res = self.collection.query(
            query_embeddings=[embedding], n_results=min(k, n), where=where or None, include=["distances"]
        )
        # cosine distance -> similarity
        return [(i, 1.0 - float(d)) for i, d in zip(res["ids"][0], res["distances"][0])]


class KnowledgeBase:
    """Documents, chunks, keyword index and vectors in the data dir."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        self.catalog = Catalog(settings.data_dir / "catalog.sqlite3")
        self.vectors = Vectors(settings)
        self._repaired = False

    # -- reading ---------------------------------------------------------------------------------
    def version_of(self, source_key: str) -> str | None:
        rows = self.catalog.query("SELECT version FROM documents WHERE source_key = ?", (source_key,))
        return rows[0]["version"] if rows else None

    def sources(self) -> list[SourceInfo]:
        rows = self.catalog.query("SELECT * FROM documents ORDER BY added_at DESC, title")
        return [self._info(r) for r in rows]

    def stats(self) -> dict[str, Any]:
        by_type = {r["type"]: r["n"] for r in self.catalog.query("SELECT type, COUNT(*) AS n FROM documents GROUP BY type")}
        row = self.catalog.query("SELECT COUNT(*) AS docs, COALESCE(SUM(chunks),0) AS chunks, MAX(updated_at) AS last FROM documents")[0]
        return {"documents": row["docs"], "chunks": row["chunks"], "last_updated": row["last"], "by_type": by_type}

    @staticmethod
    def _info(r: dict) -> SourceInfo:
        return SourceInfo(
            id=r["doc_id"], title=r["title"], path=r["path"], type=r["type"], grade=r["grade"],
            subject=r["subject"], chunks=r["chunks"], fmt=r["fmt"], url=r["url"], added_at=r["added_at"],
            updated_at=r["updated_at"], source_key=r["source_key"], extra=json.loads(r["extra"] or "{}"),
        )

    def find(self, id_or_path: str) -> SourceInfo:
        """A document by id, source key, path (absolute or relative to the cwd) or unique id prefix."""
        candidates = [id_or_path]
        p = Path(id_or_path).expanduser()
        try:
            candidates.append(str(p.resolve()))
        except OSError:
            pass
        for c in candidates:
            rows = self.catalog.query(
                "SELECT * FROM documents WHERE doc_id = ? OR source_key = ? OR path = ?", (c, c, c)
            )
            if rows:
                return self._info(rows[0])
        if len(id_or_path) >= 4:
            rows = self.catalog.query("SELECT * FROM documents WHERE doc_id LIKE ?", (id_or_path + "%",))
            if len(rows) == 1:
                return self._info(rows[0])
        raise SourceNotFound(f"no indexed document matches {id_or_path!r} (see `guidepost sources list`)")

    def sources_under(self, folder: Path) -> list[SourceInfo]:
        prefix = str(folder.resolve()).rstrip("/") + "/"
        rows = self.catalog.query("SELECT * FROM documents WHERE path LIKE ? ESCAPE '\\'", (_like_prefix(prefix),))
        return [self._info(r) for r in rows]

    def chunks(self, ids: Sequence[str]) -> dict[str, StoredChunk]:
        if not ids:
            return {}
        marks = ",".join("?" * len(ids))
        rows = self.catalog.query(
            f"""SELECT c.*, d.title, d.path, d.url, d.type, d.grade, d.subject, d.fmt
                FROM chunks c JOIN documents d ON d.doc_id = c.doc_id WHERE c.chunk_id IN ({marks})""",
            ids,
        )
        return {r["chunk_id"]: _stored(r) for r in rows}

    def keyword_search(self, terms: Sequence[str], k: int, where_sql: str = "", params: Sequence[Any] = ()) -> list[tuple[str, float]]:
        """BM25 over titles, section headings and chunk text (title and headings weigh more).
        Returns (chunk_id, score) with higher = better."""
        if not terms:
            return []
        match = " OR ".join('"' + t.replace('"', "") + '"' for t in terms)
        sql = f"""SELECT c.chunk_id, -bm25(chunks_fts, 2.0, 1.5, 1.0) AS score
                  FROM chunks_fts JOIN chunks c ON c.rowid = chunks_fts.rowid
                  JOIN documents d ON d.doc_id = c.doc_id
                  WHERE chunks_fts MATCH ? {where_sql}
                  ORDER BY bm25(chunks_fts, 2.0, 1.5, 1.0) LIMIT ?"""
        rows = self.catalog.query(sql, [match, *params, k])
        return [(r["chunk_id"], float(r["score"])) for r in rows]

    def chunk_count(self) -> int:
        return int(self.catalog.query("SELECT COUNT(*) AS n FROM chunks")[0]["n"])

    def term_frequency(self, term: str) -> int:
        """In how many chunks a (stemmed, by FTS5's Porter stemmer) keyword occurs."""
        term = term.replace('"', "")
        if not term:
            return 0
        rows = self.catalog.query("SELECT COUNT(*) AS n FROM chunks_fts WHERE chunks_fts MATCH ?", ('"' + term + '"',))
        return int(rows[0]["n"])

    def dense_search(self, embedding: np.ndarray, k: int, where: dict | None = None) -> list[tuple[str, float]]:
        return self.vectors.query(embedding, k, where)

    def sentence_sums(self, chunk_ids: Sequence[str]) -> dict[str, list[tuple[int, int, np.ndarray]]]:
        """For each chunk, its units in order as (start, end, sum of token vectors). A chunk
        indexed before sentence vectors existed has none (it is re-embedded on the next ingest)."""
        if not chunk_ids:
            return {}
        marks = ",".join("?" * len(chunk_ids))
        with self.catalog._lock:
            rows = self.catalog.db.execute(
                f"SELECT chunk_id, start, end, vec FROM sentences WHERE chunk_id IN ({marks}) ORDER BY chunk_id, ord",
                tuple(chunk_ids),
            ).fetchall()
        out: dict[str, list[tuple[int, int, np.ndarray]]] = {}
        for cid, a, b, blob in rows:
            out.setdefault(cid, []).append((a, b, np.frombuffer(blob, dtype=np.float16).astype(np.float32)))
        return out

    def alias_candidates(self, abbr: str) -> list[tuple[str, int]]:
        """Long forms of an acronym across the knowledge base with their weight: repetitions
        count up to 3 per document (a phrase many documents use beats one document's habit),
        an explicit definition counts 10."""
        rows = self.catalog.query(
            """SELECT MIN(phrase) AS phrase, SUM(MIN(weight, 3) + 7 * (weight >= 10)) AS w
               FROM aliases WHERE abbr = ? GROUP BY lower(phrase) ORDER BY w DESC LIMIT 20""",
            (abbr.upper(),),
        )
        return [(r["phrase"], int(r["w"])) for r in rows]

    # -- writing ---------------------------------------------------------------------------------
    def write_many(self, versions: Sequence["Version"], embed: "EmbedChunks") -> int:
        """Store new versions of documents, following the journal protocol for all of them at
        once (Chroma's per-call cost is high, so vectors go in one upsert). `embed` is called
        only for chunks whose vectors are not already stored: an edited document re-embeds only
        what changed. It returns the chunks' vectors and their units' token-vector sums.
        Returns how many chunks were embedded."""
        if not versions:
            return 0
        self.repair()
        now = time.time()
        doc_ids = [v.doc.doc_id for v in versions]
        marks = ",".join("?" * len(doc_ids))
        added = {r["doc_id"]: r["added_at"] for r in self.catalog.query(
            f"SELECT doc_id, added_at FROM documents WHERE doc_id IN ({marks})", doc_ids)}
        old_ids = {r["chunk_id"] for r in self.catalog.query(
            f"SELECT chunk_id FROM chunks WHERE doc_id IN ({marks})", doc_ids)}

        with self.catalog.tx() as db:  # 1. journal
            db.executemany("INSERT OR REPLACE INTO journal(doc_id, op, started) VALUES (?, 'write', ?)",
                           [(d, now) for d in doc_ids])

        ids: list[str] = []
        chunks: list[Chunk] = []
        metadatas: list[dict[str, Any]] = []
        for v in versions:
            ids += v.ids
            chunks += v.chunks
            metadatas += v.metadatas()
        present = self.vectors.existing(ids) if old_ids else set()
        if present:  # a chunk indexed before sentence vectors existed is embedded again
            with_sentences = {r["chunk_id"] for r in self.catalog.query(
                f"SELECT DISTINCT chunk_id FROM sentences WHERE chunk_id IN ({','.join('?' * len(present))})",
                sorted(present))}
            present &= with_sentences
        new_pos = [i for i, cid in enumerate(ids) if cid not in present]
        kept_pos = [i for i, cid in enumerate(ids) if cid in present]
        sentence_rows: list[tuple[str, int, int, int, bytes]] = []
        if new_pos:  # 2. vectors
            vecs, sums = embed([chunks[i] for i in new_pos])
            for i, unit_sums in zip(new_pos, sums):
                sentence_rows += [(ids[i], o, a, b, v.astype(np.float16).tobytes())
                                  for o, ((a, b), v) in enumerate(zip(chunks[i].units, unit_sums))]
            self.vectors.upsert([ids[i] for i in new_pos], vecs, [chunks[i].text for i in new_pos],
                                [metadatas[i] for i in new_pos])
        if kept_pos:
            self.vectors.update_metadata([ids[i] for i in kept_pos], [metadatas[i] for i in kept_pos])

        with self.catalog.tx() as db:  # 3. catalog
            for v in versions:
                self._replace_rows(db, v, added.get(v.doc.doc_id, now), now)
            db.executemany("INSERT OR REPLACE INTO sentences(chunk_id, ord, start, end, vec) VALUES (?,?,?,?,?)",
                           sentence_rows)
        stale = sorted(old_ids - set(ids))
        if stale:  # 4. vectors the new versions no longer have
            self.vectors.delete(stale)
        with self.catalog.tx() as db:  # 5. done
            db.executemany("DELETE FROM journal WHERE doc_id = ?", [(d,) for d in doc_ids])
        return len(new_pos)

    def _replace_rows(self, db: sqlite3.Connection, v: "Version", added_at: float, now: float) -> None:
        doc, meta = v.doc, v.doc.tags.metadata()
        self._delete_rows(db, doc.doc_id, keep=v.ids)
        db.execute(
            """INSERT INTO documents(doc_id, source_key, path, title, fmt, url, content_hash, version, type,
               grade, grade_min, grade_max, subject, chunks, size, added_at, updated_at, extra)
               VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)""",
            (
                doc.doc_id, doc.source_key, str(doc.path) if doc.path else None, doc.title, doc.fmt, doc.url,
                doc.content_hash, v.version, meta["type"], meta["grade"], meta["grade_min"], meta["grade_max"],
                meta["subject"], len(v.chunks), v.size, added_at, now, json.dumps(doc.extra),
            ),
        )
        for cid, c in zip(v.ids, v.chunks):
            cur = db.execute(
                """INSERT INTO chunks(chunk_id, doc_id, ord, text, page, slide, section, section_starts,
                   char_start, char_end, tokens) VALUES (?,?,?,?,?,?,?,?,?,?,?)""",
                (
                    cid, doc.doc_id, c.ord, c.text, c.page, c.slide, c.section,
                    json.dumps([(o, " › ".join(h)) for o, h in c.section_starts]),
                    c.char_start, c.char_end, c.tokens,
                ),
            )
            db.execute("INSERT INTO chunks_fts(rowid, title, section, body) VALUES (?,?,?,?)",
                       (cur.lastrowid, doc.title, c.section, c.text))
        db.executemany("INSERT INTO aliases(doc_id, abbr, phrase, weight) VALUES (?,?,?,?)",
                       [(doc.doc_id, a.abbr, a.phrase, a.weight) for a in v.aliases])

    def remove(self, doc_id: str) -> None:
        self.repair()
        now = time.time()
        with self.catalog.tx() as db:
            db.execute("INSERT OR REPLACE INTO journal(doc_id, op, started) VALUES (?, 'remove', ?)", (doc_id, now))
            self._delete_rows(db, doc_id)
        self.vectors.delete(self.vectors.ids_of(doc_id))
        with self.catalog.tx() as db:
            db.execute("DELETE FROM journal WHERE doc_id = ?", (doc_id,))

    @staticmethod
    def _delete_rows(db: sqlite3.Connection, doc_id: str, keep: Sequence[str] = ()) -> None:
        """Delete a document's rows; the sentence vectors of chunks in `keep` (the new version's
        unchanged chunks, same ids, same text) stay."""
        keep_set = set(keep)
        gone = [r[0] for r in db.execute("SELECT chunk_id FROM chunks WHERE doc_id = ?", (doc_id,)) if r[0] not in keep_set]
        db.executemany("DELETE FROM sentences WHERE chunk_id = ?", [(c,) for c in gone])
        db.execute("DELETE FROM aliases WHERE doc_id = ?", (doc_id,))
        db.execute("DELETE FROM chunks_fts WHERE rowid IN (SELECT rowid FROM chunks WHERE doc_id = ?)", (doc_id,))
        db.execute("DELETE FROM chunks WHERE doc_id = ?", (doc_id,))
        db.execute("DELETE FROM documents WHERE doc_id = ?", (doc_id,))

    def repair(self) -> list[str]:
        """Finish or undo writes that a crash interrupted. Returns the documents it touched."""
        pending = self.catalog.query("SELECT doc_id FROM journal")
        touched = []
        for row in pending:
            doc_id = row["doc_id"]
            want = {r["chunk_id"] for r in self.catalog.query("SELECT chunk_id FROM chunks WHERE doc_id = ?", (doc_id,))}
            have = set(self.vectors.ids_of(doc_id))
            extra = sorted(have - want)
            if extra:
                self.vectors.delete(extra)
            with self.catalog.tx() as db:
                if want - have:  # vectors lost: re-embed on the next ingest
                    db.execute("UPDATE documents SET version = 'stale' WHERE doc_id = ?", (doc_id,))
                db.execute("DELETE FROM journal WHERE doc_id = ?", (doc_id,))
            touched.append(doc_id)
        return touched

    def check(self) -> dict[str, int]:
        """Compare the catalog with Chroma (for tests and `guidepost sources check`)."""
        want = {r["chunk_id"] for r in self.catalog.query("SELECT chunk_id FROM chunks")}
        have = set(self.vectors.collection.get(include=[])["ids"])
        fts = self.catalog.query("SELECT COUNT(*) AS n FROM chunks_fts")[0]["n"]
        return {"catalog": len(want), "vectors": len(have), "keyword": fts, "missing": len(want - have), "orphans": len(have - want)}

    def close(self) -> None:
        self.catalog.close()


EmbedChunks = Callable[[list[Chunk]], tuple[np.ndarray, list[np.ndarray]]]


def _like_prefix(prefix: str) -> str:
    return prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _stored(r: dict) -> StoredChunk:
    return StoredChunk(
        chunk_id=r["chunk_id"], doc_id=r["doc_id"], ord=r["ord"], text=r["text"], page=r["page"],
        slide=r["slide"], section=r["section"], section_starts=[tuple(x) for x in json.loads(r["section_starts"])],
        title=r["title"], path=r["path"], url=r["url"], type=r["type"], grade=r["grade"], subject=r["subject"],
        fmt=r.get("fmt", ""),
    )
