"""The loader registry: file suffix -> the function that turns a file's bytes into sections.

A format module registers its function with `@register(".pdf", fmt="pdf")`. The modules of this
package are imported only when a file of their type is loaded (see `_MODULES`), so importing the
package stays cheap: adding a format is adding one small module and one line to `_MODULES`.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..domain import Section, Tags
from ..settings import IndexSettings as Settings


@dataclass
class Loaded:
    """What a format module extracts from a file."""

    title: str | None
    sections: list[Section]
    tags: Tags = field(default_factory=Tags)  # from the file itself (Markdown front matter)
    extra: dict[str, Any] = field(default_factory=dict)


LoadFn = Callable[[bytes, str, Settings], Loaded]


@dataclass(frozen=True)
class Loader:
    fn: LoadFn
    fmt: str  # the short format name stored on Document.fmt


# suffix -> module in this package that registers it
_MODULES: dict[str, str] = {
    ".docx": "docx",
    ".htm": "html",
    ".html": "html",
    ".markdown": "markdown",
    ".md": "markdown",
    ".pdf": "pdf",
    ".pptx": "pptx",
    ".txt": "text",
}

_REGISTRY: dict[str, Loader] = {}


def register(*suffixes: str, fmt: str) -> Callable[[LoadFn], LoadFn]:
    """Register the decorated function as the loader for `suffixes` (lower case, with the dot)."""

    def decorate(fn: LoadFn) -> LoadFn:
        for suffix in suffixes:
            _REGISTRY[suffix] = Loader(fn, fmt)
        return fn

    return decorate


def supported_suffixes() -> tuple[str, ...]:
    """The file suffixes Guidepost can read, sorted: ('.docx', '.htm', ...)."""
    return tuple(sorted(_MODULES.keys() | _REGISTRY.keys()))


def loader_for(suffix: str) -> Loader | None:
    """The loader for a lower-case suffix, importing its module on first use; None if unsupported."""
    if suffix not in _REGISTRY and suffix in _MODULES:
        importlib.import_module(f"{__package__}.{_MODULES[suffix]}")
    return _REGISTRY.get(suffix)
