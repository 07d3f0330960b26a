"""The knowledge base as coaches curate it from Slack: add a shared file, re-tag it, remove a
document, list what is indexed.

A Slack file is read with `files.info`, checked (type, size) before anything is downloaded,
downloaded from `url_private` with the bot token, and indexed with `source_key="slack:<id>"`
(so sharing an unchanged file again is recognised) and `url=<permalink>` (so citations link to
the file in Slack). The knowledge base and encoder are the engine's own (one index, shared);
the ingestor is built the first time a coach adds a file.

Every problem comes back as `Added(status="failed", reason=...)` with a sentence a coach can
act on; nothing here raises to the listener.
"""

from __future__ import annotations

import logging
import threading
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import PurePath
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from ingest.domain import AnswerEngine, Tags
from ingest.errors import GuidepostError
from ingest.library import UNEXPECTED_ADD, Added, Upload
from ingest.library import Library as IndexLibrary
from ingest.loaders import human_size
from ingest.settings import Settings

if TYPE_CHECKING:
    from ingest.stores import IndexStats, SourceInfo

log = logging.getLogger("guidepost.slack")

SOURCE_PREFIX = "slack:"
DOWNLOAD_TIMEOUT = 60
_READ_BLOCK = 1 << 16

# files.info errors, as a coach would want to read them
_FILE_ERRORS = {
    "file_not_found": "I can't see that file. Share it with me in a DM, or in a channel I'm in, then try again.",
    "file_deleted": "That file was deleted from Slack.",
    "missing_scope": "Guidepost's Slack app lacks the files:read permission; whoever runs it needs to reinstall it.",
    "not_authed": "Guidepost could not sign in to Slack to read the file.",
    "invalid_auth": "Guidepost could not sign in to Slack to read the file.",
}


class FileFetchError(GuidepostError):
    """A Slack file could not be fetched; the message says why."""


def source_key(file_id: str) -> str:
    return SOURCE_PREFIX + file_id


def slack_file_id(info: SourceInfo) -> str | None:
    """The Slack file a document came from, or None (a folder ingested from the command line)."""
    key = info.source_key or ""
    return key[len(SOURCE_PREFIX) :] if key.startswith(SOURCE_PREFIX) else None


def stored_tags(info: SourceInfo) -> Tags:
    """The tags a document was indexed with (as given, so a re-share computes the same version)."""
    given = ((info.extra or {}).get("slack") or {}).get("tags")
    if isinstance(given, dict):
        return Tags(given.get("type"), given.get("grade"), given.get("subject"))
    return Tags(info.type if info.type != "other" else None, info.grade or None, info.subject or None)




class Library:
    """Coach actions on the knowledge base, through the one library service."""

    def __init__(self, settings: Settings, client: WebClient, engine: AnswerEngine) -> None:
        self.settings = settings
        self.client = client
        self.engine = engine
        self._lock = threading.Lock()
        self._index: IndexLibrary | None = None

    @property
    def index(self) -> IndexLibrary:
        """The engine's knowledge base and encoder (one index, shared), or the data dir's own."""
        with self._lock:
            if self._index is None:
                self._index = IndexLibrary(self.settings, getattr(self.engine, "kb", None), getattr(self.engine, "encoder", None))
                self._index.subscribe(self.engine.index_changed)
            return self._index

    @property
    def kb(self):
        return self.index.kb

    def sources(self) -> list[SourceInfo]:
        return self.index.sources()

    def stats(self) -> IndexStats:
        return self.index.stats()

    def find(self, ref: str) -> SourceInfo:
        return self.index.find(ref)

    def remove(self, ref: str) -> SourceInfo:
        return self.index.remove(ref)

    def add_file(self, file_id: str, *, tags: Tags | None = None, user: str | None = None,
                 channel: str | None = None) -> Added:  # fmt: skip
        """Fetch the Slack file `file_id` and index it. `tags` fill in over the tags it was
        indexed with before (so sharing it again without tags changes nothing)."""
        name = file_id
        try:
            info = self.file_info(file_id)
            name = info.get("name") or info.get("title") or file_id
            self.check(info)
            data = self.download(info)
        except GuidepostError as e:
            return Added.failed(name, str(e))
        except Exception:
            log.exception("could not add Slack file %s", file_id)
            return Added.failed(name, UNEXPECTED_ADD)
        before = self.index.existing(source_key(file_id))
        given = tags or Tags()
        if before is not None:
            given = given.merged_over(stored_tags(before))
        return self.index.add(_upload(info, data, given, user=user, channel=channel), given)

    def retag(self, doc_id: str, tags: Tags, *, user: str | None = None) -> Added:
        """Index a document that came from Slack again, with exactly `tags`."""

        def fetch(doc: SourceInfo) -> Upload:
            file_id = slack_file_id(doc)
            if file_id is None:
                raise FileFetchError(
                    f"{doc.title} was not added from Slack; change its tags where it was added (a tags file beside it)."
                )
            info = self.file_info(file_id)
            self.check(info)
            data = self.download(info)
            slack = (doc.extra or {}).get("slack") or {}
            return _upload(info, data, tags, user=slack.get("added_by") or user, channel=slack.get("channel"),
                           retagged_by=user)  # fmt: skip

        return self.index.retag(doc_id, tags, fetch)

    # --- Slack files -------------------------------------------------------------------------

    def file_info(self, file_id: str) -> dict[str, Any]:
        try:
            resp = self.client.files_info(file=file_id)
        except SlackApiError as e:
            error = str(e.response.get("error") or "unknown_error")
            raise FileFetchError(_FILE_ERRORS.get(error, f"Slack would not show me that file ({error}).")) from e
        return dict(resp["file"])

    def check(self, info: dict[str, Any]) -> None:
        """Refuse, before downloading, what could never be indexed."""
        from ingest.loaders import supported_suffixes

        name = info.get("name") or info.get("title") or info.get("id", "the file")
        mode = info.get("mode")
        if info.get("is_external") or mode == "external":
            raise FileFetchError(
                f"{name} is a link to a file stored outside Slack; download it and share the file itself."
            )
        if mode in ("tombstone", "hidden_by_limit"):
            raise FileFetchError(f"{name} is no longer available in Slack.")
        suffix = PurePath(name).suffix.lower()
        if suffix not in supported_suffixes():
            what = f"is a {suffix} file" if suffix else "has no file extension"
            raise FileFetchError(
                f"{name} {what}, which Guidepost cannot read. Supported types: {', '.join(supported_suffixes())}."
            )
        size = int(info.get("size") or 0)
        if size > self.settings.max_file_bytes:
            raise FileFetchError(
                f"{name} is {human_size(size)}, over the {human_size(self.settings.max_file_bytes)} limit "
                "(GUIDEPOST_MAX_FILE_MB)."
            )
        if not (info.get("url_private_download") or info.get("url_private")):
            raise FileFetchError(f"Slack gave me no way to download {name}.")

    def download(self, info: dict[str, Any]) -> bytes:
        """`url_private` with the bot token, never more than the size limit."""
        name = info.get("name") or info["id"]
        url = info.get("url_private_download") or info.get("url_private") or ""
        token = self.client.token or ""
        if not _is_slack_host(url, self.client.base_url):
            raise FileFetchError(f"{name}: its download link does not point to Slack, so I did not follow it.")
        request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
        opener = urllib.request.build_opener(_SameHostRedirects())
        limit = self.settings.max_file_bytes
        try:
            with opener.open(request, timeout=DOWNLOAD_TIMEOUT) as resp:
                ctype = (resp.headers.get("Content-Type") or "").lower()
                chunks: list[bytes] = []
                total = 0
                while block := resp.read(_READ_BLOCK):
                    chunks.append(block)
                    total += len(block)
                    if total > limit:
                        raise FileFetchError(
                            f"{name} is over the {human_size(limit)} limit (GUIDEPOST_MAX_FILE_MB)."
                        )
        except urllib.error.HTTPError as e:
            raise FileFetchError(f"Slack would not let me download {name} (HTTP {e.code}).") from e
        except (urllib.error.URLError, OSError) as e:
            raise FileFetchError(f"I could not download {name} from Slack ({getattr(e, 'reason', e)}).") from e
        if ctype.startswith("text/html") and PurePath(name).suffix.lower() not in (".html", ".htm"):
            # What Slack sends instead of a file when the token may not read it: a sign-in page.
            raise FileFetchError(
                f"Slack sent a sign-in page instead of {name}: the app needs the files:read permission."
            )
        return b"".join(chunks)


def _upload(info: dict[str, Any], data: bytes, tags: Tags, *, user: str | None, channel: str | None,
            retagged_by: str | None = None) -> Upload:  # fmt: skip
    name = info.get("name") or info["id"]
    permalink = info.get("permalink")
    slack: dict[str, Any] = {
        "file_id": info["id"],
        "name": name,
        "added_by": user,
        "channel": channel,
        "permalink": permalink,
        "tags": {"type": tags.type, "grade": tags.grade, "subject": tags.subject},
    }
    if retagged_by:
        slack["tagged_by"] = retagged_by
    return Upload(data, name, source_key(info["id"]), url=permalink, extra={"slack": slack})


def _host(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


def _is_slack_host(url: str, api_base: str) -> bool:
    """The bot token goes only to Slack: *.slack.com, *.slack-gov.com, or the API's own host
    (a test server, an enterprise proxy)."""
    host = _host(url)
    if not host or urlsplit(url).scheme not in ("https", "http"):
        return False
    if host == _host(api_base):
        return True
    if urlsplit(url).scheme != "https":
        return False
    return any(host == d or host.endswith("." + d) for d in ("slack.com", "slack-gov.com"))


class _SameHostRedirects(urllib.request.HTTPRedirectHandler):
    """Follow redirects, but never carry the bot token to another host."""

    def redirect_request(self, req: Any, fp: Any, code: int, msg: str, headers: Any, newurl: str) -> Any:
        new = super().redirect_request(req, fp, code, msg, headers, newurl)
        if new is not None and _host(newurl) != _host(req.full_url):
            new.remove_header("Authorization")
        return new
