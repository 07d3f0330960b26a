"""Per-channel scope: a channel can search only some document types or subjects.

Scopes live in `GUIDEPOST_DATA_DIR/channel_scopes.json`, written by `/guidepost scope` and
editable by hand (the file is re-read when it changes, no restart needed):

    {
      "C0123ABCD": {"types": ["choice_board", "lesson_template"], "subjects": ["math"]},
      "C0456EFGH": {"subjects": ["science"]}
    }

Keys are channel ids (in Slack: channel name → "View channel details" → the id at the bottom).
A channel with a bad entry is logged and left unscoped. A file that is not valid JSON (a typo
while editing it by hand) is never overwritten: until it is fixed no channel is scoped, and
`/guidepost scope type=…` refuses with the parse error (line and column) instead of rewriting
the file with that one channel, which would lose every other channel's scope.

Unlike the other stores this one stays a JSON file: whoever runs Guidepost may edit it by hand
(the README says so), which a SQLite table would take away. It sits behind the same kind of
interface (`get`, `set`, `clear`, `all`), so moving it into SQLite later changes nothing else.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import threading
from pathlib import Path
from typing import Any

from ..domain import Filters, Scope
from ..errors import GuidepostError
from .files import ensure_private_dir

log = logging.getLogger("guidepost.slack")  # scopes are set from Slack; their log lines go with it

FILENAME = "channel_scopes.json"


class ScopesFileInvalid(GuidepostError):
    """channel_scopes.json cannot be parsed: it is left as it is, not overwritten."""


class ChannelScopes:
    """The scopes of one data dir; thread-safe."""

    def __init__(self, data_dir: Path) -> None:
        self.path = Path(data_dir) / FILENAME
        self._lock = threading.Lock()
        self._stamp: tuple[int, int] | None = None  # (mtime_ns, size) of what `_scopes` holds
        self._scopes: dict[str, Scope] = {}

    def get(self, channel: str | None) -> Scope | None:
        if not channel:
            return None
        with self._lock:
            return self._load().get(channel)

    def filters_for(self, channel: str | None) -> Filters | None:
        scope = self.get(channel)
        return scope.filters() if scope else None

    def all(self) -> dict[str, Scope]:
        with self._lock:
            return dict(self._load())

    def set(self, channel: str, scope: Scope) -> None:
        """Raises ScopesFileInvalid (nothing written) when the file cannot be parsed."""
        with self._lock:
            raw = self._read_raw(strict=True)
            raw[channel] = scope.to_dict()
            self._write(raw)

    def clear(self, channel: str) -> bool:
        """Remove the channel's scope; False when it had none."""
        with self._lock:
            raw = self._read_raw(strict=True)
            if channel not in raw:
                return False
            del raw[channel]
            self._write(raw)
            return True

    # --- the file --------------------------------------------------------------------------

    def _load(self) -> dict[str, Scope]:
        try:
            st = self.path.stat()
        except FileNotFoundError:
            self._stamp, self._scopes = None, {}
            return self._scopes
        stamp = (st.st_mtime_ns, st.st_size)
        if stamp != self._stamp:
            scopes: dict[str, Scope] = {}
            for channel, entry in self._read_raw().items():
                try:
                    if not isinstance(entry, dict):
                        raise GuidepostError("expected {\"types\": [...], \"subjects\": [...]}")
                    scope = Scope.from_values(entry.get("types"), entry.get("subjects"), entry.get("standards"))
                except GuidepostError as e:
                    log.error("%s: ignoring the scope of %s: %s", self.path, channel, e)
                    continue
                if not scope.is_empty():
                    scopes[channel] = scope
            self._stamp, self._scopes = stamp, scopes
        return self._scopes

    def _read_raw(self, strict: bool = False) -> dict[str, Any]:
        """The file's object; {} when there is none. A file that cannot be parsed reads as {}
        (logged), or with `strict` (before a write) raises ScopesFileInvalid."""
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            if not isinstance(data, dict):
                raise ValueError("it should hold an object of channel ids")
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as e:
            reason = f"{self.path} could not be read ({e})"
            if strict:
                raise ScopesFileInvalid(f"{reason}. Nothing was changed: fix the file by hand (or move it away) and try again")
            log.error("%s; no channel is scoped until it is fixed", reason)
            return {}
        return data

    def _write(self, raw: dict[str, Any]) -> None:
        """Replace the file atomically (a reader never sees half of it)."""
        ensure_private_dir(self.path.parent)
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".channel_scopes.", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(raw, fh, indent=2, sort_keys=True)
                fh.write("\n")
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        self._stamp = None  # re-read on next use
