"""HTML: the page's readable text, split into sections at h1-h6.

Scripts, styles and page furniture (nav, header, footer) are dropped; block elements become lines,
list items start with '- ', table rows become 'cell | cell' lines, and runs of whitespace become
one space, as a browser shows them.
"""

from __future__ import annotations

from bs4 import BeautifulSoup
from bs4.element import NavigableString, PreformattedString, Tag

from ..domain import Section
from ..settings import IndexSettings as Settings
from ._registry import Loaded, register
from ._text import SectionBuilder, decode_text

_DROPPED = {"head", "script", "style", "noscript", "template", "svg", "nav", "header", "footer", "iframe", "object"}
_HEADINGS = {f"h{n}": n for n in range(1, 7)}
_BLOCKS = {
    "address", "article", "aside", "blockquote", "body", "caption", "dd", "details", "div", "dl", "dt",
    "fieldset", "figcaption", "figure", "form", "hr", "html", "main", "ol", "p", "section", "summary",
    "table", "tbody", "tfoot", "thead", "ul",
}  # fmt: skip


@register(".html", ".htm", fmt="html")
def load_html(data: bytes, name: str, settings: Settings) -> Loaded:
    soup = BeautifulSoup(decode_text(data, name), "html.parser")
    page = _Page()
    page.walk(soup)
    title_tag = soup.find("title")
    title = _collapse(title_tag.get_text()) if title_tag else ""
    return Loaded(title or page.first_h1, page.sections())


def _collapse(text: str) -> str:
    return " ".join(text.split())


class _Page:
    """Walks the element tree, turning it into lines under headings."""

    def __init__(self) -> None:
        self.first_h1: str | None = None
        self._builder = SectionBuilder()
        self._inline: list[str] = []
        self._prefix = ""

    def sections(self) -> list[Section]:
        self._end_line()
        return self._builder.finish()

    def walk(self, node: Tag) -> None:
        for child in node.children:
            if isinstance(child, Tag):
                self._element(child)
            elif isinstance(child, NavigableString) and not isinstance(child, PreformattedString):
                self._inline.append(str(child))  # comments, doctypes and the like are skipped

    def _element(self, tag: Tag) -> None:
        name = tag.name
        if name in _DROPPED:
            return
        if name in _HEADINGS:
            self._heading(_HEADINGS[name], _collapse(tag.get_text()))
        elif name == "li":
            self._end_line()
            self._prefix = "- "
            self.walk(tag)
            self._end_line()
            self._prefix = ""
        elif name == "tr":
            self._end_line()
            cells = [_collapse(c.get_text(" ")) for c in tag.find_all(["td", "th"], recursive=False)]
            if any(cells):
                self._builder.add(" | ".join(cells))
        elif name == "pre":
            self._end_line()
            self._builder.add(tag.get_text().strip("\n"))
        elif name == "br" or name in _BLOCKS:
            self._end_line()
            self.walk(tag)
            self._end_line()
        else:
            self.walk(tag)

    def _heading(self, level: int, text: str) -> None:
        self._end_line()
        if text:
            self._builder.heading(level, text)
            if level == 1 and self.first_h1 is None:
                self.first_h1 = text

    def _end_line(self) -> None:
        text = _collapse("".join(self._inline))
        self._inline.clear()
        if text:
            self._builder.add(self._prefix + text)
            self._prefix = ""
