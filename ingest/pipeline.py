"""Ingest: files in, chunks and vectors out, idempotently.

An unchanged document is recognised from its bytes (and its tags) before it is parsed, so an
unchanged re-run neither parses nor embeds anything. Parsing and chunking of the next documents
runs in a background thread while the encoder works on the current batch.
"""

from __future__ import annotations

import errno
import hashlib
import json
import logging
import os
import queue
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Literal, Sequence

import numpy as np

from . import aliases
from .chunking import CHUNKER_VERSION, Chunker
from .domain import Chunk, Document, Tags
from .embeddings import Encoder
from .errors import ConfigError, FileTooLarge, GuidepostError, IndexUnavailable, NoExtractableText, UnsupportedFile
from .loaders import is_sidecar, load_bytes, load_file, supported_suffixes
from .privacy import scan_document
from .standards import mapping_rows, standards_in
from .settings import IndexSettings
from .stores import KnowledgeBase, Version

log = logging.getLogger(__name__)

# Where a document keeps the tags given with flags (see `Ingestor._flag_tags`).
FLAG_TAGS = "flag_tags"

# Chunks gathered before the encoder runs: large batches let it sort by length.
EMBED_GROUP = 512


@dataclass(frozen=True)
class Indexed:
    """A file (or upload) stored as a new version."""

    path: str
    id: str
    title: str
    chunks: int
    type: str


@dataclass(frozen=True)
class Failed:
    """A file that could not be indexed, with a reason a person can act on."""

    path: str
    error: str


@dataclass(frozen=True)
class Removed:
    """A document whose file is gone from a folder that was ingested again."""

    path: str
    id: str
    title: str


@dataclass(frozen=True)
class Ingested:
    """What `ingest_bytes` did with one upload."""

    status: Literal["indexed", "unchanged"]
    id: str
    title: str
    chunks: int


@dataclass
class IngestReport:
    indexed: list[Indexed] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    failed: list[Failed] = field(default_factory=list)
    removed: list[Removed] = field(default_factory=list)
    skipped: list[Failed] = field(default_factory=list)  # files in a folder of a type Guidepost does not read
    seconds: float = 0.0
    embedded: int = 0  # chunks actually sent to the encoder
    embed_seconds: float = 0.0

    @property
    def chunks(self) -> int:
        return sum(d.chunks for d in self.indexed)

    def to_dict(self) -> dict[str, Any]:
        """The JSON `guidepost ingest --json` prints."""
        return {
            "indexed": [asdict(d) for d in self.indexed],
            "unchanged": self.unchanged,
            "failed": [asdict(f) for f in self.failed],
            "removed": [asdict(r) for r in self.removed],
            "skipped": [asdict(r) for r in self.skipped],
            "seconds": round(self.seconds, 3),
        }


@dataclass
class _Prepared:
    path: str
    doc: Document
    chunks: list[Chunk]
    version: str
    size: int
    aliases: list[aliases.Alias] = field(default_factory=list)


def discover(paths: Iterable[Path]) -> tuple[list[Path], list[Failed], list[Path], list[Failed]]:
    """Expand files and folders (recursively). Returns (files, failures, folders, skipped):
    a file of a type Guidepost does not read, found inside a folder, is skipped (a folder of
    documents often holds pictures); named on its own, it fails. A symbolic link that loops or
    points to nothing fails alone, the rest of its folder is indexed."""
    files: list[Path] = []
    failed: list[Failed] = []
    skipped: list[Failed] = []
    folders: list[Path] = []
    supported = set(supported_suffixes())
    for p in paths:
        p = Path(p).expanduser()
        if p.is_dir():
            folders.append(p)
            for root, dirs, names in os.walk(p):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for name in sorted(names):
                    f = Path(root) / name
                    if name.startswith(".") or is_sidecar(f):
                        continue
                    if f.suffix.lower() not in supported:
                        skipped.append(Failed(str(f), _unsupported(f)))
                        continue
                    files.append(f)
        elif p.is_file():
            files.append(p)
        elif p.is_symlink():
            files.append(p)  # a broken or looping link: reported below
        else:
            failed.append(Failed(str(p), "no such file or folder"))
    unique: dict[Path, Path] = {}
    for f in files:  # a file named twice (or inside a folder also named) is indexed once
        if not _utf8(f):
            failed.append(Failed(_display(f), f"{_shown(f)}: the file name is not valid UTF-8; rename the file"))
            continue
        try:
            unique.setdefault(f.resolve(strict=True), f)
        except (RuntimeError, OSError) as exc:  # Python raises RuntimeError for a symlink loop
            loop = isinstance(exc, RuntimeError) or getattr(exc, "errno", None) == errno.ELOOP
            failed.append(Failed(str(f), f"{_shown(f)}: a symbolic link that "
                                         + ("loops back on itself" if loop else "points to nothing")))  # fmt: skip
    return list(unique.values()), failed, folders, skipped


def _utf8(f: Path) -> bool:
    try:
        os.fsencode(f).decode("utf-8")
        return True
    except UnicodeDecodeError:
        return False


def _display(f: Path) -> str:
    return os.fsencode(f).decode("utf-8", "backslashreplace")


def _shown(f: Path) -> str:
    """A file name as it can be printed (a name that is not valid UTF-8 shows its odd bytes)."""
    return os.fsencode(f.name).decode("utf-8", "backslashreplace")


def _unsupported(f: Path) -> str:
    kinds = ", ".join(supported_suffixes())
    return f"{f.name}: {f.suffix or 'files without an extension'} is not a supported type (supported: {kinds})"


def _sidecar_bytes(path: Path) -> bytes:
    for suffix in (".yml", ".yaml"):
        side = path.with_name(path.name + suffix)
        if side.is_file():
            return side.read_bytes()
    return b""


def _standards_bytes(codes: Sequence[str]) -> bytes:
    return ("\0standards\0" + ",".join(codes)).encode() if codes else b""


def mapped_standards(files: Sequence[Path]) -> dict[Path, list[str]]:
    """The codes a curriculum's mapping tables give other files: Markdown files among `files`
    whose table rows link a lesson to standard codes ('| [1.01: Set Up][] | 3A-CS-02 |'). The
    linked file and its twins in other formats (lesson.md, lesson.docx, lesson.pdf) get the codes."""
    wanted = {f.resolve() for f in files}
    by_stem: dict[tuple[Path, str], list[Path]] = {}
    for f in wanted:
        by_stem.setdefault((f.parent, f.stem), []).append(f)
    out: dict[Path, list[str]] = {}
    for f in files:
        if f.suffix.lower() not in (".md", ".markdown"):
            continue
        try:
            text = f.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        if "|" not in text:
            continue
        for row in mapping_rows(text):
            if not row.target or "://" in row.target:
                continue
            target = (f.parent / row.target.split("#")[0]).resolve()
            for twin in by_stem.get((target.parent, target.stem), []):
                out.setdefault(twin, [])
                out[twin] += [c for c in row.codes if c not in out[twin]]
    return out


class Ingestor:
    def __init__(self, settings: IndexSettings, kb: KnowledgeBase, encoder: Encoder) -> None:
        self.settings = settings
        self.kb = kb
        self.encoder = encoder
        if settings.chunk_tokens + 8 > encoder.max_tokens:  # a model that sees fewer word-pieces than MiniLM
            raise ConfigError(f"GUIDEPOST_CHUNK_TOKENS={settings.chunk_tokens} is too large for {encoder.model_id}, which sees "
                              f"{encoder.max_tokens} word-pieces: use at most {encoder.max_tokens - 8}")
        kb.use_encoder(encoder.vector_space, legacy=encoder.model_id)  # vectors of one encoder per index
        self.chunker = Chunker(encoder.count_tokens, target_tokens=settings.chunk_tokens, max_tokens=encoder.max_tokens)

    @classmethod
    def from_settings(cls, settings: IndexSettings) -> Ingestor:
        return cls(settings, KnowledgeBase(settings), Encoder.from_settings(settings))

    def version(self, data: bytes, extra: bytes, tags: Tags) -> str:
        h = hashlib.sha256()
        h.update(data)
        h.update(b"\0sidecar\0" + extra)
        h.update(json.dumps([tags.type, tags.grade, tags.subject] + ([tags.review_by] if tags.review_by else [])).encode())
        h.update(f"\0{CHUNKER_VERSION}\0{self.settings.chunk_tokens}\0{self.encoder.vector_space}".encode())
        return h.hexdigest()

    # -- one document --------------------------------------------------------------------------
    def prepare(self, data: bytes, name: str, *, source_key: str, tags: Tags, url: str | None = None,
                path: Path | None = None, extra: bytes = b"", allow_personal_data: bool = False,
                standards: Sequence[str] = ()) -> _Prepared | None:
        """Parse and chunk, or return None when the stored version is current. With `path`,
        the file is loaded from disk (so its tag sidecar is read too). A document that looks like
        it holds student personal data raises PersonalDataFound unless `allow_personal_data`.
        `standards`: codes to tag it with besides those its text names."""
        version = self.version(data, extra + _standards_bytes(standards), tags)
        if self.kb.version_of(source_key) == version:
            return None
        if path is not None:
            doc = load_file(path, self.settings, tags=tags, source_key=source_key, url=url)
        else:
            doc = load_bytes(data, name, self.settings, source_key=source_key, tags=tags, url=url)
        return self._prepare_loaded(doc, name, version, len(data), allow_personal_data, standards)

    def _prepare_loaded(self, doc: Document, name: str, version: str, size: int, allow_personal_data: bool,
                        standards: Sequence[str] = ()) -> _Prepared:  # fmt: skip
        codes = list(dict.fromkeys([*standards, *standards_in(doc)]))
        if codes:
            doc.extra["standards"] = codes
        if doc.tags.review_by:  # fresh sources: when a coach should look at it again
            doc.extra["review_by"] = doc.tags.review_by
        if not allow_personal_data:
            found = scan_document(doc)
            if found:
                raise found.error(name)
        chunks = self.chunker.chunk(doc)
        if not chunks:
            raise NoExtractableText(f"{name}: no text could be extracted to index")
        return _Prepared(str(doc.path or name), doc, chunks, version, size, aliases.extract(doc.text))

    def ingest_document(self, doc: Document, name: str, *, tags: Tags | None = None, extra: dict[str, Any] | None = None,
                        allow_personal_data: bool = False, standards: Sequence[str] = ()) -> Ingested:  # fmt: skip
        """Index a document loaded elsewhere (a web page): its version is its text and tags, so
        a page fetched again with the same text is recognised as unchanged."""
        doc.tags = (tags or Tags()).merged_over(doc.tags)
        text = doc.text.encode("utf-8")
        version = self.version(text, b"\0loaded\0" + _standards_bytes(standards), doc.tags)
        if self.kb.version_of(doc.source_key) == version:
            info = self.kb.find(doc.source_key)
            return Ingested("unchanged", info.id, info.title, info.chunks)
        prepared = self._prepare_loaded(doc, name, version, len(text), allow_personal_data, standards)
        return self._store_one(prepared, extra)

    def ingest_bytes(self, data: bytes, name: str, *, source_key: str, tags: Tags | None = None,
                     url: str | None = None, extra: dict[str, Any] | None = None,
                     allow_personal_data: bool = False, standards: Sequence[str] = ()) -> Ingested:
        """Index one uploaded file. Raises a DocumentError with a readable reason when the file
        cannot be indexed (PersonalDataFound unless `allow_personal_data`)."""
        prepared = self.prepare(data, name, source_key=source_key, tags=tags or Tags(), url=url,
                                allow_personal_data=allow_personal_data, standards=standards)
        if prepared is None:
            info = self.kb.find(source_key)
            return Ingested("unchanged", info.id, info.title, info.chunks)
        return self._store_one(prepared, extra)

    def _store_one(self, prepared: _Prepared, extra: dict[str, Any] | None) -> Ingested:
        if extra:
            prepared.doc.extra.update(extra)
        report = IngestReport()
        self._write([prepared], report)
        if report.failed:
            raise IndexUnavailable(report.failed[0].error)
        return Ingested("indexed", prepared.doc.doc_id, prepared.doc.title, len(prepared.chunks))

    # -- many files ----------------------------------------------------------------------------
    def ingest_paths(self, paths: Iterable[Path], tags: Tags | None = None, *,
                     progress: Callable[[int, int], None] | None = None,
                     on_total: Callable[[int], None] | None = None,
                     allow_personal_data: bool = False, standards: Sequence[str] = ()) -> IngestReport:
        """Index files and folders. Documents are tagged with `standards`, the codes their text
        names, and the codes a curriculum's mapping table (a Markdown file among them) gives the
        files its rows link to. `on_total(files)` is called once the files are found;
        `progress(files, chunks)` as files are done: unchanged or failed ones at once, new
        versions once they are stored."""
        start = time.perf_counter()
        tags = tags or Tags()
        report = IngestReport()
        files, failed, folders, skipped = discover(paths)
        report.failed.extend(failed)
        report.skipped.extend(skipped)
        if on_total:
            on_total(len(files))
        self.kb.repair()

        batch: list[_Prepared] = []
        pending = 0
        warm = False
        mapped = mapped_standards(files)

        def done(n_files: int, n_chunks: int) -> None:
            if progress:
                progress(n_files, n_chunks)

        for item in self._prepared(files, tags, report, allow_personal_data, standards, mapped):
            if item is None:
                done(1, 0)
                continue
            if not warm:  # load the model and open Chroma while the parser works ahead
                self.encoder.load()
                self.kb.open()
                warm = True
            batch.append(item)
            pending += len(item.chunks)
            if pending >= EMBED_GROUP:
                self._write(batch, report)
                done(len(batch), pending)
                batch, pending = [], 0
        if batch:
            self._write(batch, report)
            done(len(batch), pending)
        for folder in folders:
            self._prune(folder, report)
        report.seconds = time.perf_counter() - start
        return report

    def _prepared(self, files: list[Path], tags: Tags, report: IngestReport,
                  allow_personal_data: bool = False, standards: Sequence[str] = (),
                  mapped: dict[Path, list[str]] | None = None) -> Iterator[_Prepared | None]:
        """Parse and chunk in a background thread, one step ahead of the encoder."""
        q: queue.Queue = queue.Queue(maxsize=64)
        done = object()

        def work() -> None:
            try:
                for f in files:
                    codes = [*standards, *(mapped or {}).get(f.resolve(), [])]
                    q.put(self._prepare_file(f, tags, report, allow_personal_data, codes))
            finally:
                q.put(done)

        t = threading.Thread(target=work, name="guidepost-parse", daemon=True)
        t.start()
        while (item := q.get()) is not done:
            yield item
        t.join()

    def _prepare_file(self, f: Path, tags: Tags, report: IngestReport, allow_personal_data: bool = False,
                      standards: Sequence[str] = ()) -> _Prepared | None:  # fmt: skip
        try:
            size = f.stat().st_size
            if size > self.settings.max_file_bytes:
                raise FileTooLarge(
                    f"{f.name} is {size / 1e6:.1f} MB, over the {self.settings.max_file_mb:g} MB limit (GUIDEPOST_MAX_FILE_MB)"
                )
            resolved = f.resolve()
            tags = tags.merged_over(self._flag_tags(str(resolved)))
            item = self.prepare(f.read_bytes(), f.name, source_key=str(resolved), tags=tags, path=resolved,
                                extra=_sidecar_bytes(f), allow_personal_data=allow_personal_data,
                                standards=list(dict.fromkeys(standards)))
            if item is None:
                report.unchanged.append(str(f))
            else:
                item.path = str(f)
                if tags != Tags():
                    item.doc.extra[FLAG_TAGS] = {"type": tags.type, "grade": tags.grade, "subject": tags.subject}
            return item
        except GuidepostError as exc:
            report.failed.append(Failed(str(f), str(exc)))
        except OSError as exc:
            report.failed.append(Failed(str(f), f"{f.name}: could not be read ({exc.strerror or exc})"))
        except Exception as exc:  # noqa: BLE001 - one bad file must not stop the batch
            log.exception("unexpected error while reading %s", f)
            report.failed.append(Failed(str(f), f"{f.name}: unexpected error ({type(exc).__name__}: {exc})"))
        return None

    def _flag_tags(self, source_key: str) -> Tags:
        """The tags given with flags (`--type`, `--grade`, `--subject`) when the file was last
        ingested. They outlast the file's own tags (front matter, sidecar) on a re-ingest without
        flags; flags given again replace them one by one."""
        if self.kb.version_of(source_key) is None:
            return Tags()
        given = self.kb.find(source_key).extra.get(FLAG_TAGS) or {}
        try:
            return Tags.parse(given.get("type"), given.get("grade"), given.get("subject"))
        except GuidepostError:
            return Tags()

    def _write(self, batch: list[_Prepared], report: IngestReport) -> None:
        """Store a batch of documents: what they need embedded goes through the encoder in one
        call (large calls let it sort by length), and their vectors into Chroma in one upsert."""

        def embed(needed: list[Chunk]) -> tuple[np.ndarray, list[np.ndarray]]:
            # identical texts (a file copied twice) embed once
            unique = list({c.embed_text: c for c in needed}.values())
            t0 = time.perf_counter()
            offset = [len(c.embed_text) - len(c.text) for c in unique]  # the title prefix
            vecs, sums = self.encoder.encode_with_spans(
                [c.embed_text for c in unique], [[(a + o, b + o) for a, b in c.units] for c, o in zip(unique, offset)]
            )
            report.embed_seconds += time.perf_counter() - t0
            report.embedded += len(unique)
            pos = {c.embed_text: i for i, c in enumerate(unique)}
            return np.stack([vecs[pos[c.embed_text]] for c in needed]), [sums[pos[c.embed_text]] for c in needed]

        try:
            self.kb.write_many([Version(i.doc, i.chunks, i.version, i.size, i.aliases) for i in batch], embed)
        except GuidepostError as exc:
            report.failed.extend(Failed(i.path, str(exc)) for i in batch)
            return
        except Exception as exc:  # noqa: BLE001 - the journal repairs the index; the batch is reported
            log.exception("storing %d documents failed", len(batch))
            report.failed.extend(Failed(i.path, f"{Path(i.path).name}: could not be stored ({exc})") for i in batch)
            return
        for item in batch:
            doc = item.doc
            report.indexed.append(Indexed(item.path, doc.doc_id, doc.title, len(item.chunks), doc.tags.type or "other"))

    def _prune(self, folder: Path, report: IngestReport) -> None:
        """Documents indexed from `folder` whose files are gone are removed."""
        for info in self.kb.sources_under(folder):
            if info.path and not Path(info.path).exists():
                self.kb.remove(info.id)
                report.removed.append(Removed(info.path, info.id, info.title))
