"""The SQLite half of the knowledge base (`data_dir/catalog.sqlite3`): documents, chunk texts, a
BM25 keyword index (FTS5) over titles, headings and text, and the journal that makes writes
crash-safe (see `knowledge_base`). All of the index's SQL is here, the translation of `Filters`
into a WHERE clause included."""

from __future__ import annotations

import json
import re
import sqlite3
import threading
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

import numpy as np

from ..domain import Filters
from ..text import STOPWORDS, keyword_terms  # noqa: F401 - part of the index's API
from .sqlite import Database

if TYPE_CHECKING:
    from .knowledge_base import Version

FILENAME = "catalog.sqlite3"
BM25_WEIGHTS = "2.0, 1.5, 1.0"  # title, section headings, text
FILTER_CACHE = 32  # filters whose chunk sets are kept
TOKENIZER = "porter unicode61"  # the keyword index's, as migration 1 made it
WARM_SHARE = 0.005  # `warm_keywords` reads the words in at least this share of the chunks
PHRASE_CACHE_ROWS = 8_000_000  # (rowid, score) pairs of one-word queries kept: at most 96 MB

MIGRATIONS = (
    # 1: the schema as it was before versions were kept
    """
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
    """,
    # 2: the schema version is PRAGMA user_version now; the meta table only held a copy of it
    "DROP TABLE IF EXISTS meta;",
    # 3: sentence vectors and acronyms. One row per sentence, list item, table row or heading of a
    # chunk: its offsets in the chunk text and the sum of its token vectors (float16), read off
    # the chunk's own forward pass. Acronyms a document's long forms spell (ingest/aliases.py).
    # Chunks indexed before have no sentence rows: the next ingest re-embeds them.
    """
    CREATE TABLE IF NOT EXISTS sentences (
        chunk_id TEXT NOT NULL,
        ord INTEGER NOT NULL,
        start INTEGER NOT NULL,
        end INTEGER NOT NULL,
        vec BLOB NOT NULL,
        PRIMARY KEY (chunk_id, ord)
    ) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS aliases (doc_id TEXT NOT NULL, abbr TEXT NOT NULL, phrase TEXT NOT NULL, weight INTEGER NOT NULL);
    CREATE INDEX IF NOT EXISTS aliases_abbr ON aliases(abbr);
    CREATE INDEX IF NOT EXISTS aliases_doc ON aliases(doc_id);
    """,
    # 4: facts about the whole index. `vector_space`: which encoder's vectors it holds (see
    # `Encoder.vector_space`), written by the first write; an index from before has none and
    # was made by torch (`KnowledgeBase.use_encoder` takes it as such).
    "CREATE TABLE IF NOT EXISTS index_info (key TEXT PRIMARY KEY, value TEXT NOT NULL);",
    # 5: documents by path. Every ingest of a folder lists the documents indexed from it (to
    # remove those whose files are gone): without an index that is a scan of every document per
    # folder, and an unchanged re-run of 500 folders at 100k chunks took 14% of the first run.
    "CREATE INDEX IF NOT EXISTS documents_path ON documents(path);",
)

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

    @classmethod
    def from_row(cls, r: sqlite3.Row) -> SourceInfo:
        return cls(
            id=r["doc_id"], title=r["title"], path=r["path"], type=r["type"], grade=r["grade"],
            subject=r["subject"], chunks=r["chunks"], fmt=r["fmt"], url=r["url"], added_at=r["added_at"],
            updated_at=r["updated_at"], source_key=r["source_key"], extra=json.loads(r["extra"] or "{}"),
        )  # fmt: skip

    @property
    def review_by(self) -> str | None:
        """When a coach should look at it again (ISO date), if someone said."""
        value = (self.extra or {}).get("review_by")
        return str(value) if value else None

    def overdue(self, today: str | None = None) -> bool:
        """Past its review date (`today`: an ISO date; default: today, UTC)."""
        return bool(self.review_by) and self.review_by < (today or time.strftime("%Y-%m-%d", time.gmtime()))

    def to_dict(self) -> dict[str, Any]:
        d = self.__dict__.copy()
        d["review_by"] = self.review_by
        d["overdue"] = self.overdue()
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

    @classmethod
    def from_row(cls, r: sqlite3.Row) -> StoredChunk:
        return cls(
            chunk_id=r["chunk_id"], doc_id=r["doc_id"], ord=r["ord"], text=r["text"], page=r["page"],
            slide=r["slide"], section=r["section"], section_starts=[tuple(x) for x in json.loads(r["section_starts"])],
            title=r["title"], path=r["path"], url=r["url"], type=r["type"], grade=r["grade"], subject=r["subject"],
            fmt=r["fmt"] or "",
        )  # fmt: skip

    def section_at(self, offset: int) -> str:
        """The heading path in force at `offset` within the chunk text."""
        current = self.section
        for start, heading in self.section_starts:
            if start <= offset:
                current = heading
        return current


@dataclass
class IndexStats:
    """What the App Home says about the knowledge base."""

    documents: int
    chunks: int
    last_updated: float | None  # epoch seconds; None when nothing was ever indexed
    by_type: dict[str, int]


def filters_sql(f: Filters | None) -> tuple[str, list[Any]]:
    """`Filters` as an SQL condition on the `documents` table (aliased `d`), with its
    parameters; ("", []) for no filter."""
    if f is None or f.is_empty():
        return "", []
    sql: list[str] = []
    params: list[Any] = []
    types = f.wanted_types()
    if types:
        sql.append(f"d.type IN ({','.join('?' * len(types))})")
        params += types
    subjects = f.wanted_subjects()
    if subjects:
        sql.append(f"d.subject IN ({','.join('?' * (len(subjects) + 1))})")
        params += [*subjects, ""]
    band = f.grade_band()
    if band:
        sql.append("d.grade_min <= ? AND d.grade_max >= ?")
        params += [band[1], band[0]]
    codes = f.wanted_standards()
    if codes:  # the document's codes are a JSON list in extra.standards
        sql.append(f"EXISTS (SELECT 1 FROM json_each(d.extra, '$.standards') AS s WHERE s.value IN ({','.join('?' * len(codes))}))")
        params += codes
    return " AND " + " AND ".join(sql), params


_tokenizer_lock = threading.Lock()


@lru_cache(maxsize=100_000)
def fts5_tokens(phrase: str) -> tuple[str, ...]:
    """The tokens FTS5 reads in a quoted phrase of the keyword index (same tokenizer and
    stemmer), from a table of its own in memory."""
    with _tokenizer_lock:
        global _tokenizer
        if _tokenizer is None:
            _tokenizer = sqlite3.connect(":memory:", check_same_thread=False)
            _tokenizer.execute(f"CREATE VIRTUAL TABLE t USING fts5(x, tokenize={TOKENIZER!r})")
            _tokenizer.execute("CREATE VIRTUAL TABLE v USING fts5vocab(t, 'instance')")
        _tokenizer.execute("INSERT INTO t(rowid, x) VALUES (1, ?)", (phrase.strip('"'),))
        tokens = tuple(r[0] for r in _tokenizer.execute("SELECT term FROM v ORDER BY offset"))
        _tokenizer.execute("DELETE FROM t")
        return tokens


_tokenizer: sqlite3.Connection | None = None


def _marks(n: int) -> str:
    return ",".join("?" * n)


def _like_prefix(prefix: str) -> str:
    return prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


class Catalog:
    """Documents, chunks and the keyword index. Thread-safe (see `Database`)."""

    def __init__(self, path: Path) -> None:
        self.db = Database(path, MIGRATIONS)
        self.db.version  # noqa: B018 - open (and upgrade) now: every use of the index needs it

    # --- documents -------------------------------------------------------------------------

    def version_of(self, source_key: str) -> str | None:
        return self.db.query_one("SELECT version FROM documents WHERE source_key = ?", (source_key,), row=lambda r: r[0])

    def sources(self) -> list[SourceInfo]:
        return self.db.query("SELECT * FROM documents ORDER BY added_at DESC, title", row=SourceInfo.from_row)

    def stats(self) -> IndexStats:
        by_type = dict(self.db.query("SELECT type, COUNT(*) FROM documents GROUP BY type", row=tuple))
        docs, chunks, last = self.db.query_one(
            "SELECT COUNT(*), COALESCE(SUM(chunks), 0), MAX(updated_at) FROM documents", row=tuple
        )  # type: ignore[misc]
        return IndexStats(documents=docs, chunks=chunks, last_updated=last, by_type=by_type)

    def find(self, key: str) -> SourceInfo | None:
        """The document whose id, source key or path is `key`."""
        return self.db.query_one(
            "SELECT * FROM documents WHERE doc_id = ? OR source_key = ? OR path = ?", (key, key, key), row=SourceInfo.from_row
        )

    def with_id_prefix(self, prefix: str) -> list[SourceInfo]:
        return self.db.query("SELECT * FROM documents WHERE doc_id LIKE ? ESCAPE '\\'", (_like_prefix(prefix),),
                             row=SourceInfo.from_row)  # fmt: skip

    def under(self, folder: Path) -> list[SourceInfo]:
        """Documents whose path lies under `folder` (case-sensitive, as paths are): a range of
        the `documents_path` index, from "folder/" up to "folder0" ('0' follows '/')."""
        prefix = str(folder.resolve()).rstrip("/") + "/"
        return self.db.query("SELECT * FROM documents WHERE path >= ? AND path < ?", (prefix, prefix[:-1] + "0"),
                             row=SourceInfo.from_row)  # fmt: skip

    def added_at(self, doc_ids: Sequence[str]) -> dict[str, float]:
        return dict(self.db.query(f"SELECT doc_id, added_at FROM documents WHERE doc_id IN ({_marks(len(doc_ids))})",
                                  doc_ids, row=tuple))  # fmt: skip

    # --- chunks ----------------------------------------------------------------------------

    def chunk_ids_of(self, doc_ids: Sequence[str]) -> set[str]:
        return set(self.db.query(f"SELECT chunk_id FROM chunks WHERE doc_id IN ({_marks(len(doc_ids))})", doc_ids,
                                 row=lambda r: r[0]))  # fmt: skip

    def all_chunk_ids(self) -> set[str]:
        return set(self.db.query("SELECT chunk_id FROM chunks", row=lambda r: r[0]))

    def chunks(self, ids: Sequence[str]) -> dict[str, StoredChunk]:
        if not ids:
            return {}
        rows = self.db.query(
            f"""SELECT c.*, d.title, d.path, d.url, d.type, d.grade, d.subject, d.fmt
                FROM chunks c JOIN documents d ON d.doc_id = c.doc_id WHERE c.chunk_id IN ({_marks(len(ids))})""",
            ids,
            row=StoredChunk.from_row,
        )
        return {c.chunk_id: c for c in rows}

    def chunk_count(self) -> int:
        return int(self.db.query_one("SELECT COUNT(*) FROM chunks", row=lambda r: r[0]) or 0)

    def cached_chunk_count(self) -> int:
        """`chunk_count`, read once while the catalog is unchanged (the vector index holds as
        many vectors: `KnowledgeBase` keeps them consistent)."""
        memo = self._memo()
        if "chunks" not in memo:
            memo["chunks"] = self.chunk_count()
        return memo["chunks"]

    def keyword_rows(self) -> int:
        return int(self.db.query_one("SELECT COUNT(*) FROM chunks_fts", row=lambda r: r[0]) or 0)

    # --- keyword search --------------------------------------------------------------------
    #
    # FTS5's bm25() of an OR of the question's words costs a few microseconds for every row that
    # matches any of them, and a question's common words ("students", "lesson") match most rows:
    # 45-245 ms a question at 100k chunks. But bm25() is a sum over the query's phrases, each
    # term of which depends only on that phrase, the row and the index's statistics: so the
    # score of an OR query is the sum of the scores of one-word queries, added in the same order:
    # the same float, bit for bit (tests/ingest/stores/test_search.py compares them). Each
    # word's per-row scores are read once from FTS5 itself (the same tokenizer, stemmer, column
    # weights, idf and length normalisation) and kept as arrays until the catalog changes; a
    # question then costs array sums. The common words, the costly ones to read, are exactly
    # those that come back in question after question.

    def _memo(self) -> dict[str, Any]:
        """A cache of what this connection read, emptied whenever the catalog changed."""
        gen = self.db.generation()
        if getattr(self, "_memo_gen", None) != gen:
            self._memo_gen, self._memo_data = gen, {}
        return self._memo_data

    def _max_rowid(self, memo: dict[str, Any]) -> int:
        if "max_rowid" not in memo:
            memo["max_rowid"] = int(self.db.query_one("SELECT MAX(rowid) FROM chunks", row=lambda r: r[0]) or 0)
        return memo["max_rowid"]

    def _phrase_scores(self, phrase: str, memo: dict[str, Any]) -> tuple[np.ndarray, np.ndarray]:
        """(rowids, bm25 of the one-phrase query) of every row the phrase matches, kept under
        the phrase's tokens as FTS5 reads them ("students" and "student" share one entry)."""
        cache: dict[Any, tuple[np.ndarray, np.ndarray]] = memo.setdefault("phrases", {})
        key = fts5_tokens(phrase) or phrase
        hit = cache.pop(key, None)
        if hit is None:
            rows = self.db.query(f"SELECT rowid, -bm25(chunks_fts, {BM25_WEIGHTS}) FROM chunks_fts WHERE chunks_fts MATCH ?",
                                 (phrase,), row=tuple)  # fmt: skip
            hit = (np.fromiter((r for r, _ in rows), dtype=np.int32, count=len(rows)),
                   np.fromiter((x for _, x in rows), dtype=np.float64, count=len(rows)))  # fmt: skip
            memo["cached_rows"] = memo.get("cached_rows", 0) + len(rows)
            while cache and memo["cached_rows"] > PHRASE_CACHE_ROWS:  # least recently used first
                memo["cached_rows"] -= len(cache.pop(next(iter(cache)))[0])
        cache[key] = hit  # most recently used last
        return hit

    def warm_keywords(self, share: float = WARM_SHARE) -> int:
        """Read the one-word scores of the words in at least `share` of the chunks now (they are
        the costly ones to read, and most questions have several): a question's keyword search
        is then array sums. Returns how many words. At 100k chunks: about 1,200 words, 4.2M
        (rowid, score) pairs (50 MB), 5-20 s on 2 cores depending on their load."""
        memo = self._memo()
        rows = self.cached_chunk_count()
        self.db.query("CREATE VIRTUAL TABLE IF NOT EXISTS temp.chunks_vocab USING fts5vocab(main, 'chunks_fts', 'row')")
        common = self.db.query("SELECT term FROM temp.chunks_vocab WHERE doc >= ? ORDER BY doc DESC",
                               (max(2, int(share * rows)),), row=lambda r: r[0])  # fmt: skip
        budget, n = PHRASE_CACHE_ROWS * 3 // 4, 0
        stop = {t for w in STOPWORDS for t in fts5_tokens(f'"{w}"')}  # never searched
        for term in common:
            if term in stop or fts5_tokens(f'"{term}"') != (term,):
                continue  # a stem that the stemmer would change again: no question word reads as it
            budget -= len(self._phrase_scores(f'"{term}"', memo)[0])
            n += 1
            if budget <= 0:
                break
        return n

    def filtered_rows(self, filters: Filters | None) -> tuple[np.ndarray, list[str]] | None:
        """The chunks `filters` lets through, as (a mask over chunk rowids, chunk ids); None for
        no filter. Read once per filter while the catalog is unchanged (a scan of the documents'
        tags), so both searches restrict to a set instead of testing every row they meet."""
        where, params = filters_sql(filters)
        if not where:
            return None
        memo = self._memo()
        cache = memo.setdefault("filtered", {})
        key = (where, tuple(params))
        if key not in cache:
            rows = self.db.query(f"SELECT c.rowid, c.chunk_id FROM chunks c JOIN documents d ON d.doc_id = c.doc_id "
                                 f"WHERE 1 {where}", params, row=tuple)  # fmt: skip
            mask = np.zeros(self._max_rowid(memo) + 1, dtype=bool)
            mask[[r for r, _ in rows]] = True
            if len(cache) >= FILTER_CACHE:
                cache.pop(next(iter(cache)))
            cache[key] = (mask, [c for _, c in rows])
        return cache[key]

    def search_keyword(self, terms: Sequence[str], k: int, filters: Filters | None = None) -> list[tuple[str, float]]:
        """BM25 over titles, section headings and chunk text (title and headings weigh more):
        FTS5's bm25() of the OR of the terms, the k best rows, computed as a sum of one-term
        scores (see above). Returns (chunk_id, score) with higher = better."""
        if not terms or k <= 0:
            return []
        memo = self._memo()
        allowed = self.filtered_rows(filters)
        parts = [self._phrase_scores('"' + t.replace('"', "") + '"', memo) for t in terms]
        rowids = np.concatenate([r for r, _ in parts])
        if not len(rowids):
            return []
        size = max(self._max_rowid(memo), int(rowids.max())) + 1
        scores = np.zeros(size)
        for r, x in parts:  # in the query's order, as bm25() adds them
            scores[r] += x  # a phrase matches a row once: no repeated index within `r`
        matched = np.zeros(size, dtype=bool)
        matched[rowids] = True
        if allowed is not None:
            matched[: len(allowed[0])] &= allowed[0]
            matched[len(allowed[0]) :] = False
        rows = np.flatnonzero(matched)
        if len(rows) > k:  # the k best (with every row tied with the k-th), then in order
            cut = scores[rows[np.argpartition(-scores[rows], k - 1)[k - 1]]]
            rows = rows[scores[rows] >= cut]
        best = rows[np.lexsort((rows, -scores[rows]))][:k]  # equal scores by rowid
        return self._with_chunk_ids([(int(r), float(scores[r])) for r in best])

    def _with_chunk_ids(self, top: list[tuple[int, float]]) -> list[tuple[str, float]]:
        if not top:
            return []
        ids = dict(self.db.query(f"SELECT rowid, chunk_id FROM chunks WHERE rowid IN ({_marks(len(top))})",
                                 [r for r, _ in top], row=tuple))  # fmt: skip
        return [(ids[r], s) for r, s in top if r in ids]

    def term_frequency(self, term: str) -> int:
        """In how many chunks a (stemmed, by FTS5's Porter stemmer) keyword occurs."""
        term = term.replace('"', "")
        if not term:
            return 0
        return len(self._phrase_scores('"' + term + '"', self._memo())[0])

    # --- sentences and acronyms ------------------------------------------------------------

    def sentence_sums(self, chunk_ids: Sequence[str]) -> dict[str, list[tuple[int, int, np.ndarray]]]:
        """For each chunk, its units in order as (start, end, sum of token vectors)."""
        if not chunk_ids:
            return {}
        rows = self.db.query(
            f"SELECT chunk_id, start, end, vec FROM sentences WHERE chunk_id IN ({_marks(len(chunk_ids))}) ORDER BY chunk_id, ord",
            chunk_ids, row=tuple,
        )  # fmt: skip
        out: dict[str, list[tuple[int, int, np.ndarray]]] = {}
        if not rows:
            return out
        width = len(rows[0][3])
        if all(len(r[3]) == width for r in rows):  # one decode for every vector (rows are views of it)
            vecs = np.frombuffer(b"".join(r[3] for r in rows), dtype=np.float16).reshape(len(rows), -1).astype(np.float32)
        else:  # vectors of two models (an index being re-embedded): one at a time
            vecs = [np.frombuffer(r[3], dtype=np.float16).astype(np.float32) for r in rows]  # type: ignore[assignment]
        for (cid, a, b, _), v in zip(rows, vecs):
            out.setdefault(cid, []).append((a, b, v))
        return out

    def with_sentences(self, chunk_ids: Sequence[str]) -> set[str]:
        if not chunk_ids:
            return set()
        return set(self.db.query(f"SELECT DISTINCT chunk_id FROM sentences WHERE chunk_id IN ({_marks(len(chunk_ids))})",
                                 chunk_ids, row=lambda r: r[0]))  # fmt: skip

    def alias_candidates(self, abbr: str) -> list[tuple[str, int]]:
        """Long forms of an acronym across the knowledge base with their weight: repetitions
        count up to 3 per document (a phrase many documents use beats one document's habit),
        an explicit definition counts 10."""
        return self.db.query(
            """SELECT MIN(phrase), SUM(MIN(weight, 3) + 7 * (weight >= 10)) AS w
               FROM aliases WHERE abbr = ? GROUP BY lower(phrase) ORDER BY w DESC LIMIT 20""",
            (abbr.upper(),), row=lambda r: (r[0], int(r[1])),
        )  # fmt: skip

    # --- writing (inside `Database.transaction`) -------------------------------------------

    @staticmethod
    def replace_rows(tx: sqlite3.Connection, v: Version, added_at: float, now: float) -> None:
        """The document's rows (document, chunks, keyword index) replaced by version `v`."""
        doc, meta = v.doc, v.doc.tags.metadata()
        Catalog.delete_rows(tx, doc.doc_id, keep=v.ids)
        tx.execute(
            """INSERT INTO documents(doc_id, source_key, path, title, fmt, url, content_hash, version, type,
               grade, grade_min, grade_max, subject, chunks, size, added_at, updated_at, extra)
               VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)""",
            (
                doc.doc_id, doc.source_key, str(doc.path) if doc.path else None, doc.title, doc.fmt, doc.url,
                doc.content_hash, v.version, meta["type"], meta["grade"], meta["grade_min"], meta["grade_max"],
                meta["subject"], len(v.chunks), v.size, added_at, now, json.dumps(doc.extra),
            ),
        )  # fmt: skip
        for cid, c in zip(v.ids, v.chunks):
            cur = tx.execute(
                """INSERT INTO chunks(chunk_id, doc_id, ord, text, page, slide, section, section_starts,
                   char_start, char_end, tokens) VALUES (?,?,?,?,?,?,?,?,?,?,?)""",
                (
                    cid, doc.doc_id, c.ord, c.text, c.page, c.slide, c.section,
                    json.dumps([(o, " › ".join(h)) for o, h in c.section_starts]),
                    c.char_start, c.char_end, c.tokens,
                ),
            )  # fmt: skip
            tx.execute("INSERT INTO chunks_fts(rowid, title, section, body) VALUES (?,?,?,?)",
                       (cur.lastrowid, doc.title, c.section, c.text))  # fmt: skip
        tx.executemany("INSERT INTO aliases(doc_id, abbr, phrase, weight) VALUES (?,?,?,?)",
                       [(doc.doc_id, a.abbr, a.phrase, a.weight) for a in v.aliases])  # fmt: skip

    @staticmethod
    def add_sentences(tx: sqlite3.Connection, rows: Sequence[tuple[str, int, int, int, bytes]]) -> None:
        tx.executemany("INSERT OR REPLACE INTO sentences(chunk_id, ord, start, end, vec) VALUES (?,?,?,?,?)", rows)

    @staticmethod
    def delete_rows(tx: sqlite3.Connection, doc_id: str, keep: Sequence[str] = ()) -> None:
        """Delete a document's rows; the sentence vectors of chunks in `keep` (the new version's
        unchanged chunks: same ids, same text) stay."""
        kept = set(keep)
        gone = [r[0] for r in tx.execute("SELECT chunk_id FROM chunks WHERE doc_id = ?", (doc_id,)) if r[0] not in kept]
        tx.executemany("DELETE FROM sentences WHERE chunk_id = ?", [(c,) for c in gone])
        tx.execute("DELETE FROM aliases WHERE doc_id = ?", (doc_id,))
        tx.execute("DELETE FROM chunks_fts WHERE rowid IN (SELECT rowid FROM chunks WHERE doc_id = ?)", (doc_id,))
        tx.execute("DELETE FROM chunks WHERE doc_id = ?", (doc_id,))
        tx.execute("DELETE FROM documents WHERE doc_id = ?", (doc_id,))

    @staticmethod
    def mark_stale(tx: sqlite3.Connection, doc_id: str) -> None:
        """Make the next ingest of the document re-embed it (its stored version matches nothing)."""
        tx.execute("UPDATE documents SET version = 'stale' WHERE doc_id = ?", (doc_id,))

    # --- consistency (`KnowledgeBase.consistency`) ------------------------------------------

    def counts(self) -> dict[str, int]:
        """Rows in each table of the index."""
        one = lambda sql: int(self.db.query_one(sql, row=lambda r: r[0]) or 0)  # noqa: E731
        return {
            "documents": one("SELECT COUNT(*) FROM documents"),
            "chunks": one("SELECT COUNT(*) FROM chunks"),
            "keyword": one("SELECT COUNT(*) FROM chunks_fts"),
            "sentences": one("SELECT COUNT(*) FROM sentences"),
            "chunks_with_sentences": one("SELECT COUNT(DISTINCT chunk_id) FROM sentences"),
            "aliases": one("SELECT COUNT(*) FROM aliases"),
        }

    def inconsistencies(self) -> dict[str, list]:
        """What in the catalog does not agree with itself, each as the rows concerned."""
        q = lambda sql: self.db.query(sql, row=lambda r: r[0])  # noqa: E731
        return {
            # chunks of no document (and their keyword rows and sentence vectors)
            "chunks_without_document": q("SELECT chunk_id FROM chunks WHERE doc_id NOT IN (SELECT doc_id FROM documents)"),
            # chunks the keyword search cannot find; keyword rows of no chunk
            "chunks_without_keyword_row": q("SELECT c.rowid FROM chunks c LEFT JOIN chunks_fts f ON f.rowid = c.rowid "
                                            "WHERE f.rowid IS NULL"),
            "keyword_rows_without_chunk": q("SELECT rowid FROM chunks_fts WHERE rowid NOT IN (SELECT rowid FROM chunks)"),
            # chunks without sentence vectors (answers cannot quote them); sentence rows of no chunk
            "chunks_without_sentences": q("SELECT chunk_id FROM chunks WHERE chunk_id NOT IN (SELECT chunk_id FROM sentences)"),
            "sentences_without_chunk": q("SELECT DISTINCT chunk_id FROM sentences WHERE chunk_id NOT IN "
                                         "(SELECT chunk_id FROM chunks)"),
            "aliases_without_document": q("SELECT DISTINCT doc_id FROM aliases WHERE doc_id NOT IN (SELECT doc_id FROM documents)"),
            # documents whose chunk count is not the number of their chunks
            "documents_with_wrong_count": q("SELECT d.doc_id FROM documents d LEFT JOIN (SELECT doc_id, COUNT(*) AS n "
                                            "FROM chunks GROUP BY doc_id) c ON c.doc_id = d.doc_id "
                                            "WHERE COALESCE(c.n, 0) != d.chunks"),
        }  # fmt: skip

    def docs_of_chunks(self, chunk_ids: Sequence[str]) -> set[str]:
        if not chunk_ids:
            return set()
        return set(self.db.query(f"SELECT DISTINCT doc_id FROM chunks WHERE chunk_id IN ({_marks(len(chunk_ids))})",
                                 list(chunk_ids), row=lambda r: r[0]))  # fmt: skip

    @staticmethod
    def fix_rows(tx: sqlite3.Connection, found: dict[str, list]) -> None:
        """Repair what `inconsistencies` found that the catalog itself holds the answer to."""
        orphans = found["chunks_without_document"]
        tx.executemany("DELETE FROM sentences WHERE chunk_id = ?", [(c,) for c in orphans])
        tx.executemany("DELETE FROM chunks_fts WHERE rowid IN (SELECT rowid FROM chunks WHERE chunk_id = ?)",
                       [(c,) for c in orphans])  # fmt: skip
        tx.executemany("DELETE FROM chunks WHERE chunk_id = ?", [(c,) for c in orphans])
        tx.executemany("DELETE FROM chunks_fts WHERE rowid = ?", [(r,) for r in found["keyword_rows_without_chunk"]])
        tx.executemany(
            """INSERT INTO chunks_fts(rowid, title, section, body)
               SELECT c.rowid, d.title, c.section, c.text FROM chunks c JOIN documents d ON d.doc_id = c.doc_id
               WHERE c.rowid = ?""",
            [(r,) for r in found["chunks_without_keyword_row"]],
        )
        tx.executemany("DELETE FROM sentences WHERE chunk_id = ?", [(c,) for c in found["sentences_without_chunk"]])
        tx.executemany("DELETE FROM aliases WHERE doc_id = ?", [(d,) for d in found["aliases_without_document"]])
        tx.execute("UPDATE documents SET chunks = (SELECT COUNT(*) FROM chunks c WHERE c.doc_id = documents.doc_id)")

    # --- the journal -----------------------------------------------------------------------

    @staticmethod
    def begin(tx: sqlite3.Connection, doc_ids: Sequence[str], op: str, now: float) -> None:
        tx.executemany("INSERT OR REPLACE INTO journal(doc_id, op, started) VALUES (?, ?, ?)",
                       [(d, op, now) for d in doc_ids])  # fmt: skip

    @staticmethod
    def done(tx: sqlite3.Connection, doc_ids: Sequence[str]) -> None:
        tx.executemany("DELETE FROM journal WHERE doc_id = ?", [(d,) for d in doc_ids])

    def info(self, key: str) -> str | None:
        return self.db.query_one("SELECT value FROM index_info WHERE key = ?", (key,), row=lambda r: r[0])

    @staticmethod
    def set_info(tx: sqlite3.Connection, key: str, value: str) -> None:
        tx.execute("INSERT OR REPLACE INTO index_info(key, value) VALUES (?, ?)", (key, value))

    def pending(self) -> list[str]:
        """Documents whose write did not finish (a crash)."""
        return self.db.query("SELECT doc_id FROM journal", row=lambda r: r[0])

    def close(self) -> None:
        self.db.close()
