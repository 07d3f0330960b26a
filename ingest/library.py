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
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from .domain import Tags
from .embeddings import Encoder
from .errors import GuidepostError, PersonalDataFound
from .pipeline import IngestReport, Ingested, Ingestor
from .settings import IndexSettings
from .stores import DigestStore, IndexStats, KnowledgeBase, SourceInfo

log = logging.getLogger(__name__)

UNEXPECTED_ADD = "Something went wrong on my side while adding it. It has been logged."
WEB = "web"  # extra key of a page added from a link: its validators and the tags it was added with
PERSONAL_DATA_OVERRIDE = "personal_data_override"  # extra key: {"by", "at", "findings"} when indexed anyway
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
    source_key: str = ""
    personal_data: Any = None  # when refused for student personal data: the PrivacyReport (masked findings)

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
        self._source_listeners: list[Callable[[str, str, str], None]] = []
        self.digests = DigestStore(settings.data_dir)  # planning notes citing a replaced or removed source are marked

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

    def subscribe_sources(self, listener: Callable[[str, str, str], None]) -> None:
        """Call `listener(doc_id, title, event)` when a document is replaced ('updated') or
        removed ('removed'), after the planning notes citing it are marked."""
        self._source_listeners.append(listener)

    def _source_changed(self, doc_id: str, title: str, event: str) -> None:
        try:
            self.digests.mark_source(doc_id, title, event)
        except Exception:
            log.exception("could not mark the planning notes citing %s", doc_id)
        for listener in self._source_listeners:
            try:
                listener(doc_id, title, event)
            except Exception:
                log.exception("a listener to source changes failed")

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
                  on_total: Callable[[int], None] | None = None,
                  allow_personal_data: bool = False, standards: Sequence[str] = ()) -> IngestReport:  # fmt: skip
        """Index files and folders (see `Ingestor.ingest_paths`). Files that look like they hold
        student personal data are refused (under `failed`) unless `allow_personal_data`."""
        with self._write:
            before = {s.id for s in self.kb.sources()}
            report = self.ingestor.ingest_paths(paths, tags, progress=progress, on_total=on_total,
                                                allow_personal_data=allow_personal_data, standards=standards)  # fmt: skip
        if report.indexed or report.removed:
            self._changed()
        for item in report.indexed:
            if item.id in before:
                self._source_changed(item.id, item.title, "updated")
        for gone in report.removed:
            self._source_changed(gone.id, gone.title, "removed")
        return report

    def add(self, upload: Upload, tags: Tags, *, allow_personal_data: bool = False, standards: Sequence[str] = ()) -> Added:
        """Index `upload` with `tags` (an unchanged file is recognised and left alone). It is
        scanned for student personal data first: when some is found it is not indexed (the result
        carries the masked findings in `personal_data`) unless `allow_personal_data`."""
        try:
            return self._add(upload, tags, allow_personal_data, standards)
        except PersonalDataFound as e:
            return Added(upload.name, "failed", tags=tags, reason=str(e), personal_data=e.report,
                         source_key=upload.source_key)
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
            upload = fetch(doc)
            override = (doc.extra or {}).get(PERSONAL_DATA_OVERRIDE)
            if override:  # a coach chose to index it anyway: that choice stands
                upload.extra.setdefault(PERSONAL_DATA_OVERRIDE, override)
            return self._add(upload, tags, allow_personal_data=bool(override))
        except GuidepostError as e:
            return Added.failed(name, str(e))
        except Exception:
            log.exception("could not re-tag %s", ref)
            return Added.failed(name, UNEXPECTED_RETAG)

    def _stored(self, result: Ingested, existed: bool) -> tuple[Literal["indexed", "updated", "unchanged"], SourceInfo, Tags]:
        """After a write: tell who needs telling, and the document as stored, with its own tags."""
        status: Literal["indexed", "updated", "unchanged"] = result.status
        if result.status == "indexed":
            self._changed()
            if existed:
                status = "updated"
                self._source_changed(result.id, result.title, "updated")
        doc = self.kb.find(result.id)
        return status, doc, Tags(doc.type, doc.grade or None, doc.subject or None)

    def _add(self, upload: Upload, tags: Tags, allow_personal_data: bool = False, standards: Sequence[str] = ()) -> Added:
        with self._write:
            existed = self.kb.version_of(upload.source_key) is not None
            result = self.ingestor.ingest_bytes(upload.data, upload.name, source_key=upload.source_key, tags=tags,
                                                url=upload.url, extra=upload.extra,
                                                allow_personal_data=allow_personal_data, standards=standards)  # fmt: skip
        status, doc, shown = self._stored(result, existed)
        return Added(upload.name, status, result.title, result.id, result.chunks, shown, url=upload.url)

    # --- web pages -------------------------------------------------------------------------

    def add_url(self, url: str, tags: Tags, *, extra: dict[str, Any] | None = None,
                allow_personal_data: bool = False, standards: Sequence[str] = ()) -> Added:  # fmt: skip
        """Fetch a web page and index its main text (see `ingest.web`); the page's address is what
        answers cite. The server's validators are kept (`extra["web"]`) for `refresh`."""
        try:
            return self._add_page(url, tags, extra or {}, allow_personal_data, previous=None, standards=standards)
        except PersonalDataFound as e:
            return Added(url, "failed", tags=tags, reason=str(e), personal_data=e.report, source_key=url)
        except GuidepostError as e:
            return Added.failed(url, str(e))
        except Exception:
            log.exception("could not add the page %s", url)
            return Added.failed(url, UNEXPECTED_ADD)

    def web_sources(self) -> list[SourceInfo]:
        """Documents added from a link."""
        return [s for s in self.sources() if isinstance((s.extra or {}).get(WEB), dict)]

    def refresh(self, refs: Iterable[str] = ()) -> list[Added]:
        """Fetch pages added from a link again (those named, or all) and index again only those
        whose text changed: a conditional request (ETag / Last-Modified) first, then the hash of
        the extracted text."""
        results = []
        docs: list[SourceInfo] = []
        for ref in refs:
            try:
                doc = self.find(ref)
            except GuidepostError as e:
                results.append(Added.failed(ref, str(e)))
                continue
            if not isinstance((doc.extra or {}).get(WEB), dict):
                results.append(Added.failed(doc.title, f"{doc.title} was not added from a link, so there is nothing to fetch again."))
                continue
            docs.append(doc)
        if not refs:
            docs = self.web_sources()
        for doc in docs:
            results.append(self._refresh_one(doc))
        return results

    def _refresh_one(self, doc: SourceInfo) -> Added:
        from .web import Validators

        web = doc.extra[WEB]
        previous = Validators(web.get("etag"), web.get("last_modified"), web.get("content_hash"))
        given = web.get("tags") or {}
        tags = Tags(given.get("type"), given.get("grade"), given.get("subject"), given.get("review_by"))
        kept = {k: v for k, v in doc.extra.items() if k != WEB}
        try:
            return self._add_page(doc.source_key, tags, kept, bool(kept.get(PERSONAL_DATA_OVERRIDE)), previous=previous,
                                  standards=web.get("given_standards") or ())  # fmt: skip
        except GuidepostError as e:
            return Added.failed(doc.title, str(e))
        except Exception:
            log.exception("could not refresh %s", doc.source_key)
            return Added.failed(doc.title, UNEXPECTED_ADD)

    def _add_page(self, url: str, tags: Tags, extra: dict[str, Any], allow_personal_data: bool, previous: Any,
                  standards: Sequence[str] = ()) -> Added:  # fmt: skip
        from .web import FetchedPage, WebSettings, fetch_page

        page = fetch_page(url, WebSettings(), self.settings, previous=previous)
        if not isinstance(page, FetchedPage):  # unchanged since the last fetch
            doc = self.find(url)
            shown = Tags(doc.type, doc.grade or None, doc.subject or None)
            return Added(doc.title, "unchanged", doc.title, doc.id, doc.chunks, shown, url=doc.url, source_key=url)
        v = page.validators
        stored = {**extra, WEB: {"etag": v.etag, "last_modified": v.last_modified, "content_hash": v.content_hash,
                                 "fetched_at": time.time(), "given_standards": list(standards),
                                 "tags": {"type": tags.type, "grade": tags.grade, "subject": tags.subject,
                                          "review_by": tags.review_by}}}  # fmt: skip
        with self._write:
            existed = self.kb.version_of(page.document.source_key) is not None
            result = self.ingestor.ingest_document(page.document, page.url, tags=tags, extra=stored,
                                                   allow_personal_data=allow_personal_data, standards=standards)  # fmt: skip
        status, doc, shown = self._stored(result, existed)
        return Added(doc.title, status, result.title, result.id, result.chunks, shown, url=doc.url, source_key=url)

    def standards_of(self, doc_ids: Iterable[str]) -> dict[str, list[str]]:
        """The standard codes each document is tagged with (those it has)."""
        out = {}
        for doc_id in dict.fromkeys(doc_ids):
            try:
                codes = (self.kb.find(doc_id).extra or {}).get("standards")
            except GuidepostError:
                continue
            if codes:
                out[doc_id] = list(codes)
        return out

    def with_standards(self, answer: Any) -> Any:
        """`answer` with each source's standard codes filled in (shown on citations)."""
        import dataclasses

        codes = self.standards_of(s.doc_id for s in answer.sources if s.doc_id)
        if not codes:
            return answer
        sources = [dataclasses.replace(s, standards=tuple(codes.get(s.doc_id, ()))) for s in answer.sources]
        return dataclasses.replace(answer, sources=sources)

    # --- removing --------------------------------------------------------------------------

    def remove(self, ref: str) -> SourceInfo:
        """Remove a document; raises SourceNotFound."""
        with self._write:
            doc = self.find(ref)
            self.kb.remove(doc.id)
        self._changed()
        self._source_changed(doc.id, doc.title, "removed")
        return doc
