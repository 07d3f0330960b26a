"""Fetch a web page safely and turn it into a `Document` to index, with what a later refresh
needs to skip it when it has not changed.

    page = fetch_page("https://pd.example.org/stations", WebSettings(), settings)
    if isinstance(page, FetchedPage):
        index(page.document)        # page.validators: ETag, Last-Modified, hash of the text
    # on refresh: fetch_page(url, web, settings, previous=stored_validators) -> Unchanged | FetchedPage

Safety, each a `WebPageError` (a `DocumentError`) with a sentence a coach can read:
- http and https only, no credentials in the link;
- every address the host resolves to must be public (no private, loopback, link-local,
  shared, reserved or multicast address) unless `GUIDEPOST_ALLOW_PRIVATE_URLS=1`, or it lies
  in `GUIDEPOST_ALLOWED_URL_NETWORKS` (say a district intranet, `10.5.0.0/16`); the connection
  then goes to the address that was checked (the host name travels in the Host header and TLS
  SNI), so a second DNS answer cannot swap in another address;
- redirects are followed by hand, at most `max_redirects`, each hop checked again; a loop is
  named as such;
- one time limit for the whole fetch, redirects and a slowly dripping body included;
- a size limit checked against Content-Length and again while streaming: the download stops
  at the limit;
- HTML, XHTML, plain text, Markdown and PDF only; a PDF goes to the PDF loader.

The main text of an HTML page is extracted by trafilatura (boilerplate such as menus, footers
and cookie banners removed), as Markdown so headings stay headings and the chunker sees
sections; when it finds no main text, the project's own HTML loader reads the page.
Environment proxies are not used: through a proxy the address checks would mean nothing.
"""

from __future__ import annotations

import ipaddress
import socket
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from pathlib import PurePosixPath

import httpx
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from .errors import (
    FetchTimeout,
    PageTooLarge,
    PageUnavailable,
    TooManyRedirects,
    UnsafeURL,
    UnsupportedContent,
)
from .loaders import human_size, load_bytes
from .domain import Document
from .settings import Settings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], Sequence[str]]

_REDIRECTS = {301, 302, 303, 307, 308}
_USER_AGENT = "Guidepost/0.1 (knowledge base for educators; fetches pages a coach adds)"


class WebSettings(BaseSettings):
    """Limits for fetching web pages; environment variables use the `GUIDEPOST_` prefix."""

    model_config = SettingsConfigDict(env_prefix="GUIDEPOST_", env_file=".env", env_file_encoding="utf-8", extra="ignore")

    allow_private_urls: bool = Field(False, description="Fetch from private, loopback and link-local addresses too.")
    allowed_url_networks: str = Field(
        "", description="Comma-separated networks fetched from even though private (e.g. 10.5.0.0/16)."
    )
    max_page_mb: float = Field(10.0, gt=0, description="Largest page or PDF downloaded, in MB.")
    fetch_timeout_s: float = Field(20.0, gt=0, description="Time limit for one fetch, redirects included, in seconds.")
    max_redirects: int = Field(5, ge=0, le=20, description="Redirects followed before giving up.")

    @property
    def max_page_bytes(self) -> int:
        return int(self.max_page_mb * 1024 * 1024)

    @property
    def networks(self) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
        try:
            return [ipaddress.ip_network(n.strip(), strict=False) for n in self.allowed_url_networks.split(",") if n.strip()]
        except ValueError as exc:
            raise UnsafeURL(f"GUIDEPOST_ALLOWED_URL_NETWORKS is not a list of networks ({exc}).") from exc


@dataclass(frozen=True)
class Validators:
    """What says whether a page changed: the server's ETag and Last-Modified, and the sha256 of
    the text Guidepost extracted (servers that send neither, or pages whose markup changes
    around the same text)."""

    etag: str | None = None
    last_modified: str | None = None
    content_hash: str | None = None

    def request_headers(self) -> dict[str, str]:
        headers = {}
        if self.etag:
            headers["If-None-Match"] = self.etag
        if self.last_modified:
            headers["If-Modified-Since"] = self.last_modified
        return headers


@dataclass
class FetchedPage:
    document: Document  # source_key: the link as added; url: where the text was found (cite it)
    requested_url: str
    url: str
    content_type: str
    validators: Validators
    redirects: int = 0


@dataclass(frozen=True)
class Unchanged:
    """A refresh found the page as it was (304 Not Modified, or the same text)."""

    url: str
    validators: Validators
    not_modified: bool  # True: the server said 304; False: the text hashed the same


def fetch_page(
    url: str,
    web: WebSettings,
    settings: Settings,
    *,
    previous: Validators | None = None,
    resolve: Resolver | None = None,
) -> FetchedPage | Unchanged:
    """Fetch `url` within `web`'s limits. With `previous` (from an earlier fetch), send a
    conditional request and return `Unchanged` when nothing changed. `resolve(host, port)`
    returns the host's addresses (default: the system resolver)."""
    requested = _normalise(url)
    deadline = time.monotonic() + web.fetch_timeout_s
    headers = {"User-Agent": _USER_AGENT, "Accept": "text/html,application/xhtml+xml,text/plain;q=0.9,application/pdf;q=0.8,*/*;q=0.1"}
    headers.update((previous or Validators()).request_headers())
    seen = [str(requested)]
    current = requested
    with httpx.Client(follow_redirects=False, trust_env=False, verify=True) as client:
        for hop in range(web.max_redirects + 1):
            address = _checked_address(current, web, resolve or _system_resolve)
            response = _send(client, current, address, headers, deadline)
            try:
                if response.status_code in _REDIRECTS and "location" in response.headers:
                    target = _normalise(str(current.join(response.headers["location"])))
                    if str(target) in seen:
                        raise TooManyRedirects(f"{requested} redirects in a loop ({' -> '.join([*seen, str(target)])}).")
                    seen.append(str(target))
                    current = target
                    continue
                if response.status_code == 304 and previous is not None:
                    fresh = _validators(response, previous.content_hash)  # a 304 may repeat only some
                    kept = Validators(fresh.etag or previous.etag, fresh.last_modified or previous.last_modified, previous.content_hash)
                    return Unchanged(str(current), kept, not_modified=True)
                if not 200 <= response.status_code < 300:
                    raise PageUnavailable(
                        f"{current} answered {response.status_code} {response.reason_phrase or ''}".rstrip() + "."
                    )
                kind = _content_kind(response, current)
                body = _read_body(response, current, web, deadline)
            finally:
                response.close()
            document = _document(body, kind, requested, current, settings)
            validators = _validators(response, document.content_hash)
            if previous is not None and previous.content_hash == document.content_hash:
                return Unchanged(str(current), validators, not_modified=False)
            return FetchedPage(document, str(requested), str(current), response.headers.get("content-type", ""), validators, hop)
    raise TooManyRedirects(f"{requested} redirected more than {web.max_redirects} times ({' -> '.join(seen)}).")


# --- addresses ---------------------------------------------------------------------------------


def is_public_address(ip: IPAddress) -> bool:
    """Whether an address is on the public internet: not private, loopback, link-local, shared
    (100.64/10), documentation, reserved, unspecified or multicast; an IPv4 address mapped into
    IPv6 counts as itself."""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def _normalise(url: str) -> httpx.URL:
    try:
        parsed = httpx.URL(url.strip())
    except (httpx.InvalidURL, TypeError) as exc:
        raise UnsafeURL(f"{url!r} is not a web address ({exc}).") from exc
    if parsed.scheme not in ("http", "https"):
        raise UnsafeURL(f"{url} is not an http or https link.")
    if not parsed.host:
        raise UnsafeURL(f"{url} has no host name.")
    if parsed.userinfo:
        raise UnsafeURL(f"{parsed.copy_with(username=None, password=None)} carries a user name or password: add the link without it.")
    return parsed.copy_with(fragment=None)


def _system_resolve(host: str, port: int) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise PageUnavailable(f"{host} could not be found ({exc.strerror or exc}).") from exc
    return list(dict.fromkeys(info[4][0] for info in infos))


def _checked_address(url: httpx.URL, web: WebSettings, resolve: Resolver) -> str:
    """The address to connect to for `url`, after checking every address its host has."""
    host = url.host
    port = url.port or (443 if url.scheme == "https" else 80)
    try:
        addresses = [ipaddress.ip_address(host)]
    except ValueError:
        addresses = [ipaddress.ip_address(a.split("%", 1)[0]) for a in resolve(host, port)]
    if not addresses:
        raise PageUnavailable(f"{host} could not be found.")
    if not web.allow_private_urls:
        networks = web.networks
        for ip in addresses:
            if not is_public_address(ip) and not any(ip in n for n in networks):
                raise UnsafeURL(
                    f"{url} leads to {ip}, a private or local address: Guidepost only fetches public pages "
                    "(an administrator can allow more with GUIDEPOST_ALLOW_PRIVATE_URLS=1 or GUIDEPOST_ALLOWED_URL_NETWORKS)."
                )
    return str(addresses[0])


def _send(client: httpx.Client, url: httpx.URL, address: str, headers: dict[str, str], deadline: float) -> httpx.Response:
    """GET `url` from the checked `address`, streaming; the host name goes in Host and SNI."""
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise FetchTimeout(f"{url} took too long to answer.")
    pinned = url.copy_with(host=address)
    request = client.build_request(
        "GET",
        pinned,
        headers={**headers, "Host": url.netloc.decode("ascii")},
        timeout=httpx.Timeout(remaining),
        extensions={"sni_hostname": url.host},
    )
    try:
        return client.send(request, stream=True)
    except httpx.TimeoutException as exc:
        raise FetchTimeout(f"{url} took too long to answer.") from exc
    except httpx.HTTPError as exc:
        raise PageUnavailable(f"{url} could not be reached ({type(exc).__name__}: {exc}).") from exc


# --- the body ----------------------------------------------------------------------------------

_KINDS = {
    "text/html": "html",
    "application/xhtml+xml": "html",
    "text/plain": "text",
    "text/markdown": "text",
    "text/x-markdown": "text",
    "application/pdf": "pdf",
}


def _content_kind(response: httpx.Response, url: httpx.URL) -> str:
    declared = response.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if declared in _KINDS:
        return _KINDS[declared]
    if declared in ("", "application/octet-stream", "binary/octet-stream") and url.path.lower().endswith(".pdf"):
        return "pdf"
    what = f"a {declared} file" if declared else "of no declared type"
    raise UnsupportedContent(f"{url} is {what}, not a web page, text or PDF.")


def _read_body(response: httpx.Response, url: httpx.URL, web: WebSettings, deadline: float) -> bytes:
    limit = web.max_page_bytes
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise PageTooLarge(f"{url} is {human_size(int(declared))}, over the {human_size(limit)} limit (GUIDEPOST_MAX_PAGE_MB).")
    chunks: list[bytes] = []
    size = 0
    try:
        # Without a chunk size each piece comes as it arrives, so the time limit is checked as
        # the body drips in; a server that stalls is stopped by the read timeout (at most the
        # time that was left when the request went out).
        for chunk in response.iter_bytes():
            size += len(chunk)
            if size > limit:
                raise PageTooLarge(f"{url} is over the {human_size(limit)} limit (GUIDEPOST_MAX_PAGE_MB): the download was stopped.")
            if time.monotonic() > deadline:
                raise FetchTimeout(f"{url} took too long to download.")
            chunks.append(chunk)
    except httpx.TimeoutException as exc:
        raise FetchTimeout(f"{url} took too long to download.") from exc
    except httpx.HTTPError as exc:
        raise PageUnavailable(f"{url} broke off while downloading ({type(exc).__name__}).") from exc
    return b"".join(chunks)


def _file_name(url: httpx.URL, suffix: str) -> str:
    """A name for messages and the loader: the link's last path segment, or its host."""
    stem = PurePosixPath(url.path).name or url.host
    return stem if stem.lower().endswith(suffix) else f"{stem}{suffix}"


def _document(body: bytes, kind: str, requested: httpx.URL, final: httpx.URL, settings: Settings) -> Document:
    """The page as a Document: source_key is the link as added (its identity across refreshes),
    url the address the text came from (what a citation links to)."""
    key, cite = str(requested), str(final)
    if kind == "pdf":
        return load_bytes(body, _file_name(final, ".pdf"), settings, source_key=key, url=cite)
    if kind == "text":
        return load_bytes(body, _file_name(final, ".txt"), settings, source_key=key, url=cite)
    markdown, title = _main_text(body, cite)
    if not markdown:  # no main text found: read the whole page with the project's HTML loader
        doc = load_bytes(body, _file_name(final, ".html"), settings, source_key=key, url=cite)
        doc.fmt = "web"
        return doc
    doc = load_bytes(markdown.encode("utf-8"), _file_name(final, ".txt"), settings, source_key=key, url=cite)
    doc.title = title or doc.title
    doc.fmt = "web"
    return doc


def _main_text(html: bytes, url: str) -> tuple[str | None, str | None]:
    import trafilatura  # lxml and friends: only when a page is actually read

    text = trafilatura.extract(
        html,
        url=url,
        output_format="markdown",
        include_tables=True,
        include_links=False,
        include_images=False,
        include_comments=False,
    )
    meta = trafilatura.extract_metadata(html)
    title = " ".join(meta.title.split()) if meta is not None and meta.title else None
    return (text.strip() if text and text.strip() else None), title


def _validators(response: httpx.Response, content_hash: str | None) -> Validators:
    last_modified = response.headers.get("last-modified")
    if last_modified:
        try:
            parsedate_to_datetime(last_modified)
        except (TypeError, ValueError):
            last_modified = None  # a date that cannot be sent back is no validator
    return Validators(response.headers.get("etag"), last_modified, content_hash)

