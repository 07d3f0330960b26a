"""Adding a web page: a real HTTP server on 127.0.0.1 serves pages, PDFs, loops, slow and huge
bodies; the fetcher must index what it should and refuse the rest with a clear error."""

from __future__ import annotations

import ipaddress
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from ingest.errors import (
    DocumentError,
    EmptyDocument,
    FetchTimeout,
    PageTooLarge,
    PageUnavailable,
    TooManyRedirects,
    UnsafeURL,
    UnsupportedContent,
    WebPageError,
)
from ingest.web import FetchedPage, Unchanged, Validators, WebSettings, fetch_page, is_public_address
from tests import fixtures as fx

ARTICLE = b"""<!DOCTYPE html><html><head><title>Station Rotation | Lincoln PD</title></head>
<body><nav><a href="/">Home</a> <a href="/menu">Site menu marker</a></nav>
<header>Site header marker</header>
<main><article><h1>Station Rotation</h1>
<p>Students rotate through three stations every class period while the teacher works with one
small group and the others practise online or work together on a shared task.</p>
<h2>Setting up stations</h2>
<p>Plan a teacher-led station, an online practice station and a collaborative station; each one
lasts fifteen minutes, so a period of fifty minutes leaves time for the warm-up.</p>
<h3>Timing</h3>
<p>Use a visible timer so that transitions between the stations take less than a minute.</p>
</article></main>
<footer>Copyright footer marker</footer></body></html>"""

ETAG = '"v1"'
LAST_MODIFIED = "Mon, 03 Nov 2025 10:00:00 GMT"


class Handler(BaseHTTPRequestHandler):
    """Routes of the test site; every request is recorded on the server."""

    def log_message(self, *args) -> None:  # keep test output clean
        pass

    def do_GET(self) -> None:  # noqa: N802 - the http.server name
        self.server.hits.append((self.path, dict(self.headers)))  # type: ignore[attr-defined]
        route = getattr(self, "route_" + self.path.strip("/").split("?")[0].replace("-", "_").replace(".", "_"), None)
        if route is None:
            self.send(404, b"not found", "text/plain")
        else:
            route()

    def send(self, status: int, body: bytes, ctype: str, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def redirect(self, location: str, status: int = 302) -> None:
        self.send_response(status)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def route_page(self) -> None:
        if self.headers.get("If-None-Match") == ETAG:
            self.send_response(304)
            self.send_header("ETag", ETAG)
            self.end_headers()
            return
        self.send(200, ARTICLE, "text/html; charset=utf-8", {"ETag": ETAG, "Last-Modified": LAST_MODIFIED})

    def route_reshuffled(self) -> None:
        """The same article each time, in different markup with a fresh token and timestamp in
        the page furniture; no validators."""
        now = time.time_ns()
        page = ARTICLE.replace(b"<h1>", f'<h1 class="x{now}">'.encode()).replace(
            b"Copyright footer marker", f"Copyright footer marker, page made at {now}".encode()
        )
        page = page.replace(b"</head>", f'<script>var csrf = "{now}";</script></head>'.encode())
        self.send(200, page, "text/html")

    def route_moved(self) -> None:
        self.redirect("/page", 301)

    def route_loop_a(self) -> None:
        self.redirect("/loop-b")

    def route_loop_b(self) -> None:
        self.redirect("/loop-a")

    def route_chain(self) -> None:
        n = int(self.path.split("?n=")[1]) if "?n=" in self.path else 10
        self.redirect(f"/chain?n={n - 1}" if n > 0 else "/page")

    def route_to_private(self) -> None:
        self.redirect("http://169.254.169.254/latest/meta-data/")

    def route_to_loopback(self) -> None:
        port = self.server.server_address[1]  # type: ignore[attr-defined]
        self.redirect(f"http://127.0.0.2:{port}/page")

    def route_big(self) -> None:
        """Two megabytes with no Content-Length: the size is known only by reading."""
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Connection", "close")
        self.end_headers()
        try:
            self.wfile.write(b"<html><body><h1>Big</h1>")
            for _ in range(64):
                self.wfile.write(b"<p>" + b"filler text " * 2700 + b"</p>")
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client stopped reading, as it should

    def route_big_declared(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(50 * 1024 * 1024))
        self.end_headers()

    def route_image_png(self) -> None:
        self.send(200, b"\x89PNG\r\n\x1a\n" + b"\0" * 64, "image/png")

    def route_slow(self) -> None:
        time.sleep(3)
        self.send(200, ARTICLE, "text/html")

    def route_drip(self) -> None:
        """Headers at once, then a byte every 0.1 s: each read is quick, the whole is not."""
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Connection", "close")
        self.end_headers()
        try:
            for _ in range(60):
                self.wfile.write(b" ")
                self.wfile.flush()
                time.sleep(0.1)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def route_handout_pdf(self) -> None:
        self.send(200, fx.pdf_bytes(), "application/pdf")

    def route_notes_txt(self) -> None:
        self.send(200, b"# Exit tickets\n\nCollect them at the door.\n\n## Why\n\nThey show who needs help.\n", "text/plain")

    def route_empty(self) -> None:
        self.send(200, b"<html><head><title>Nothing</title><script>var x = 1;</script></head><body><div></div></body></html>", "text/html")

    def route_gone(self) -> None:
        self.send(410, b"gone", "text/plain")


@pytest.fixture
def site() -> Iterator[ThreadingHTTPServer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.hits = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def url(site: ThreadingHTTPServer, path: str) -> str:
    return f"http://127.0.0.1:{site.server_address[1]}{path}"


def web(**kw) -> WebSettings:
    kw.setdefault("allow_private_urls", True)
    kw.setdefault("fetch_timeout_s", 5)
    return WebSettings(_env_file=None, **kw)


# --- pages that are indexed -----------------------------------------------------------------------


def test_a_page_becomes_a_document_with_headings_as_sections(site, settings):
    page = fetch_page(url(site, "/page"), web(), settings)
    assert isinstance(page, FetchedPage)
    doc = page.document
    assert doc.title == "Station Rotation"
    assert [s.heading for s in doc.sections] == [
        ("Station Rotation",),
        ("Station Rotation", "Setting up stations"),
        ("Station Rotation", "Setting up stations", "Timing"),
    ]
    assert doc.sections[1].text.startswith("## Setting up stations\n\nPlan a teacher-led station")
    for junk in ("Site menu marker", "Site header marker", "Copyright footer marker"):
        assert junk not in doc.text
    assert doc.url == doc.source_key == page.url == url(site, "/page")
    assert doc.fmt == "web"
    assert page.validators == Validators(ETAG, LAST_MODIFIED, doc.content_hash)
    assert len(doc.content_hash) == 64
    assert site.hits[0][1]["User-Agent"].startswith("Guidepost/")


def test_a_redirect_is_followed_and_the_final_address_is_cited(site, settings):
    page = fetch_page(url(site, "/moved#section"), web(), settings)
    assert isinstance(page, FetchedPage)
    assert page.redirects == 1
    assert page.requested_url == page.document.source_key == url(site, "/moved")  # identity: the link as added
    assert page.url == page.document.url == url(site, "/page")  # the citation: where the text is


def test_a_pdf_link_goes_to_the_pdf_loader(site, settings):
    page = fetch_page(url(site, "/handout.pdf"), web(), settings)
    assert isinstance(page, FetchedPage)
    assert page.document.fmt == "pdf"
    assert [s.page for s in page.document.sections] == [1, 2, 3]
    assert page.document.sections[0].text == fx.PDF_PAGES[0]
    assert page.document.title == fx.PDF_TITLE


def test_plain_text_keeps_its_headings(site, settings):
    page = fetch_page(url(site, "/notes.txt"), web(), settings)
    assert [s.heading for s in page.document.sections] == [("Exit tickets",), ("Exit tickets", "Why")]


# --- refresh ----------------------------------------------------------------------------------------


def test_refresh_with_an_etag_gets_304_and_reports_unchanged(site, settings):
    first = fetch_page(url(site, "/page"), web(), settings)
    again = fetch_page(url(site, "/page"), web(), settings, previous=first.validators)
    assert again == Unchanged(url(site, "/page"), first.validators, not_modified=True)
    sent = site.hits[-1][1]
    assert sent["If-None-Match"] == ETAG and sent["If-Modified-Since"] == LAST_MODIFIED


def test_refresh_without_validators_compares_the_extracted_text(site, settings):
    first = fetch_page(url(site, "/reshuffled"), web(), settings)
    assert first.validators.etag is None
    again = fetch_page(url(site, "/reshuffled"), web(), settings, previous=first.validators)
    assert isinstance(again, Unchanged) and not again.not_modified


def test_refresh_of_a_changed_page_returns_the_new_document(site, settings):
    first = fetch_page(url(site, "/page"), web(), settings)
    stale = Validators(etag='"v0"', last_modified=None, content_hash="0" * 64)
    again = fetch_page(url(site, "/page"), web(), settings, previous=stale)
    assert isinstance(again, FetchedPage)
    assert again.document.text == first.document.text


# --- refusals -------------------------------------------------------------------------------------


def test_a_page_over_the_size_limit_is_stopped_while_streaming(site, settings):
    started = time.monotonic()
    with pytest.raises(PageTooLarge, match="over the 256 KB limit .*download was stopped"):
        fetch_page(url(site, "/big"), web(max_page_mb=0.25), settings)
    assert time.monotonic() - started < 3


def test_a_declared_length_over_the_limit_is_refused_before_reading(site, settings):
    with pytest.raises(PageTooLarge, match="is 50 MB, over the 1 MB limit"):
        fetch_page(url(site, "/big-declared"), web(max_page_mb=1), settings)


def test_a_redirect_loop_is_named(site, settings):
    with pytest.raises(TooManyRedirects, match="redirects in a loop .*/loop-a -> .*/loop-b -> .*/loop-a"):
        fetch_page(url(site, "/loop-a"), web(), settings)


def test_too_many_redirects(site, settings):
    with pytest.raises(TooManyRedirects, match="redirected more than 3 times"):
        fetch_page(url(site, "/chain?n=10"), web(max_redirects=3), settings)
    assert len(site.hits) == 4
    assert isinstance(fetch_page(url(site, "/chain?n=2"), web(max_redirects=3), settings), FetchedPage)


def test_a_redirect_to_a_private_address_is_refused_when_private_addresses_are_off(site, settings):
    allowed = web(allow_private_urls=False, allowed_url_networks="127.0.0.1/32")
    assert isinstance(fetch_page(url(site, "/page"), allowed, settings), FetchedPage)  # the test server is allowed
    with pytest.raises(UnsafeURL, match=r"leads to 169\.254\.169\.254, a private or local address"):
        fetch_page(url(site, "/to-private"), allowed, settings)
    with pytest.raises(UnsafeURL, match=r"leads to 127\.0\.0\.2"):
        fetch_page(url(site, "/to-loopback"), allowed, settings)
    assert [path for path, _ in site.hits] == ["/page", "/to-private", "/to-loopback"]  # never went further


def test_loopback_is_refused_before_any_request_by_default(site, settings):
    with pytest.raises(UnsafeURL, match="GUIDEPOST_ALLOW_PRIVATE_URLS=1"):
        fetch_page(url(site, "/page"), web(allow_private_urls=False), settings)
    with pytest.raises(UnsafeURL):
        fetch_page(f"http://localhost:{site.server_address[1]}/page", web(allow_private_urls=False), settings)
    assert site.hits == []


def test_every_address_of_a_host_is_checked(site, settings):
    def resolve(host, port):
        return ["93.184.216.34", "10.0.0.5"]

    with pytest.raises(UnsafeURL, match="10.0.0.5"):
        fetch_page("http://mixed.example.org/", web(allow_private_urls=False), settings, resolve=resolve)


def test_the_connection_goes_to_the_checked_address_with_the_host_name_in_the_header(site, settings):
    port = site.server_address[1]
    calls = []

    def resolve(host, port_):
        calls.append(host)
        return ["127.0.0.1"]

    allowed = web(allow_private_urls=False, allowed_url_networks="127.0.0.0/8")
    page = fetch_page(f"http://intranet.district.test:{port}/page", allowed, settings, resolve=resolve)
    assert isinstance(page, FetchedPage)
    assert calls == ["intranet.district.test"]
    assert site.hits[-1][1]["Host"] == f"intranet.district.test:{port}"
    assert page.url == f"http://intranet.district.test:{port}/page"


def test_a_non_html_content_type_is_refused(site, settings):
    with pytest.raises(UnsupportedContent, match="is a image/png file, not a web page, text or PDF"):
        fetch_page(url(site, "/image.png"), web(), settings)


def test_a_slow_server_times_out(site, settings):
    started = time.monotonic()
    with pytest.raises(FetchTimeout, match="took too long to answer"):
        fetch_page(url(site, "/slow"), web(fetch_timeout_s=0.5), settings)
    assert time.monotonic() - started < 2


def test_a_dripping_body_hits_the_overall_time_limit(site, settings):
    started = time.monotonic()
    with pytest.raises(FetchTimeout, match="took too long to download"):
        fetch_page(url(site, "/drip"), web(fetch_timeout_s=1), settings)
    assert time.monotonic() - started < 2.5


def test_a_page_without_text_is_an_empty_document(site, settings):
    # trafilatura finds no main text, the project's HTML loader finds none either
    with pytest.raises(EmptyDocument, match="contains no text"):
        fetch_page(url(site, "/empty"), web(), settings)


def test_an_error_status_is_reported(site, settings):
    with pytest.raises(PageUnavailable, match="answered 410 Gone"):
        fetch_page(url(site, "/gone"), web(), settings)


@pytest.mark.parametrize(
    "link",
    ["ftp://example.org/file.txt", "file:///etc/passwd", "javascript:alert(1)", "http://user:pw@example.org/", "not a url"],
)
def test_links_that_are_not_web_pages_are_refused(link, settings):
    with pytest.raises(UnsafeURL):
        fetch_page(link, web(allow_private_urls=False), settings)


def test_errors_are_document_errors_so_callers_report_them_as_failed():
    for cls in (UnsafeURL, PageUnavailable, TooManyRedirects, FetchTimeout, PageTooLarge, UnsupportedContent):
        assert issubclass(cls, WebPageError) and issubclass(cls, DocumentError)


# --- settings and the address rule -----------------------------------------------------------------


def test_private_addresses_are_allowed_from_the_environment(monkeypatch):
    assert WebSettings(_env_file=None).allow_private_urls is False
    monkeypatch.setenv("GUIDEPOST_ALLOW_PRIVATE_URLS", "1")
    monkeypatch.setenv("GUIDEPOST_ALLOWED_URL_NETWORKS", "10.5.0.0/16, 192.168.1.0/24")
    settings = WebSettings(_env_file=None)
    assert settings.allow_private_urls is True
    assert [str(n) for n in settings.networks] == ["10.5.0.0/16", "192.168.1.0/24"]


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("93.184.216.34", True),
        ("2606:4700:4700::1111", True),
        ("127.0.0.1", False),
        ("10.1.2.3", False),
        ("172.16.5.4", False),
        ("192.168.0.10", False),
        ("169.254.169.254", False),  # cloud metadata: link-local
        ("100.64.0.1", False),  # carrier-grade NAT
        ("0.0.0.0", False),
        ("224.0.0.1", False),
        ("240.0.0.1", False),
        ("192.0.2.1", False),  # documentation
        ("::1", False),
        ("fe80::1", False),
        ("fc00::1", False),
        ("::ffff:127.0.0.1", False),
        ("::ffff:93.184.216.34", True),
    ],
)
def test_which_addresses_are_public(address, public):
    assert is_public_address(ipaddress.ip_address(address)) is public
