"""Fetching a file someone shared in Slack, for the library.

`info` reads it with `files.info`; `check` refuses, before anything is downloaded, what could
never be indexed (a link to an external file, a type Guidepost cannot read, a file over the size
limit); `download` streams `url_private` with the bot token, never more than the size limit.

The bot token goes only to Slack: the download link and every redirect must point to Slack's
hosts (`*.slack.com`, `*.slack-gov.com` over https, or the Web API's own origin: an enterprise
proxy, a test server). A redirect anywhere else is not followed, so its target never sees the
request, let alone the token. httpx does the streaming; redirects are followed here, one hop at
a time, so that each target is checked before the token is sent to it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

import httpx
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from ingest.errors import GuidepostError
from ingest.loaders import human_size, supported_suffixes
from ingest.settings import IndexSettings

DOWNLOAD_TIMEOUT = 60.0
MAX_REDIRECTS = 5
SLACK_DOMAINS = ("slack.com", "slack-gov.com")

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


@dataclass(frozen=True)
class SlackFile:
    """What `files.info` says about a file."""

    id: str
    name: str  # its name, title or id: what a coach recognises
    size: int
    download_url: str | None
    permalink: str | None  # where a teacher opens it in Slack
    mode: str | None  # "hosted", "external", "tombstone", ...
    is_external: bool

    @classmethod
    def from_info(cls, info: dict[str, Any]) -> SlackFile:
        return cls(
            id=info["id"],
            name=info.get("name") or info.get("title") or info["id"],
            size=int(info.get("size") or 0),
            download_url=info.get("url_private_download") or info.get("url_private"),
            permalink=info.get("permalink"),
            mode=info.get("mode"),
            is_external=bool(info.get("is_external")),
        )


def is_slack_url(url: str, api_base: str) -> bool:
    """May the bot token be sent to `url`? Only to Slack: https on *.slack.com or
    *.slack-gov.com, or the Web API's own origin (scheme, host and port)."""
    try:
        u = httpx.URL(url)
    except httpx.InvalidURL:
        return False
    if u.scheme not in ("https", "http") or not u.host:
        return False
    if _origin(u) == _origin(httpx.URL(api_base)):
        return True
    return u.scheme == "https" and any(u.host == d or u.host.endswith("." + d) for d in SLACK_DOMAINS)


def _origin(u: httpx.URL) -> tuple[str, str, int | None]:
    return u.scheme, u.host.lower(), u.port or {"https": 443, "http": 80}.get(u.scheme)


class SlackFiles:
    def __init__(self, settings: IndexSettings, client: WebClient, *, transport: httpx.BaseTransport | None = None) -> None:
        self.settings = settings
        self.client = client
        self._transport = transport  # a test seam (httpx.MockTransport); None = the network

    def info(self, file_id: str) -> SlackFile:
        try:
            resp = self.client.files_info(file=file_id)
        except SlackApiError as e:
            error = str(e.response.get("error") or "unknown_error")
            raise FileFetchError(_FILE_ERRORS.get(error, f"Slack would not show me that file ({error}).")) from e
        return SlackFile.from_info(dict(resp["file"]))

    def check(self, f: SlackFile) -> None:
        """Refuse, before downloading, what could never be indexed."""
        if f.is_external or f.mode == "external":
            raise FileFetchError(f"{f.name} is a link to a file stored outside Slack; download it and share the file itself.")
        if f.mode in ("tombstone", "hidden_by_limit"):
            raise FileFetchError(f"{f.name} is no longer available in Slack.")
        suffix = PurePath(f.name).suffix.lower()
        if suffix not in supported_suffixes():
            what = f"is a {suffix} file" if suffix else "has no file extension"
            raise FileFetchError(f"{f.name} {what}, which Guidepost cannot read. Supported types: {', '.join(supported_suffixes())}.")
        if f.size > self.settings.max_file_bytes:
            raise FileFetchError(
                f"{f.name} is {human_size(f.size)}, over the {human_size(self.settings.max_file_bytes)} limit "
                "(GUIDEPOST_MAX_FILE_MB)."
            )
        if not f.download_url:
            raise FileFetchError(f"Slack gave me no way to download {f.name}.")

    def download(self, f: SlackFile) -> bytes:
        """The file's bytes: `download_url` with the bot token, following redirects only within
        Slack, never reading past the size limit."""
        url = f.download_url or ""
        headers = {"Authorization": f"Bearer {self.client.token or ''}"}
        limit = self.settings.max_file_bytes
        try:
            with httpx.Client(transport=self._transport, timeout=DOWNLOAD_TIMEOUT, follow_redirects=False) as http:
                for hop in range(MAX_REDIRECTS + 1):
                    if not is_slack_url(url, self.client.base_url):
                        where = "its download link does not point to Slack" if hop == 0 else "Slack's download link led outside Slack"
                        raise FileFetchError(f"{f.name}: {where}, so I did not follow it.")
                    with http.stream("GET", url, headers=headers) as resp:
                        if resp.is_redirect:
                            url = str(resp.url.join(resp.headers.get("location", "")))
                            continue
                        if resp.status_code >= 400:
                            raise FileFetchError(f"Slack would not let me download {f.name} (HTTP {resp.status_code}).")
                        data = _read_at_most(resp, limit, f.name)
                        ctype = resp.headers.get("content-type", "").lower()
                    if ctype.startswith("text/html") and PurePath(f.name).suffix.lower() not in (".html", ".htm"):
                        # What Slack sends instead of a file when the token may not read it: a sign-in page.
                        raise FileFetchError(f"Slack sent a sign-in page instead of {f.name}: the app needs the files:read permission.")
                    return data
        except httpx.HTTPError as e:
            raise FileFetchError(f"I could not download {f.name} from Slack ({e}).") from e
        raise FileFetchError(f"I could not download {f.name}: Slack redirected it too many times.")


def _read_at_most(resp: httpx.Response, limit: int, name: str) -> bytes:
    chunks: list[bytes] = []
    total = 0
    for block in resp.iter_bytes():
        total += len(block)
        if total > limit:
            raise FileFetchError(f"{name} is over the {human_size(limit)} limit (GUIDEPOST_MAX_FILE_MB).")
        chunks.append(block)
    return b"".join(chunks)
