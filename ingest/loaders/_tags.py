"""Tags a coach writes about a document: Markdown front matter, or a YAML sidecar file
(`board.docx.yml` beside `board.docx`) for formats that have no front matter."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from ..errors import InvalidTags
from ..domain import Tags
from ._text import clip_title

SIDECAR_SUFFIXES = (".yml", ".yaml")
# Tags are a few short lines. Untrusted YAML is parsed only under these limits, and without
# aliases: a 415-byte "billion laughs" of nested aliases otherwise expands to gigabytes.
MAX_YAML_BYTES = 16 * 1024
MAX_YAML_EVENTS = 2000
_SIDECAR_KEYS = ("title", "type", "grade", "subject", "review_by")

# '---' on the first line, then a 'key:' line, up to a closing '---' (or '...') line.
_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(?=[A-Za-z_][\w -]*:)(.*?\n)(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.S)


def split_front_matter(text: str, name: str) -> tuple[str | None, Tags, str]:
    """(title, tags, text without the front matter) for a Markdown text."""
    m = _FRONT_MATTER.match(text)
    if m is None:
        return None, Tags(), text
    title, tags = _title_and_tags(_yaml_mapping(m.group(1), f"the front matter of {name}"), f"{name} (front matter)")
    return title, tags, text[m.end() :]


def sidecar_for(path: Path) -> Path | None:
    """The tags file beside `path`, if there is one."""
    for suffix in SIDECAR_SUFFIXES:
        candidate = path.with_name(path.name + suffix)
        if candidate.is_file():
            return candidate
    return None


def read_sidecar(path: Path) -> tuple[str | None, Tags]:
    """(title, tags) from a sidecar file. Unknown keys are refused: they are usually typos."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidTags(f"The tags file {path.name} could not be read ({exc}).") from exc
    mapping = _yaml_mapping(text, f"the tags file {path.name}") if text.strip() else {}
    unknown = sorted(str(k) for k in mapping if str(k).lower() not in _SIDECAR_KEYS)
    if unknown:
        raise InvalidTags(
            f"The tags file {path.name} has unknown keys ({', '.join(unknown)}): use {', '.join(_SIDECAR_KEYS)}."
        )
    return _title_and_tags(mapping, path.name)


def _yaml_mapping(text: str, what: str) -> dict[Any, Any]:
    What = what[0].upper() + what[1:]
    if len(text.encode("utf-8")) > MAX_YAML_BYTES:
        raise InvalidTags(f"{What} is over {MAX_YAML_BYTES // 1024} KB: tags are a few 'key: value' lines.")
    try:
        for n, event in enumerate(yaml.parse(text, Loader=yaml.SafeLoader)):
            if isinstance(event, yaml.AliasEvent):
                raise InvalidTags(f"{What} uses a YAML alias (*{event.anchor}); write the values out instead.")
            if n > MAX_YAML_EVENTS:
                raise InvalidTags(f"{What} is too complex: tags are a few 'key: value' lines.")
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise InvalidTags(f"{what[0].upper()}{what[1:]} is not valid YAML: {exc}") from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise InvalidTags(f"{what[0].upper()}{what[1:]} should be 'key: value' lines such as 'grade: 3-5'.")
    return data


def _title_and_tags(mapping: dict[Any, Any], where: str) -> tuple[str | None, Tags]:
    fields = {str(k).lower(): v for k, v in mapping.items()}
    try:
        tags = Tags.parse(type=fields.get("type"), grade=fields.get("grade"), subject=fields.get("subject"),
                          review_by=fields.get("review_by"))  # fmt: skip
    except InvalidTags as exc:
        raise InvalidTags(f"{where}: {exc}") from exc
    title = fields.get("title")
    if title is not None and not isinstance(title, (str, int, float)):
        raise InvalidTags(f"{where}: the title should be one line of text.")
    return (clip_title(str(title)) or None) if title is not None else None, tags

