"""Turn files into `Document`s, through a registry of loaders keyed by file suffix.

    from ingest.loaders import load_file
    doc = load_file(Path("choice_board.docx"), settings)

Each format lives in its own small module (`pdf.py`, `docx.py`, ...), imported the first time a
file of that type is loaded, so importing this package is cheap. Every problem with a file is
raised as a `DocumentError` subclass whose message names the file (bad tags: `InvalidTags`); no
parser exception escapes.

Tags for a document come from, in order of precedence: the `tags` argument, a sidecar file
beside it (`choice_board.docx.yml` with `type:`, `grade:`, `subject:`, `title:` keys), and
Markdown front matter.
"""

from __future__ import annotations

import hashlib
import stat
from pathlib import Path, PurePath

from ..domain import Document, Tags
from ..errors import CorruptDocument, DocumentError, EmptyDocument, FileTooLarge, GuidepostError, UnsupportedFile
from ..settings import IndexSettings as Settings
from ._registry import Loaded, Loader, loader_for, register, supported_suffixes
from ._tags import SIDECAR_SUFFIXES, read_sidecar, sidecar_for
from ._text import clip_title, human_size, title_from_filename

__all__ = ["Loaded", "human_size", "is_sidecar", "load_bytes", "load_file", "register", "supported_suffixes"]


def load_file(
    path: Path,
    settings: Settings,
    *,
    tags: Tags | None = None,
    source_key: str | None = None,
    url: str | None = None,
) -> Document:
    """Load the file at `path`; `source_key` defaults to its resolved absolute path."""
    path = Path(path).expanduser().resolve()
    loader = _loader(path.name)
    data = _read(path, settings)
    sidecar = sidecar_for(path)
    side_title, side_tags = read_sidecar(sidecar) if sidecar else (None, Tags())
    return _document(
        data,
        path.name,
        loader,
        settings,
        path=path,
        source_key=source_key or str(path),
        url=url,
        tags=(tags or Tags()).merged_over(side_tags),
        title=side_title,
    )


def load_bytes(
    data: bytes,
    filename: str,
    settings: Settings,
    *,
    source_key: str,
    tags: Tags | None = None,
    url: str | None = None,
) -> Document:
    """Load a file received as bytes (a Slack upload); `filename` gives its type."""
    name = PurePath(filename).name
    loader = _loader(name)
    _check_size(len(data), name, settings)
    return _document(data, name, loader, settings, path=None, source_key=source_key, url=url, tags=tags or Tags())


def is_sidecar(path: Path) -> bool:
    """True for a tags file such as 'board.docx.yml' (it describes 'board.docx')."""
    p = PurePath(path)
    return p.suffix.lower() in SIDECAR_SUFFIXES and PurePath(p.stem).suffix.lower() in supported_suffixes()


def _loader(name: str) -> Loader:
    suffix = PurePath(name).suffix.lower()
    loader = loader_for(suffix)
    if loader is None:
        what = f"is a {suffix} file" if suffix else "has no file extension"
        raise UnsupportedFile(
            f"{name} {what}, which Guidepost cannot read. Supported types: {', '.join(supported_suffixes())}."
        )
    return loader


def _read(path: Path, settings: Settings) -> bytes:
    """The file's bytes, after checking from its size that it is not too large to read."""
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            raise DocumentError(f"{path} is not a file.")
        _check_size(info.st_size, path.name, settings)
        return path.read_bytes()
    except FileNotFoundError as exc:
        raise DocumentError(f"{path} does not exist.") from exc
    except OSError as exc:
        raise DocumentError(f"{path.name} could not be read ({exc.strerror or exc}).") from exc


def _check_size(size: int, name: str, settings: Settings) -> None:
    if size > settings.max_file_bytes:
        raise FileTooLarge(
            f"{name} is {human_size(size)}, over the {human_size(settings.max_file_bytes)} limit "
            "(GUIDEPOST_MAX_FILE_MB)."
        )


def _document(
    data: bytes,
    name: str,
    loader: Loader,
    settings: Settings,
    *,
    path: Path | None,
    source_key: str,
    url: str | None,
    tags: Tags,
    title: str | None = None,
) -> Document:
    """Parse `data`; `tags` fill in over the file's own, and `title`, if given, wins."""
    if not data:
        raise EmptyDocument(f"{name} is empty (0 bytes).")
    if data.isspace():
        raise EmptyDocument(f"{name} contains only blank space, no text.")
    loaded = _parse(loader, data, name, settings)
    sections = [s for s in loaded.sections if s.text.strip()]
    if not sections:
        raise EmptyDocument(f"{name} contains no text.")
    doc = Document(
        path=path,
        title=clip_title(title or loaded.title or "") or title_from_filename(name),
        sections=sections,
        tags=tags.merged_over(loaded.tags),
        source_key=source_key,
        content_hash=hashlib.sha256(data).hexdigest(),
        url=url,
        fmt=loader.fmt,
        extra=loaded.extra,
    )
    doc.layout()
    return doc


def _parse(loader: Loader, data: bytes, name: str, settings: Settings) -> Loaded:
    """Run the format's loader; an unexpected parser error becomes a `CorruptDocument`."""
    try:
        return loader.fn(data, name, settings)
    except GuidepostError:
        raise
    except Exception as exc:  # parsers raise anything on damaged input
        raise CorruptDocument(f"{name} could not be read: the file looks damaged ({_reason(exc)}).") from exc


def _reason(exc: Exception) -> str:
    first_line = str(exc).strip().split("\n", 1)[0]
    return first_line[:120] if first_line else type(exc).__name__
