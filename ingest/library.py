"""The knowledge base as people curate it: add, re-tag, remove, list. The CLI (`guidepost ingest`,
`guidepost sources`) and the Slack bot (coaches sharing files) both go through `Library`, so both
follow the same rules and the answer engine hears about every change.

    library = Library(settings)                      # the data dir's index; the model loads when needed
    engine = Engine(settings, library.kb, library.encoder)   # the bot: one index for both
    library.subscribe(engine.index_changed)
    report = library.add_paths([Path("knowledge")], Tags.parse(type="guide"))
    added = library.add(Upload(data, "board.docx", source_key="slack:F1"), Tags.parse(grade="5"))

`add` and `retag` never raise for a bad file: the result says what happened (`Added`), with a
sentence a coach can act on when it failed. Writes are serialised (one at a time).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from .domain import Tags
from .embeddings import Encoder
from .errors import GuidepostError
from .pipeline import IngestReport, Ingestor
from .settings import IndexSettings
from .stores import IndexStats, KnowledgeBase, SourceInfo

log = logging.getLogger(__name__)

UNEXPECTED_ADD = "Something went wrong on my side while adding it. It has been logged."
UNEXPECTED_RETAG = "Something went wrong on my side while saving the tags. It has been logged."


@dataclass(frozen=True)
class Upload:
    """A file received as bytes (not read from a folder)."""

    data: bytes
    name: str  # the file's name: its suffix picks the loader
    source_key: str  # its identity in the index, e.g. "slack:F0123ABC"
    url: str | None = None  # where a teacher can open it (cited with the answer)
    extra: dict[str, Any] = field(default_factory=dict)  # kept with the document (who added it, ...)


@dataclass(frozen=True)
class Added:
    """What happened to one file."""

    name: str  # the file's name as its owner knows it
    status: Literal["indexed", "updated", "unchanged", "failed"]
    title: str = ""
    doc_id: str = ""
    chunks: int = 0
    tags: Tags = Tags()
    reason: str = ""  # when failed
    url: str | None = None

    @property
    def ok(self) -> bool:
        return self.status != "failed"

    @classmethod
    def failed(cls, name: str, reason: str) -> Added:
        return cls(name, "failed", reason=reason)


class Library:
    def __init__(self, settings: IndexSettings, kb: KnowledgeBase | None = None, encoder: Encoder | None = None) -> None:
        self.settings = settings
        self.kb = kb or KnowledgeBase(settings)
        self._encoder = encoder
        self._ingestor: Ingestor | None = None
        self._build = threading.RLock()
        self._write = threading.Lock()  # one index write at a time
        self._listeners: list[Callable[[], None]] = []

    @property
    def encoder(self) -> Encoder:
        """The encoder documents are embedded with (its model loads on first use)."""
        with self._build:
            if self._encoder is None:
                self._encoder = Encoder.from_settings(self.settings)
            return self._encoder

    @property
    def ingestor(self) -> Ingestor:
        with self._build:
            if self._ingestor is None:
                self._ingestor = Ingestor(self.settings, self.kb, self.encoder)
            return self._ingestor

    def subscribe(self, listener: Callable[[], None]) -> None:
        """Call `listener()` after every change to the index (the engine drops cached statistics)."""
        self._listeners.append(listener)

    def _changed(self) -> None:
        for listener in self._listeners:
            try:
                listener()
            except Exception:
                log.exception("a listener to index changes failed")

    # --- reading ---------------------------------------------------------------------------

    def sources(self) -> list[SourceInfo]:
        """Every document, newest first."""
        return self.kb.sources()

    def stats(self) -> IndexStats:
        return self.kb.stats()

    def find(self, ref: str) -> SourceInfo:
        """A document by id, unique id prefix, source key or path; raises SourceNotFound."""
        return self.kb.find(ref)

    def existing(self, source_key: str) -> SourceInfo | None:
        """The document indexed under `source_key`, if there is one."""
        return self.kb.find(source_key) if self.kb.version_of(source_key) is not None else None

    # --- adding ----------------------------------------------------------------------------

    def add_paths(self, paths: Iterable[Path], tags: Tags | None = None, *,
                  progress: Callable[[int, int], None] | None = None,
                  on_total: Callable[[int], None] | None = None) -> IngestReport:  # fmt: skip
        """Index files and folders (see `Ingestor.ingest_paths`)."""
        with self._write:
            report = self.ingestor.ingest_paths(paths, tags, progress=progress, on_total=on_total)
        if report.indexed or report.removed:
            self._changed()
        return report

    def add(self, upload: Upload, tags: Tags) -> Added:
        """Index `upload` with `tags` (an unchanged file is recognised and left alone)."""
        try:
            return self._add(upload, tags)
        except GuidepostError as e:
            return Added.failed(upload.name, str(e))
        except Exception:
            log.exception("could not add %s (%s)", upload.name, upload.source_key)
            return Added.failed(upload.name, UNEXPECTED_ADD)

    def retag(self, ref: str, tags: Tags, fetch: Callable[[SourceInfo], Upload]) -> Added:
        """Index a document again with exactly `tags`; `fetch` gets its bytes again from where
        it came (and raises a GuidepostError saying why when it cannot)."""
        name = ref
        try:
            doc = self.find(ref)
            name = doc.title
            return self._add(fetch(doc), tags)
        except GuidepostError as e:
            return Added.failed(name, str(e))
        except Exception:
            log.exception("could not re-tag %s", ref)
            return Added.failed(name, UNEXPECTED_RETAG)

    def _add(self, upload: Upload, tags: Tags) -> Added:
        with self._write:
            existed = self.kb.version_of(upload.source_key) is not None
            result = self.ingestor.ingest_bytes(upload.data, upload.name, source_key=upload.source_key, tags=tags,
                                                url=upload.url, extra=upload.extra)  # fmt: skip
        status: Literal["indexed", "updated", "unchanged"] = result.status
        if result.status == "indexed":
            self._changed()
            if existed:
                status = "updated"
        doc = self.kb.find(result.id)
        shown = Tags(doc.type, doc.grade or None, doc.subject or None)  # with the file's own tags
        return Added(upload.name, status, result.title, result.id, result.chunks, shown, url=upload.url)

    # --- removing --------------------------------------------------------------------------

    def remove(self, ref: str) -> SourceInfo:
        """Remove a document; raises SourceNotFound."""
        with self._write:
            doc = self.find(ref)
            self.kb.remove(doc.id)
        self._changed()
        return doc
